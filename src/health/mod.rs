//! Live service health: one module per source kind (each a pure `parse` plus an async fetch over
//! [`crate::net`]), [`poll_source`] for a one-shot poll, the background pollers
//! ([`spawn_pollers`]) and [`feed_json`] for `warroom feed --json`.
//!
//! Every text that comes from a source goes through HTML→text (where it is HTML) and
//! [`crate::domain::text::sanitize`] before it reaches a [`SourceSnapshot`].

pub mod feed;
pub mod google;
pub mod graph;
mod poller;
pub mod queue;
pub mod smtp;
pub mod statuspage;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::domain::health::{HealthItem, HealthSourceConfig, Level, SourceKind, SourceSnapshot};
use crate::domain::text::{BODY_CAP, sanitize, sanitize_line};
use crate::net::{AuthError, HttpClient, NetError, RequestOptions, TokenCache};

pub use poller::{PollResult, PollerHandle, PollerOptions, spawn_pollers, spawn_pollers_with};

/// Longest title kept from a source.
pub const TITLE_CAP: usize = 300;
/// Longest status text kept from a source.
pub const STATUS_CAP: usize = 200;
/// Longest HTML fed to the HTML→text converter (the rest is dropped before conversion).
const HTML_INPUT_CAP: usize = 4 * BODY_CAP;

/// What one successful poll produced, before it becomes a [`SourceSnapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// Overall level.
    pub level: Level,
    /// Items.
    pub items: Vec<HealthItem>,
}

/// A document did not have the expected shape.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "could not read the {what} document ({detail}); check that the source URL points at the right endpoint"
)]
pub struct ParseError {
    /// What document, e.g. `Statuspage summary.json`.
    pub what: &'static str,
    /// Parser diagnostics, display-safe.
    pub detail: String,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, detail: impl std::fmt::Display) -> Self {
        Self {
            what,
            detail: sanitize_line(&detail.to_string(), 300),
        }
    }
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// HTTP trouble.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Token trouble.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The document was not what we expected.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The source said something we refuse to act on.
    #[error("{0}")]
    Refused(String),
    /// A queue source's command failed, hung, printed too much or printed something unreadable.
    #[error("{0}")]
    Command(String),
    /// The whole poll took too long.
    #[error(
        "the poll did not finish within {}; the source is too slow: raise `timeout` for it or check the network",
        crate::net::http::fmt_duration(*.0)
    )]
    Deadline(Duration),
}

impl SourceError {
    /// The delay a throttling server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::Net(e) => e.retry_after(),
            SourceError::Auth(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// A clock, injectable for tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What a source keeps between polls: the shared HTTP client, its token cache (Graph), the last
/// snapshot (so a failure keeps the previous items) and the clock.
pub struct SourceContext {
    http: HttpClient,
    tokens: Option<Arc<TokenCache>>,
    previous: Option<SourceSnapshot>,
    clock: Clock,
}

impl std::fmt::Debug for SourceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceContext")
            .field("tokens", &self.tokens)
            .field("previous", &self.previous.as_ref().map(|p| &p.name))
            .finish_non_exhaustive()
    }
}

impl SourceContext {
    /// A fresh context over a shared client, with the system clock.
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            tokens: None,
            previous: None,
            clock: Arc::new(Utc::now),
        }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The last snapshot produced with this context.
    pub fn previous(&self) -> Option<&SourceSnapshot> {
        self.previous.as_ref()
    }

    /// The current time according to the context's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }
}

/// Per-request options for a source.
pub fn request_options(cfg: &HealthSourceConfig, conditional: bool) -> RequestOptions {
    RequestOptions {
        timeout: cfg.timeout,
        max_body: cfg.max_body,
        conditional,
        retry_unavailable: true,
    }
}

/// Polls one source once and returns its snapshot, within twice the source's `timeout` (a
/// throttling answer whose `Retry-After` does not fit ends the poll as `throttled: retry after
/// N s`). Never fails: an error travels in `last_error`, with the previous items kept.
pub async fn poll_source(cfg: &HealthSourceConfig, ctx: &mut SourceContext) -> SourceSnapshot {
    poll_source_detailed(cfg, ctx).await.0
}

/// Like [`poll_source`] but also says how long a throttling server asked us to wait and whether
/// the poll failed (the poller uses both for its back-off).
pub(crate) async fn poll_source_detailed(
    cfg: &HealthSourceConfig,
    ctx: &mut SourceContext,
) -> (SourceSnapshot, Option<Duration>, bool) {
    // The same bound as one HTTP request with its retries (see `crate::net::http`).
    let deadline = cfg.timeout.saturating_mul(2);
    let result = match tokio::time::timeout(deadline, poll_once(cfg, ctx)).await {
        Ok(r) => r,
        Err(_) => Err(SourceError::Deadline(deadline)),
    };
    let now = ctx.now();
    let kind = cfg.kind.name();
    let (snapshot, retry_after, failed) = match result {
        Ok((report, queue)) => (
            SourceSnapshot {
                name: cfg.name.clone(),
                kind: kind.to_string(),
                level: report.level,
                items: report.items,
                last_success: Some(now),
                last_error: None,
                polled_at: now,
                queue,
            },
            None,
            false,
        ),
        Err(e) => {
            let message = sanitize_line(&e.to_string(), 1000);
            tracing::warn!(source = %cfg.name, error = %message, "health poll failed");
            (
                SourceSnapshot::failed(&cfg.name, kind, ctx.previous.as_ref(), message, now),
                e.retry_after(),
                true,
            )
        }
    };
    ctx.previous = Some(snapshot.clone());
    (snapshot, retry_after, failed)
}

async fn poll_once(
    cfg: &HealthSourceConfig,
    ctx: &mut SourceContext,
) -> Result<(SourceReport, Option<crate::domain::queue::QueueSummary>), SourceError> {
    let now = ctx.now();
    if cfg.kind.queue().is_some() {
        let (level, summary) = queue::poll(cfg, now).await?;
        let report = SourceReport {
            level,
            items: Vec::new(),
        };
        return Ok((report, Some(summary)));
    }
    poll_service(cfg, ctx, now).await.map(|r| (r, None))
}

async fn poll_service(
    cfg: &HealthSourceConfig,
    ctx: &mut SourceContext,
    now: DateTime<Utc>,
) -> Result<SourceReport, SourceError> {
    match &cfg.kind {
        SourceKind::Graph(g) => graph::fetch(cfg, g, ctx).await,
        SourceKind::Statuspage(s) => {
            let url = format!("{}/api/v2/summary.json", s.url.trim_end_matches('/'));
            let resp = ctx.http.get(&url, &request_options(cfg, true)).await?;
            Ok(statuspage::parse(&resp.body, now)?)
        }
        SourceKind::Feed(s) => {
            let resp = ctx.http.get(&s.url, &request_options(cfg, true)).await?;
            Ok(feed::parse(&resp.body, now)?)
        }
        SourceKind::Google(s) => {
            let resp = ctx.http.get(&s.url, &request_options(cfg, true)).await?;
            Ok(google::parse(&resp.body, now)?)
        }
        SourceKind::Smtp(s) => Ok(smtp::probe(s, cfg.timeout, now).await),
        SourceKind::PostfixQueue(_) | SourceKind::CommandQueue(_) => Err(SourceError::Refused(
            "a queue source has no service document".into(),
        )),
    }
}

/// Turns a source's HTML (or plain text that a source labels as HTML) into sanitised plain text.
pub fn html_to_text(input: &str) -> String {
    // Escapes are stripped before conversion too: the converter drops a bare ESC but would keep
    // the rest of the sequence (`[2J`) as text.
    let pre = sanitize(cap_str(input, HTML_INPUT_CAP), HTML_INPUT_CAP);
    let input = pre.as_str();
    let looks_like_html = input.contains('<') || input.contains("&");
    let text = if looks_like_html {
        html2text::config::plain_no_decorate()
            .string_from_read(input.as_bytes(), 100_000)
            .unwrap_or_else(|_| input.to_string())
    } else {
        input.to_string()
    };
    let cleaned = sanitize(&text, BODY_CAP);
    // html2text keeps trailing spaces and runs of blank lines; tidy them.
    let mut out = String::with_capacity(cleaned.len());
    let mut blank = 0;
    for line in cleaned.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out.trim().to_string()
}

/// A one-line sanitised field (title, status, service).
pub fn clean_line(input: &str, max: usize) -> String {
    sanitize_line(cap_str(input, max * 4), max)
}

fn cap_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// Parses an RFC 3339 timestamp with any precision and offset.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The JSON document of `warroom feed --json`:
/// `{"sources":[{"name","kind","level","ok","error","last_success","items":[{"id","title",
/// "service","level","status","started","updated","resolved","updates":[{"at","text"}]}]}]}`;
/// a queue source adds `"queue"` (see [`queue_json`]; `null` when its listing failed).
pub fn feed_json(snapshots: &[SourceSnapshot]) -> serde_json::Value {
    use serde_json::{Value, json};
    let time = |t: Option<DateTime<Utc>>| match t {
        Some(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => Value::Null,
    };
    let sources: Vec<Value> = snapshots
        .iter()
        .map(|s| {
            let items: Vec<Value> = s
                .items
                .iter()
                .map(|i| {
                    let updates: Vec<Value> = i
                        .updates
                        .iter()
                        .map(|u| json!({"at": time(Some(u.at)), "text": u.text}))
                        .collect();
                    json!({
                        "id": i.id,
                        "title": i.title,
                        "service": i.service,
                        "level": i.level.as_str(),
                        "status": i.status,
                        "started": time(i.started),
                        "updated": time(i.updated),
                        "resolved": time(i.resolved),
                        "updates": updates,
                    })
                })
                .collect();
            let mut source = json!({
                "name": s.name,
                "kind": s.kind,
                "level": s.level.as_str(),
                "ok": s.last_error.is_none(),
                "error": s.last_error,
                "last_success": time(s.last_success),
                "items": items,
            });
            if crate::domain::health::is_queue_kind(&s.kind) {
                source["queue"] = s.queue.as_ref().map_or(Value::Null, queue_json);
            }
            source
        })
        .collect();
    json!({ "sources": sources })
}

/// A queue source's listing in `warroom feed --json`: `{"total","by_queue":{"deferred":N,…},
/// "waiting","oldest_seconds","top_reasons":[{"reason","count"}],"top_domains":[{"domain",
/// "count"}],"skipped_lines","threshold"}` (`threshold` names the threshold crossed, or null).
pub fn queue_json(q: &crate::domain::queue::QueueSummary) -> serde_json::Value {
    use serde_json::json;
    let reasons: Vec<serde_json::Value> = q
        .top_reasons
        .iter()
        .map(|c| json!({"reason": c.key, "count": c.count}))
        .collect();
    let domains: Vec<serde_json::Value> = q
        .top_domains
        .iter()
        .map(|c| json!({"domain": c.key, "count": c.count}))
        .collect();
    json!({
        "total": q.total,
        "by_queue": q.by_queue,
        "waiting": q.waiting,
        "oldest_seconds": q.oldest_seconds,
        "top_reasons": reasons,
        "top_domains": domains,
        "skipped_lines": q.skipped,
        "threshold": q.crossed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_clean_text() {
        let t = html_to_text(
            "Title: X<br><br>Current status: <b>fixing</b>\u{1b}[2J &amp; more<script>alert(1)</script>&#27;]0;t&#7;",
        );
        assert!(t.contains("Title: X"), "{t}");
        assert!(t.contains("Current status: fixing & more"), "{t}");
        // Raw escapes vanish whole; an entity-encoded ESC leaves only inert text behind.
        assert!(!t.contains("[2J"), "{t}");
        assert!(!t.chars().any(|c| c.is_control() && c != '\n'), "{t:?}");
        assert!(!t.contains("alert"), "{t}");
        let plain = html_to_text("a\n\nb");
        assert_eq!(plain, "a\n\nb");
    }

    #[test]
    fn times_with_any_precision() {
        assert!(parse_time("2020-11-12T07:07:38.97Z").is_some());
        assert!(parse_time("2026-03-02T15:41:07.5400000Z").is_some());
        assert_eq!(
            parse_time("2026-03-02T07:22:39.441-06:00").map(|t| t.to_rfc3339()),
            Some("2026-03-02T13:22:39.441+00:00".to_string())
        );
        assert!(parse_time("yesterday").is_none());
    }
}
