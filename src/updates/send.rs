//! Sending an update: all channels at once and independently, each kind in its own module
//! (Teams in `teams`, SMTP in `smtp`, Statuspage in `statuspage`; Slack, the JSON webhook, the
//! file and the clipboard here), and [`preview`], which shows exactly what a send would post.
//!
//! Webhook URLs carry their credential, so no error message, log line or journal entry ever
//! contains one: errors name the channel and where its URL comes from (`$WARROOM_TEAMS_URL`).
//! Passwords and API keys are read from the environment or a file at each send, the same way.

use std::io::Write as _;

use base64::Engine as _;
use serde_json::{Value, json};

use super::outgoing::{ChannelError, Outgoing};
use crate::domain::incident::Incident;
use crate::domain::text::sanitize_line;
use crate::domain::updates::{
    ChannelConfig, ChannelFailure, ChannelKind, StatuspagePublished, TeamsFormat, UrlRef,
};
use crate::net::{HttpClient, NetError, RequestOptions};

/// The Statuspage channels whose page still has an open incident from this one, with that
/// incident's id.
pub fn open_statuspage<'a>(
    channels: &'a [ChannelConfig],
    incident: &Incident,
) -> Vec<(&'a ChannelConfig, String)> {
    let open = incident.comms.open_statuspage();
    channels
        .iter()
        .filter_map(|c| match &c.kind {
            ChannelKind::Statuspage(s) => open
                .iter()
                .find(|p| p.page_id == s.page_id)
                .map(|p| (c, p.incident_id.clone())),
            _ => None,
        })
        .collect()
}

/// The last update on a Statuspage incident when ours is closed: the closing summary.
pub fn resolution_text(incident: &Incident) -> String {
    match incident
        .closing
        .as_ref()
        .map(|c| c.summary.trim())
        .filter(|s| !s.is_empty())
    {
        Some(s) => format!("Resolved: {s}"),
        None => "This incident has been resolved.".to_string(),
    }
}

/// Slack's incoming-webhook body: `{"text": ...}` with `&`, `<` and `>` escaped as Slack asks.
pub fn slack_payload(m: &Outgoing) -> Value {
    let text = m
        .text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    json!({ "text": text })
}

/// The generic webhook body: exactly these six fields.
pub fn webhook_payload(m: &Outgoing) -> Value {
    json!({
        "incident": m.incident,
        "severity": m.severity.as_str(),
        "status": m.status.as_str(),
        "title": m.title,
        "text": m.text,
        "sent_at": m.sent_at_text(),
    })
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    )
}

/// Where a URL comes from, for messages: `$VAR`, the file's path, or `the config`.
fn origin(u: &UrlRef) -> String {
    match u {
        UrlRef::Env(v) => format!("${v}"),
        UrlRef::File(p) => p.display().to_string(),
        UrlRef::Literal(_) => "the config".into(),
    }
}

fn resolve_url(u: &UrlRef) -> Result<String, ChannelError> {
    let url = match u {
        UrlRef::Env(v) => std::env::var(v)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ChannelError::MissingEnv(v.clone()))?,
        UrlRef::File(p) => {
            crate::net::secret::read_secret(None, Some(p)).map_err(|e| ChannelError::UrlFile {
                path: p.display().to_string(),
                detail: match e {
                    crate::net::secret::SecretReadError::File(why) => why,
                    _ => "it is not valid UTF-8".to_string(),
                },
            })?
        }
        UrlRef::Literal(s) => s.clone(),
    };
    let url = url.trim().to_string();
    crate::net::http::check_url(&url).map_err(|_| ChannelError::BadUrl(origin(u)))?;
    Ok(url)
}

/// Turns a transport error into a message without the URL.
fn describe(e: NetError, url: &str, from: &str) -> ChannelError {
    match e {
        NetError::Status {
            status, excerpt, ..
        } => {
            let excerpt = excerpt.replace(url, "<url>");
            ChannelError::Refused {
                status,
                excerpt: if excerpt.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", sanitize_line(&excerpt, 120))
                },
                origin: from.to_string(),
            }
        }
        NetError::Throttled { status, .. } => ChannelError::Throttled(status),
        NetError::Timeout { after, .. } => {
            ChannelError::Timeout(crate::net::http::fmt_duration(after))
        }
        NetError::Connect { .. } | NetError::Transfer { .. } => {
            ChannelError::Connect(from.to_string())
        }
        NetError::BadUrl { .. } => ChannelError::BadUrl(from.to_string()),
        _ => ChannelError::Other("the service's answer could not be read; retry".into()),
    }
}

async fn post_json(
    http: &HttpClient,
    u: &UrlRef,
    body: &Value,
    timeout: std::time::Duration,
) -> Result<(), ChannelError> {
    let url = resolve_url(u)?;
    let from = origin(u);
    let req = http.request(reqwest::Method::POST, &url).json(body);
    let opts = RequestOptions {
        timeout,
        max_body: 64 * 1024,
        conditional: false,
        retry_unavailable: true,
    };
    http.send(req, &url, &opts)
        .await
        .map(|_| ())
        .map_err(|e| describe(e, &url, &from))
}

/// What the file channel appends: a header line, the text, a blank line.
fn file_block(m: &Outgoing) -> String {
    format!(
        "=== {} · {} · {} · {} · {}\n{}\n\n",
        m.sent_at_text(),
        m.incident,
        m.severity.label(),
        m.status.label(),
        m.template,
        m.text
    )
}

fn append_file(path: &std::path::Path, m: &Outgoing) -> Result<(), ChannelError> {
    let err = |e: std::io::Error| ChannelError::File {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(file_block(m).as_bytes()).map_err(err)?;
    f.sync_data().map_err(err)
}

/// Writes the OSC 52 sequence to the controlling terminal (for the command line; the console
/// writes it through its own terminal instead).
pub fn clipboard_to_tty(text: &str) -> Result<(), ChannelError> {
    let mut tty = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/tty")
        .map_err(|_| ChannelError::NoTerminal)?;
    tty.write_all(osc52(text).as_bytes())
        .and_then(|_| tty.flush())
        .map_err(|_| ChannelError::NoTerminal)
}

/// The Teams body for the channel's format.
pub fn teams_body(format: TeamsFormat, m: &Outgoing) -> Value {
    match format {
        TeamsFormat::AdaptiveCard => super::teams::adaptive_card_payload(m),
        TeamsFormat::MessageCard => super::teams::message_card_payload(m),
    }
}

/// Sends to one channel; a Statuspage channel says which incident it created or updated.
pub async fn send_one(
    http: &HttpClient,
    ch: &ChannelConfig,
    m: &Outgoing,
) -> Result<Option<StatuspagePublished>, ChannelError> {
    match &ch.kind {
        ChannelKind::Teams(t) => {
            post_json(http, &t.url, &teams_body(t.format, m), ch.timeout).await?;
        }
        ChannelKind::Slack(u) => post_json(http, u, &slack_payload(m), ch.timeout).await?,
        ChannelKind::Webhook(u) => post_json(http, u, &webhook_payload(m), ch.timeout).await?,
        ChannelKind::Smtp(s) => super::smtp::send_mail(s, m, ch.timeout).await?,
        ChannelKind::Statuspage(s) => {
            return super::statuspage::publish(http, &ch.name, s, m, ch.timeout)
                .await
                .map(Some);
        }
        ChannelKind::File(p) => {
            let p = p.clone();
            let m = m.clone();
            tokio::task::spawn_blocking(move || append_file(&p, &m))
                .await
                .unwrap_or_else(|e| Err(ChannelError::Other(format!("the write crashed: {e}"))))?;
        }
        ChannelKind::Clipboard => clipboard_to_tty(&m.text)?,
    }
    Ok(None)
}

/// Exactly what a send on `ch` would post, with credentials masked: the method and where the
/// URL comes from (never the URL of a webhook), then the body; for SMTP the relay, the login,
/// the envelope and the whole message.
pub fn preview(ch: &ChannelConfig, m: &Outgoing) -> Result<String, ChannelError> {
    let json_post = |u: &UrlRef, body: Value| {
        let status = match resolve_url(u) {
            Ok(_) => String::new(),
            Err(e) => format!(" (NOT USABLE: {e})"),
        };
        format!(
            "POST to the URL in {}{status}\nContent-Type: application/json\n{}",
            origin(u),
            serde_json::to_string_pretty(&body).unwrap_or_default()
        )
    };
    Ok(match &ch.kind {
        ChannelKind::Teams(t) => json_post(&t.url, teams_body(t.format, m)),
        ChannelKind::Slack(u) => json_post(u, slack_payload(m)),
        ChannelKind::Webhook(u) => json_post(u, webhook_payload(m)),
        ChannelKind::Smtp(s) => super::smtp::preview(s, m)?,
        ChannelKind::Statuspage(s) => super::statuspage::preview(&ch.name, s, m),
        ChannelKind::File(p) => format!("append to {}\n{}", p.display(), file_block(m)),
        ChannelKind::Clipboard => format!(
            "OSC 52 to the terminal ({} bytes of base64)\n{}",
            osc52(&m.text).len().saturating_sub(9),
            m.text
        ),
    })
}

/// What happened on each channel, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendReport {
    pub ok: Vec<String>,
    pub failed: Vec<ChannelFailure>,
    /// Statuspage incidents created or updated.
    pub published: Vec<StatuspagePublished>,
}

impl SendReport {
    /// Adds `other`'s results after this one's.
    pub fn merge(mut self, other: SendReport) -> SendReport {
        self.ok.extend(other.ok);
        self.failed.extend(other.failed);
        self.published.extend(other.published);
        self
    }
}

/// Sends to every channel at once; a failing one does not hold up or stop the others.
pub async fn send_all(http: &HttpClient, channels: &[ChannelConfig], m: &Outgoing) -> SendReport {
    let results = futures::future::join_all(channels.iter().map(|ch| send_one(http, ch, m))).await;
    let mut report = SendReport::default();
    for (ch, r) in channels.iter().zip(results) {
        match r {
            Ok(published) => {
                report.ok.push(ch.name.clone());
                report.published.extend(published);
            }
            Err(e) => {
                tracing::warn!(channel = %ch.name, "update not sent: {e}");
                report.failed.push(ChannelFailure {
                    channel: ch.name.clone(),
                    error: e.to_string(),
                })
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> Outgoing {
        Outgoing::example()
    }

    #[test]
    fn payload_shapes() {
        let w = webhook_payload(&msg());
        let keys: Vec<&String> = w.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 6);
        assert_eq!(w["sent_at"], "2026-11-30T14:03:00Z");
        assert_eq!(w["severity"], "sev2");
        assert_eq!(w["status"], "identified");
        assert_eq!(
            slack_payload(&msg())["text"],
            "line one\nA &amp; B &lt;c&gt;"
        );
        let t = teams_body(TeamsFormat::MessageCard, &msg());
        assert_eq!(t["text"], "line one\n\nA & B <c>");
        assert_eq!(t["title"], "[SEV2] Identified: EXO <mail> delayed");
    }

    #[test]
    fn osc52_is_base64() {
        assert_eq!(osc52("hi"), "\x1b]52;c;aGk=\x07");
    }

    #[test]
    fn errors_never_carry_the_url() {
        let url = "https://hooks.example.invalid/services/T000/B000/SECRETSECRET";
        for e in [
            NetError::Status {
                url: url.into(),
                status: 404,
                excerpt: format!("no hook at {url}"),
            },
            NetError::Connect {
                url: url.into(),
                detail: format!("error sending request for url ({url})"),
            },
            NetError::Timeout {
                url: url.into(),
                after: std::time::Duration::from_secs(3),
            },
        ] {
            let msg = describe(e, url, "$HOOK").to_string();
            assert!(!msg.contains("SECRET"), "{msg}");
            assert!(!msg.is_empty());
        }
        // A variable nobody sets.
        let e = resolve_url(&UrlRef::Env("WARROOM_TEST_SURELY_UNSET_42".into())).unwrap_err();
        assert!(e.to_string().contains("export it"), "{e}");
        let e = resolve_url(&UrlRef::Literal("ftp://x".into())).unwrap_err();
        assert_eq!(e, ChannelError::BadUrl("the config".into()));
    }
}
