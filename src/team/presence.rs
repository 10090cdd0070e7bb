//! Presence: who has an incident open. A key-value bucket (`warroom_presence`) whose entries
//! expire after [`EXPIRY`]; each console puts its own key (`<incident>.<session>`) every
//! [`REFRESH`] with its name, role, host and the time, and removes it when it quits. A console
//! that vanishes without a word (killed, cut off) drops out when its entry expires.

use std::time::Duration;

use async_nats::jetstream::{self, kv};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::TeamError;
use crate::domain::text::sanitize_line;

pub const BUCKET: &str = "warroom_presence";
/// How often a console refreshes its entry.
pub const REFRESH: Duration = Duration::from_secs(3);
/// How long an entry lives without a refresh.
pub const EXPIRY: Duration = Duration::from_secs(15);

/// One console that has the incident open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Here {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub host: String,
    pub seen: DateTime<Utc>,
}

impl Here {
    /// Clean, short fields: the entry came from another machine.
    fn cleaned(self) -> Here {
        Here {
            name: sanitize_line(&self.name, 64),
            role: sanitize_line(&self.role, 64),
            host: sanitize_line(&self.host, 64),
            seen: self.seen,
        }
    }
}

fn nats<E: std::fmt::Display>(e: E) -> TeamError {
    TeamError::Unreachable(crate::domain::text::sanitize(&e.to_string(), 300))
}

/// The presence bucket, created if missing.
pub async fn bucket(js: &jetstream::Context) -> Result<kv::Store, TeamError> {
    if let Ok(s) = js.get_key_value(BUCKET).await {
        return Ok(s);
    }
    js.create_key_value(kv::Config {
        bucket: BUCKET.into(),
        history: 1,
        max_age: EXPIRY,
        max_value_size: 4096,
        ..Default::default()
    })
    .await
    .map_err(nats)
}

/// This machine's name, for the presence entry.
pub use crate::net::host_name;

/// A key for one console session on an incident.
pub fn key(incident: &str, session: &str) -> String {
    format!("{incident}.{session}")
}

/// Puts (or refreshes) this console's entry.
pub async fn announce(store: &kv::Store, key: &str, me: &Here) -> Result<(), TeamError> {
    let value = serde_json::to_vec(me).map_err(|e| TeamError::Io(e.to_string()))?;
    store.put(key, value.into()).await.map_err(nats)?;
    Ok(())
}

/// Removes this console's entry (on quit).
pub async fn leave(store: &kv::Store, key: &str) {
    let _ = store.purge(key).await;
}

/// Everyone whose entry for `incident` has not expired, most recently seen first.
pub async fn who(store: &kv::Store, incident: &str) -> Result<Vec<Here>, TeamError> {
    let prefix = format!("{incident}.");
    let mut keys = store.keys().await.map_err(nats)?;
    let mut found = Vec::new();
    while let Some(k) = keys.next().await {
        let k = k.map_err(nats)?;
        if !k.starts_with(&prefix) {
            continue;
        }
        if let Ok(Some(v)) = store.get(&k).await
            && let Ok(h) = serde_json::from_slice::<Here>(&v)
        {
            found.push(h.cleaned());
        }
    }
    found.sort_by(|a, b| b.seen.cmp(&a.seen).then(a.name.cmp(&b.name)));
    Ok(found)
}
