//! What an update sends, shared by every channel module: the message ([`Outgoing`]), why a
//! channel did not get it ([`ChannelError`], never holding a credential) and reading a
//! password or API key at send time ([`load_secret`]). Nothing here sends: [`super::send`]
//! dispatches to the channel modules, which build on this one.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};

use super::context::UpdateContext;
use crate::domain::incident::{Incident, Severity, Status};
use crate::domain::text::sanitize_line;
use crate::domain::updates::{ComponentStatus, SecretRef};
use crate::net::Secret;
use crate::net::secret::{SecretReadError, read_secret};

/// What goes out: the text and the incident fields the channels need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub incident: String,
    pub severity: Severity,
    pub status: Status,
    pub title: String,
    pub template: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
    /// `T+00:42:10`, as in the status bar.
    pub t_plus: String,
    /// When the update after this one is due (`14:33 UTC`), or empty without a cadence.
    pub next_update: String,
    /// The Statuspage incident already opened on each page (page id → incident id).
    pub statuspage: BTreeMap<String, String>,
    /// Component statuses chosen for Statuspage channels: channel → component name → status.
    /// A component not listed gets the default for the severity.
    pub components: BTreeMap<String, BTreeMap<String, ComponentStatus>>,
}

impl Outgoing {
    /// The update `text` (rendered from `ctx`) about `incident`, sent at `sent_at`.
    pub fn new(
        incident: &Incident,
        ctx: &UpdateContext,
        template: &str,
        text: &str,
        sent_at: DateTime<Utc>,
    ) -> Self {
        Outgoing {
            incident: incident.id.clone(),
            severity: incident.severity,
            status: incident.status,
            title: incident.title.clone(),
            template: template.to_string(),
            text: text.to_string(),
            sent_at,
            t_plus: ctx.incident.t_plus.clone(),
            next_update: ctx.next_update.at.clone(),
            statuspage: incident
                .comms
                .statuspage
                .iter()
                .map(|(page, p)| (page.clone(), p.incident_id.clone()))
                .collect(),
            components: BTreeMap::new(),
        }
    }

    /// A fixed message for tests and examples.
    pub fn example() -> Self {
        use chrono::TimeZone;
        Outgoing {
            incident: "inc-1".into(),
            severity: Severity::Sev2,
            status: Status::Identified,
            title: "EXO <mail> delayed".into(),
            template: "internal".into(),
            text: "line one\nA & B <c>".into(),
            sent_at: Utc
                .with_ymd_and_hms(2026, 11, 30, 14, 3, 0)
                .single()
                .unwrap_or_default(),
            t_plus: "T+00:33:00".into(),
            next_update: "14:33 UTC".into(),
            statuspage: BTreeMap::new(),
            components: BTreeMap::new(),
        }
    }

    /// `[SEV2] Investigating: <title>`, used as the mail subject and the Teams card title.
    pub fn subject(&self) -> String {
        format!(
            "[{}] {}: {}",
            self.severity.label(),
            self.status.label(),
            sanitize_line(&self.title, 200)
        )
    }

    /// The send time as RFC 3339 UTC, to the second.
    pub(crate) fn sent_at_text(&self) -> String {
        self.sent_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// Why one channel did not get the update. Never contains a webhook URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("the environment variable {0} is not set: export it with the webhook URL")]
    MissingEnv(String),
    #[error("cannot read the URL file {path}: {detail}")]
    UrlFile { path: String, detail: String },
    #[error("the URL in {0} is not an http(s) URL: fix it")]
    BadUrl(String),
    #[error(
        "HTTP {status}{excerpt}: the service refused the update; check the webhook (in {origin}) still exists"
    )]
    Refused {
        status: u16,
        excerpt: String,
        origin: String,
    },
    #[error("HTTP {0}: the service is throttling or unavailable; retry with :resend in a minute")]
    Throttled(u16),
    #[error("no answer within {0}; check the network, then retry")]
    Timeout(String),
    #[error(
        "could not connect to the service for the URL in {0}; check DNS, proxy and firewall, then retry"
    )]
    Connect(String),
    #[error("{0}")]
    Other(String),
    #[error("{0}")]
    Smtp(String),
    #[error("{0}")]
    Statuspage(String),
    #[error("the environment variable {var} is not set: export it with the {what}")]
    MissingSecretEnv { var: String, what: String },
    #[error("cannot read the {what} from {path}: {detail}")]
    SecretFile {
        path: String,
        what: String,
        detail: String,
    },
    #[error("the {what} in {from} is empty: put the {what} there")]
    EmptySecret { from: String, what: String },
    #[error("cannot append to {path}: {detail}")]
    File { path: String, detail: String },
    #[error("no terminal to put the clipboard on (OSC 52 needs one)")]
    NoTerminal,
}

/// Reads a password or API key (`what`) now, from the environment or a file.
pub fn load_secret(r: &SecretRef, what: &str) -> Result<Secret, ChannelError> {
    let (env, file) = match r {
        SecretRef::Env(v) => (Some(v.as_str()), None),
        SecretRef::File(p) => (None, Some(p.as_path())),
    };
    let raw = read_secret(env, file).map_err(|e| match (e, r) {
        (SecretReadError::EnvMissing, SecretRef::Env(v)) => ChannelError::MissingSecretEnv {
            var: v.clone(),
            what: what.to_string(),
        },
        (SecretReadError::File(detail), SecretRef::File(p)) => ChannelError::SecretFile {
            path: p.display().to_string(),
            what: what.to_string(),
            detail,
        },
        _ => ChannelError::SecretFile {
            path: r.describe(),
            what: what.to_string(),
            detail: "it is not valid UTF-8".to_string(),
        },
    })?;
    // A trailing newline from `echo` or an editor is not part of the secret.
    let value = raw.trim_end_matches(['\r', '\n']);
    if value.is_empty() {
        return Err(ChannelError::EmptySecret {
            from: r.describe(),
            what: what.to_string(),
        });
    }
    Ok(Secret::new(value))
}
