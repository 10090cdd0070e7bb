//! Sending an update: one function per channel kind, all channels at once and independently.
//!
//! Webhook URLs carry their credential, so no error message, log line or journal entry ever
//! contains one: errors name the channel and where its URL comes from (`$WARROOM_TEAMS_URL`).

use std::io::Write as _;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::domain::incident::{Incident, Severity, Status};
use crate::domain::text::sanitize_line;
use crate::domain::updates::{ChannelConfig, ChannelFailure, ChannelKind, UrlRef};
use crate::net::{HttpClient, NetError, RequestOptions};

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
}

impl Outgoing {
    pub fn new(incident: &Incident, template: &str, text: &str, sent_at: DateTime<Utc>) -> Self {
        Outgoing {
            incident: incident.id.clone(),
            severity: incident.severity,
            status: incident.status,
            title: incident.title.clone(),
            template: template.to_string(),
            text: text.to_string(),
            sent_at,
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

    fn sent_at_text(&self) -> String {
        self.sent_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// The Teams incoming-webhook body: a MessageCard. Teams shows a lone newline as a space, so
/// each line of the text becomes its own paragraph.
pub fn teams_payload(m: &Outgoing) -> Value {
    let color = match m.severity {
        Severity::Sev1 => "C50F1F",
        Severity::Sev2 => "E8590C",
        Severity::Sev3 => "F2C200",
        Severity::Sev4 => "8A8886",
    };
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": m.subject(),
        "themeColor": color,
        "title": m.subject(),
        "text": m.text.lines().collect::<Vec<_>>().join("\n\n"),
    })
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
    #[error("cannot append to {path}: {detail}")]
    File { path: String, detail: String },
    #[error("no terminal to put the clipboard on (OSC 52 needs one)")]
    NoTerminal,
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
        UrlRef::File(p) => std::fs::read_to_string(p).map_err(|e| ChannelError::UrlFile {
            path: p.display().to_string(),
            detail: e.to_string(),
        })?,
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
    };
    http.send(req, &url, &opts)
        .await
        .map(|_| ())
        .map_err(|e| describe(e, &url, &from))
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
    let block = format!(
        "=== {} · {} · {} · {} · {}\n{}\n\n",
        m.sent_at_text(),
        m.incident,
        m.severity.label(),
        m.status.label(),
        m.template,
        m.text
    );
    f.write_all(block.as_bytes()).map_err(err)?;
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

/// Sends to one channel.
pub async fn send_one(
    http: &HttpClient,
    ch: &ChannelConfig,
    m: &Outgoing,
) -> Result<(), ChannelError> {
    match &ch.kind {
        ChannelKind::Teams(u) => post_json(http, u, &teams_payload(m), ch.timeout).await,
        ChannelKind::Slack(u) => post_json(http, u, &slack_payload(m), ch.timeout).await,
        ChannelKind::Webhook(u) => post_json(http, u, &webhook_payload(m), ch.timeout).await,
        ChannelKind::Smtp(s) => super::smtp::send_mail(s, m, ch.timeout).await,
        ChannelKind::File(p) => {
            let p = p.clone();
            let m = m.clone();
            tokio::task::spawn_blocking(move || append_file(&p, &m))
                .await
                .unwrap_or_else(|e| Err(ChannelError::Other(format!("the write crashed: {e}"))))
        }
        ChannelKind::Clipboard => clipboard_to_tty(&m.text),
    }
}

/// What happened on each channel, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendReport {
    pub ok: Vec<String>,
    pub failed: Vec<ChannelFailure>,
}

impl SendReport {
    /// Adds `other`'s results after this one's.
    pub fn merge(mut self, other: SendReport) -> SendReport {
        self.ok.extend(other.ok);
        self.failed.extend(other.failed);
        self
    }
}

/// Sends to every channel at once; a failing one does not hold up or stop the others.
pub async fn send_all(http: &HttpClient, channels: &[ChannelConfig], m: &Outgoing) -> SendReport {
    let results = futures::future::join_all(channels.iter().map(|ch| send_one(http, ch, m))).await;
    let mut report = SendReport::default();
    for (ch, r) in channels.iter().zip(results) {
        match r {
            Ok(()) => report.ok.push(ch.name.clone()),
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
    use chrono::TimeZone;

    fn msg() -> Outgoing {
        Outgoing {
            incident: "inc-1".into(),
            severity: Severity::Sev2,
            status: Status::Identified,
            title: "EXO <mail> delayed".into(),
            template: "internal".into(),
            text: "line one\nA & B <c>".into(),
            sent_at: Utc.with_ymd_and_hms(2026, 11, 30, 14, 3, 0).unwrap(),
        }
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
        let t = teams_payload(&msg());
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
