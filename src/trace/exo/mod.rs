//! Exchange Online message trace through Microsoft Graph
//! (`/v1.0/admin/exchange/tracing/messageTraces` and `getDetailsByRecipient`).
//!
//! Rules:
//! - the `$filter` always carries both `receivedDateTime` bounds. The window is the query's
//!   `since..until`, by default the 48 hours before `now`; `until` never lies after `now`, the
//!   start never more than 90 days back (a few minutes are kept in hand so the request is not
//!   refused for being a second too old) and the span never longer than 10 days (the end the
//!   query set is kept). A clamp is reported as a [`ScanMsg::Warning`];
//! - full addresses go to Graph as `senderAddress eq` / `recipientAddress eq`; partial terms
//!   (`@contoso.com`, `contoso`) are applied here, with [`TraceQuery::matches`], as every
//!   other condition is: Graph narrows, the query decides;
//! - `status eq` is sent for the statuses Graph spells one way; `pending` (Graph's `pending` and
//!   `gettingStatus`) and `unknown` are filtered here only;
//! - `@odata.nextLink` is followed verbatim, only to the origin of `base_url` (the bearer token
//!   goes nowhere else), at most [`ExoOptions::max_pages`] pages;
//! - Graph allows 100 message-trace requests per 5 minutes. Every request sent (retries and
//!   token-refresh repeats included) is counted in a sliding window, and a request that would go
//!   past the budget is not sent: [`ExoError::Budget`] says when a slot frees. Keep one
//!   [`ExoTracer`] per source for the life of the console so the count is the real one;
//! - a 429/503/504 is retried after its `Retry-After` (bounded by the shared client's
//!   `max_retries` / `max_retry_delay`); a 401 gets one new token and one more try;
//! - every string from Graph goes through [`sanitize_line`].
//!
//! `plan.rs` turns a query into the request, `budget.rs` counts the requests sent, `client.rs`
//! talks to Graph.

use std::collections::VecDeque;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, SubsecRound, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::text::{FIELD_CAP, sanitize_line};
use crate::domain::trace::{
    TraceEvent, TraceQuery, TraceRow, TraceSourceConfig, TraceSourceKind, TraceStatus,
    normalize_term,
};
use crate::net::http::{fmt_duration, origin_of};
use crate::net::oauth::{ClientCredentials, DEFAULT_AUTHORITY, GRAPH_SCOPE};
use crate::net::{AuthError, HttpClient, NetError, RequestOptions, Secret, TokenCache};

use super::scan::{ScanMsg, ScanWarning};

mod budget;
mod client;
mod plan;

pub use budget::*;
pub use client::*;
pub use plan::*;

/// Requests Graph allows per [`BUDGET_WINDOW_SECS`] on the message-trace endpoints.
pub const BUDGET_LIMIT: usize = 100;
/// The budget's sliding window: 5 minutes.
pub const BUDGET_WINDOW_SECS: u64 = 300;
/// Default window when the query sets neither bound: the previous 48 hours.
pub const DEFAULT_WINDOW_HOURS: i64 = 48;
/// Longest span one query may cover.
pub const MAX_SPAN_DAYS: i64 = 10;
/// Oldest data Graph keeps.
pub const MAX_AGE_DAYS: i64 = 90;
/// Slack kept at the 90-day edge, so a clamped start is still inside the limit when it arrives.
pub const AGE_MARGIN_MINUTES: i64 = 5;
/// Rows per page asked for (`$top`).
pub const PAGE_SIZE: u32 = 1000;
/// The Microsoft app whose service principal must exist in the tenant for message trace.
pub const MESSAGE_TRACE_APP_ID: &str = "8bd644d1-64a1-4d4b-ae52-2e0cbf64e373";
/// Where rows and chain events say they came from.
pub const EXO_SERVER: &str = "exchange-online";

const ADDR_CAP: usize = 512;
const EXCERPT_CAP: usize = 300;

/// Where the tracer gets the time for its request budget.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Settings of an [`ExoTracer`].
#[derive(Debug, Clone)]
pub struct ExoOptions {
    /// Timeout and body cap of each request (a page of 1000 rows is about 0.5 MB).
    pub request: RequestOptions,
    /// Requests allowed per `budget_window`.
    pub budget_limit: usize,
    /// The budget's sliding window.
    pub budget_window: Duration,
    /// Rows per page (`$top`, 1..=5000).
    pub page_size: u32,
    /// Most pages followed by one query.
    pub max_pages: usize,
}

impl Default for ExoOptions {
    fn default() -> Self {
        Self {
            request: RequestOptions {
                timeout: Duration::from_secs(60),
                ..RequestOptions::default()
            },
            budget_limit: BUDGET_LIMIT,
            budget_window: Duration::from_secs(BUDGET_WINDOW_SECS),
            page_size: PAGE_SIZE,
            max_pages: 20,
        }
    }
}

/// What can go wrong with an Exchange Online trace. No variant carries the client secret or an
/// access token; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExoError {
    #[error(
        "trace source {0:?} is not an Exchange Online source; only kind = \"exchange-online\" is queried through Microsoft Graph"
    )]
    NotExchangeOnline(String),
    #[error("trace source {name:?}: {detail}")]
    Config { name: String, detail: String },
    #[error(
        "the identity platform refused a token for trace source {name:?} (HTTP {status}{detail}); check the tenant, client id and secret, and that the app has the ExchangeMessageTrace.Read.All application permission with admin consent"
    )]
    TokenRefused {
        name: String,
        status: u16,
        /// ` code: description`, display-safe, scrubbed by the token cache.
        detail: String,
    },
    #[error("trace source {name:?}: {source}")]
    Auth {
        name: String,
        #[source]
        source: AuthError,
    },
    #[error(
        "Microsoft Graph refused message trace (HTTP {status}{excerpt}); give the app the ExchangeMessageTrace.Read.All application permission with admin consent, and provision the service principal of app id 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 in the tenant (New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373)"
    )]
    Forbidden { status: u16, excerpt: String },
    #[error(
        "Microsoft Graph rejected the message-trace query (HTTP {status}{excerpt}); keep the window within the last 90 days and at most 10 days long, and check the addresses and message id"
    )]
    Rejected { status: u16, excerpt: String },
    #[error(
        "the Exchange Online message-trace budget is used up ({used}/{limit} requests per {window}, the limit Microsoft Graph sets); the next request can go at {} UTC (in {wait}). Narrow the query (shorter window, a sender or recipient) so it needs fewer pages",
        frees_at.format("%H:%M:%S")
    )]
    Budget {
        used: usize,
        limit: usize,
        window: String,
        frees_at: DateTime<Utc>,
        wait: String,
    },
    #[error(
        "Microsoft Graph is throttling message trace (HTTP {status}){}; wait and run the query again",
        retry_after.map(|d| format!(" and asked to retry after {}", fmt_duration(d))).unwrap_or_default()
    )]
    Throttled {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("{0}")]
    Window(String),
    #[error(
        "Microsoft Graph sent a next-page link to another host ({0}); refusing to send the access token there. Check `base_url`"
    )]
    ForeignNextLink(String),
    #[error("{0}")]
    BadArgument(String),
    #[error("message trace: {0}")]
    Net(#[source] NetError),
}

impl ExoError {
    /// The delay Graph asked for, when throttled.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ExoError::Throttled { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Totals of one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExoStats {
    /// The window asked of Graph (after defaults and clamps).
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// HTTP requests sent to the message-trace endpoint (retries included).
    pub requests: usize,
    pub pages: usize,
    /// Rows Graph returned.
    pub rows_received: usize,
    /// Rows that matched the query and went to the sink.
    pub rows: usize,
    pub warnings: usize,
    /// False when paging stopped early (page cap or budget); a warning says why.
    pub complete: bool,
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap()
    }

    #[test]
    fn default_window_is_48_hours_with_both_bounds() {
        let p = plan(&TraceQuery::default(), now()).unwrap();
        assert_eq!(
            p.filter,
            "receivedDateTime ge 2026-03-01T00:00:00Z and receivedDateTime le 2026-03-03T00:00:00Z"
        );
        assert!(p.clamps.is_empty());
    }

    #[test]
    fn terms_go_to_graph_only_when_graph_can_take_them() {
        let q = TraceQuery {
            sender: Some("<CEO@Contoso.com>".into()),
            recipient: Some("@contoso.com".into()),
            message_id: Some("0d7F@contoso.com".into()),
            subject_contains: Some(" Bob's draft ".into()),
            status: Some(TraceStatus::FilteredAsSpam),
            ..Default::default()
        };
        let f = plan(&q, now()).unwrap().filter;
        assert!(f.contains(" and senderAddress eq 'ceo@contoso.com'"), "{f}");
        assert!(!f.contains("recipientAddress"), "partial term: {f}");
        assert!(f.contains("messageId eq '<0d7F@contoso.com>'"), "{f}");
        assert!(f.contains("contains(subject,'Bob''s draft')"), "{f}");
        assert!(f.contains("status eq 'filteredAsSpam'"), "{f}");
        let pending = TraceQuery {
            status: Some(TraceStatus::Pending),
            recipient: Some("ops@contoso.com".into()),
            ..Default::default()
        };
        let f = plan(&pending, now()).unwrap().filter;
        assert!(!f.contains("status"), "pending is two Graph values: {f}");
        assert!(f.ends_with("recipientAddress eq 'ops@contoso.com'"), "{f}");
    }

    #[test]
    fn window_is_clamped_to_ten_days_and_ninety_days_back() {
        // Both bounds set, 20 days apart: the end is kept.
        let q = TraceQuery {
            since: Some(now() - TimeDelta::days(25)),
            until: Some(now() - TimeDelta::days(5)),
            ..Default::default()
        };
        let p = plan(&q, now()).unwrap();
        assert_eq!(p.until, now() - TimeDelta::days(5));
        assert_eq!(p.since, now() - TimeDelta::days(15));
        assert_eq!(p.clamps.len(), 1);
        assert!(p.clamps[0].contains("at most 10 days"), "{:?}", p.clamps);
        // Only `since`, 100 days back: start clamped to 90 days, then the span from the start.
        let q = TraceQuery {
            since: Some(now() - TimeDelta::days(100)),
            ..Default::default()
        };
        let p = plan(&q, now()).unwrap();
        let oldest = now() - TimeDelta::days(90) + TimeDelta::minutes(AGE_MARGIN_MINUTES);
        assert_eq!(p.since, oldest);
        assert_eq!(p.until, oldest + TimeDelta::days(10));
        assert_eq!(p.clamps.len(), 2, "{:?}", p.clamps);
        // A future end is now; sub-seconds are dropped.
        let q = TraceQuery {
            since: Some(now() - TimeDelta::hours(1) + TimeDelta::milliseconds(300)),
            until: Some(now() + TimeDelta::hours(1)),
            ..Default::default()
        };
        let p = plan(&q, now()).unwrap();
        assert_eq!((p.since, p.until), (now() - TimeDelta::hours(1), now()));
        assert!(p.clamps.is_empty());
    }

    #[test]
    fn impossible_windows_say_what_to_do() {
        let q = TraceQuery {
            since: Some(now() + TimeDelta::hours(1)),
            ..Default::default()
        };
        let e = plan(&q, now()).unwrap_err().to_string();
        assert!(e.contains("put `since` before `until`"), "{e}");
        let q = TraceQuery {
            until: Some(now() - TimeDelta::days(91)),
            ..Default::default()
        };
        let e = plan(&q, now()).unwrap_err().to_string();
        assert!(e.contains("90 days"), "{e}");
    }

    #[test]
    fn budget_slides() {
        let mut b = RequestBudget::new(3, Duration::from_secs(300));
        let t0 = now();
        for i in 0..3 {
            b.acquire(t0 + TimeDelta::seconds(i * 10)).unwrap();
        }
        let snap = b.snapshot(t0 + TimeDelta::seconds(30));
        assert_eq!(snap.used, 3);
        assert_eq!(snap.remaining(), 0);
        assert_eq!(snap.resets_at, Some(t0 + TimeDelta::seconds(300)));
        let err = b.acquire(t0 + TimeDelta::seconds(60)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("3/3 requests per 5 min"), "{msg}");
        assert!(msg.contains("at 00:05:00 UTC (in 240 s)"), "{msg}");
        assert_eq!(
            b.snapshot(t0 + TimeDelta::seconds(60)).used,
            3,
            "refusal not counted"
        );
        // The first request leaves the window at t0 + 300 s.
        b.acquire(t0 + TimeDelta::seconds(300)).unwrap();
        let snap = b.snapshot(t0 + TimeDelta::seconds(300));
        assert_eq!(snap.used, 3);
        assert_eq!(snap.resets_at, Some(t0 + TimeDelta::seconds(310)));
        assert_eq!(
            b.snapshot(t0 + TimeDelta::seconds(1000)).to_string(),
            "EXO budget 0/3 per 5 min"
        );
    }

    #[test]
    fn rows_are_mapped_and_sanitized() {
        let v = serde_json::json!({
            "id": "a3f6", "senderAddress": "a@x", "recipientAddress": "b@y",
            "messageId": "<m@x>", "receivedDateTime": "2026-03-02T13:12:41Z",
            "subject": "Hi \u{1b}[31mthere\u{7}", "status": "recalled"
        });
        let r = to_row(v, "exo").unwrap();
        assert_eq!(r.subject, "Hi there");
        assert_eq!(r.status, TraceStatus::Unknown);
        assert_eq!((r.key.as_str(), r.source.as_str()), ("a3f6", "exo"));
        assert!(r.reply.is_empty());
        let bad = serde_json::json!({"id": "x", "receivedDateTime": "yesterday"});
        assert!(to_row(bad, "exo").unwrap_err().contains("receivedDateTime"));
    }

    #[test]
    fn encoding_keeps_odata_readable() {
        assert_eq!(
            pct(
                "receivedDateTime ge 2026-03-01T00:00:00Z and contains(subject,'a&b')",
                b"'(),:@"
            ),
            "receivedDateTime%20ge%202026-03-01T00:00:00Z%20and%20contains(subject,'a%26b')"
        );
        assert_eq!(pct("'a+b@x'", b"'@"), "'a%2Bb@x'");
    }
}
