//! Publishing an update on a Statuspage page (REST API v1, `Authorization: OAuth <key>`).
//!
//! The first send on an incident creates a Statuspage incident
//! (`POST {base}/pages/{page_id}/incidents`); its id comes back in the send report, is recorded
//! in the journal with the send, and every later send — from this console, a restart or another
//! console — updates it (`PATCH {base}/pages/{page_id}/incidents/{id}`). Both carry
//! `{"incident": {...}}` with the status, the text as `body`, and the listed components set to
//! the chosen status.
//!
//! The API allows one request per second per key: requests wait their turn per key, and a 420 or
//! 429 answer is retried after the delay it gives (`Retry-After`, else one second), within the
//! channel's timeout. The key is read at each send and never shown: errors are scrubbed of it.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::outgoing::{ChannelError, Outgoing, load_secret};
use crate::domain::channels::plain_id;
use crate::domain::text::sanitize_line;
use crate::domain::updates::{
    ComponentStatus, StatuspageChannel, StatuspagePublished, statuspage_impact, statuspage_status,
};
use crate::net::{HttpClient, NetError, RequestOptions, Secret};

/// The API's limit: one request per second per key.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// How many times one send retries after 420/429.
const MAX_RETRIES: u32 = 4;

/// When each key (by hash; the key itself is not kept) may send next.
static NEXT_SLOT: LazyLock<Mutex<HashMap<u64, tokio::time::Instant>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn key_hash(key: &Secret) -> u64 {
    let mut h = DefaultHasher::new();
    key.expose().hash(&mut h);
    h.finish()
}

/// Waits until this key may send (at most one request per [`MIN_INTERVAL`]), and books the
/// slot after it.
async fn wait_turn(key: &Secret) {
    let at = {
        let mut slots = NEXT_SLOT.lock().unwrap_or_else(|p| p.into_inner());
        let now = tokio::time::Instant::now();
        let slot = slots.get(&key_hash(key)).map_or(now, |t| (*t).max(now));
        slots.insert(key_hash(key), slot + MIN_INTERVAL);
        slot
    };
    tokio::time::sleep_until(at).await;
}

/// Pushes this key's next slot to at least `delay` from now (after a throttling answer).
fn hold_off(key: &Secret, delay: Duration) {
    let mut slots = NEXT_SLOT.lock().unwrap_or_else(|p| p.into_inner());
    let later = tokio::time::Instant::now() + delay;
    let e = slots.entry(key_hash(key)).or_insert(later);
    *e = (*e).max(later);
}

/// The status each listed component gets: the one chosen in the composer (or with
/// `--component`), else the default for the severity.
pub fn component_statuses(
    channel: &str,
    ch: &StatuspageChannel,
    m: &Outgoing,
) -> Vec<(String, String, ComponentStatus)> {
    let chosen = m.components.get(channel);
    ch.components
        .iter()
        .map(|(name, id)| {
            let st = chosen
                .and_then(|c| c.get(name))
                .copied()
                .unwrap_or_else(|| ComponentStatus::default_for(m.severity, m.status));
            (name.clone(), id.clone(), st)
        })
        .collect()
}

/// The request for this send: create (POST) or update (PATCH) and its body.
pub fn request(channel: &str, ch: &StatuspageChannel, m: &Outgoing) -> (Method, String, Value) {
    let mut incident = Map::new();
    let existing = m.statuspage.get(&ch.page_id);
    if existing.is_none() {
        incident.insert("name".into(), json!(sanitize_line(&m.title, 255)));
        incident.insert(
            "impact_override".into(),
            json!(statuspage_impact(m.severity)),
        );
    }
    incident.insert("status".into(), json!(statuspage_status(m.status)));
    incident.insert("body".into(), json!(m.text));
    let comps = component_statuses(channel, ch, m);
    if !comps.is_empty() {
        incident.insert(
            "component_ids".into(),
            json!(comps.iter().map(|c| c.1.clone()).collect::<Vec<_>>()),
        );
        let map: Map<String, Value> = comps
            .iter()
            .map(|(_, id, st)| (id.clone(), json!(st.as_str())))
            .collect();
        incident.insert("components".into(), Value::Object(map));
    }
    let base = format!("{}/pages/{}/incidents", ch.base_url, ch.page_id);
    let (method, url) = match existing {
        Some(id) => (Method::PATCH, format!("{base}/{id}")),
        None => (Method::POST, base),
    };
    (method, url, json!({ "incident": incident }))
}

/// What `--dry-run` shows: the request line, the headers (key masked) and the body.
pub fn preview(channel: &str, ch: &StatuspageChannel, m: &Outgoing) -> String {
    let (method, url, body) = request(channel, ch, m);
    let key = match load_secret(&ch.api_key, "API key") {
        Ok(_) => "***".to_string(),
        Err(e) => format!("*** NOT READABLE: {e}"),
    };
    format!(
        "{method} {url}\nAuthorization: OAuth {key} (from {})\nContent-Type: application/json\n{}",
        ch.api_key.describe(),
        serde_json::to_string_pretty(&body).unwrap_or_default()
    )
}

fn refused(status: u16, excerpt: &str, ch: &StatuspageChannel) -> ChannelError {
    let hint = match status {
        401 => format!(
            "the API key (from {}) was refused: check it is current",
            ch.api_key.describe()
        ),
        403 => "the key's user may not manage incidents on this page: give it the page role"
            .to_string(),
        404 => format!(
            "no page {} (or the incident was deleted): check page_id and base_url",
            ch.page_id
        ),
        400..=499 => "the API refused the incident: check components and the text".to_string(),
        _ => "the Statuspage API is failing; retry with :resend in a minute".to_string(),
    };
    let excerpt = if excerpt.is_empty() {
        String::new()
    } else {
        format!(" ({excerpt})")
    };
    ChannelError::Statuspage(format!("HTTP {status}{excerpt}: {hint}"))
}

/// Creates or updates the page's incident; the answer's incident id comes back.
pub async fn publish(
    http: &HttpClient,
    channel: &str,
    ch: &StatuspageChannel,
    m: &Outgoing,
    timeout: Duration,
) -> Result<StatuspagePublished, ChannelError> {
    let key = load_secret(&ch.api_key, "API key")?;
    let (method, url, body) = request(channel, ch, m);
    crate::net::http::check_url(&url).map_err(|_| {
        ChannelError::Statuspage(format!(
            "base_url {} does not make a usable URL: fix it",
            ch.base_url
        ))
    })?;
    let client = http.without_retries();
    let deadline = tokio::time::Instant::now() + timeout;
    let scrub = |s: &str| sanitize_line(&key.scrub(s), 160);
    let mut tries = 0;
    loop {
        wait_turn(&key).await;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(ChannelError::Timeout(crate::net::http::fmt_duration(
                timeout,
            )));
        }
        let req = client
            .request(method.clone(), &url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("OAuth {}", key.expose()),
            )
            .json(&body);
        let opts = RequestOptions {
            timeout: left,
            max_body: 1024 * 1024,
            conditional: false,
            retry_unavailable: true,
        };
        let throttled = match client.send_any_status(req, &url, &opts).await {
            Ok(resp) if resp.is_success() => {
                let v: Value = resp.json().map_err(|_| {
                    ChannelError::Statuspage(
                        "the API answered without an incident (not JSON); check base_url".into(),
                    )
                })?;
                let id = v["id"].as_str().unwrap_or_default().to_string();
                if !plain_id(&id) {
                    return Err(ChannelError::Statuspage(
                        "the API's answer has no usable incident id; check base_url".into(),
                    ));
                }
                return Ok(StatuspagePublished {
                    channel: channel.to_string(),
                    page_id: ch.page_id.clone(),
                    incident_id: id,
                    status: statuspage_status(m.status).to_string(),
                });
            }
            Ok(resp) if resp.status == 420 || resp.status == 429 => (
                resp.status,
                resp.headers
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        crate::net::http::parse_retry_after(v, std::time::SystemTime::now())
                    }),
            ),
            Ok(resp) => return Err(refused(resp.status, &scrub(&resp.excerpt()), ch)),
            Err(NetError::Throttled {
                status,
                retry_after,
                ..
            }) => (status, retry_after),
            Err(NetError::Timeout { .. }) => {
                return Err(ChannelError::Timeout(crate::net::http::fmt_duration(
                    timeout,
                )));
            }
            Err(NetError::Connect { .. }) | Err(NetError::Transfer { .. }) => {
                return Err(ChannelError::Statuspage(format!(
                    "could not connect to {}; check base_url, DNS, proxy and firewall, then retry",
                    ch.base_url
                )));
            }
            Err(e) => return Err(ChannelError::Statuspage(scrub(&e.to_string()))),
        };
        let (status, retry_after) = throttled;
        let delay = retry_after.unwrap_or(MIN_INTERVAL).max(MIN_INTERVAL);
        tries += 1;
        if tries > MAX_RETRIES || tokio::time::Instant::now() + delay >= deadline {
            return Err(ChannelError::Throttled(status));
        }
        tracing::debug!(
            status,
            delay_ms = delay.as_millis() as u64,
            "Statuspage throttled, retrying"
        );
        hold_off(&key, delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::incident::{Severity, Status};
    use crate::domain::updates::SecretRef;

    fn channel() -> StatuspageChannel {
        StatuspageChannel {
            page_id: "pg1".into(),
            api_key: SecretRef::Env("WARROOM_TEST_SURELY_UNSET_KEY".into()),
            base_url: "https://api.statuspage.io/v1".into(),
            components: [("Email".to_string(), "c1".to_string())].into(),
        }
    }

    #[test]
    fn first_send_creates_later_ones_patch() {
        let mut m = Outgoing::example();
        m.severity = Severity::Sev1;
        m.status = Status::Mitigated;
        let (method, url, body) = request("status", &channel(), &m);
        assert_eq!(method, Method::POST);
        assert_eq!(url, "https://api.statuspage.io/v1/pages/pg1/incidents");
        assert_eq!(body["incident"]["status"], "monitoring");
        assert_eq!(body["incident"]["impact_override"], "critical");
        assert_eq!(body["incident"]["components"]["c1"], "major_outage");
        m.statuspage.insert("pg1".into(), "inc9".into());
        m.components.insert(
            "status".into(),
            [("Email".to_string(), ComponentStatus::DegradedPerformance)].into(),
        );
        let (method, url, body) = request("status", &channel(), &m);
        assert_eq!(method, Method::PATCH);
        assert!(url.ends_with("/pages/pg1/incidents/inc9"), "{url}");
        assert!(body["incident"].get("name").is_none());
        assert_eq!(body["incident"]["components"]["c1"], "degraded_performance");
        let p = preview("status", &channel(), &m);
        assert!(p.starts_with("PATCH https://api.statuspage.io/v1/pages/pg1/incidents/inc9\nAuthorization: OAuth *** NOT READABLE"), "{p}");
    }
}
