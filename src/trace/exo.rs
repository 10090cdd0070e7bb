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

/// The request budget as the pane shows it: `EXO budget 7/100 per 5 min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests sent within the window ending now.
    pub used: usize,
    pub limit: usize,
    pub window_secs: u64,
    /// When the oldest counted request leaves the window (a slot frees); `None` when none is
    /// counted.
    pub resets_at: Option<DateTime<Utc>>,
}

impl Budget {
    /// Requests that may still be sent now.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used)
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EXO budget {}/{} per {}",
            self.used,
            self.limit,
            fmt_window(self.window_secs)
        )
    }
}

fn fmt_window(secs: u64) -> String {
    if secs > 0 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// A sliding-window request counter.
#[derive(Debug, Clone)]
struct RequestBudget {
    limit: usize,
    window: TimeDelta,
    window_secs: u64,
    sent: VecDeque<DateTime<Utc>>,
}

impl RequestBudget {
    fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window: TimeDelta::from_std(window).unwrap_or(TimeDelta::seconds(300)),
            window_secs: window.as_secs(),
            sent: VecDeque::new(),
        }
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        while let Some(&t) = self.sent.front() {
            if t + self.window <= now {
                self.sent.pop_front();
            } else {
                break;
            }
        }
    }

    fn snapshot(&self, now: DateTime<Utc>) -> Budget {
        let live: Vec<DateTime<Utc>> = self
            .sent
            .iter()
            .copied()
            .filter(|t| *t + self.window > now)
            .collect();
        Budget {
            used: live.len(),
            limit: self.limit,
            window_secs: self.window_secs,
            resets_at: live.iter().min().map(|t| *t + self.window),
        }
    }

    /// Counts one request at `now`, or says why it may not be sent.
    fn acquire(&mut self, now: DateTime<Utc>) -> Result<(), ExoError> {
        self.prune(now);
        if self.sent.len() >= self.limit {
            let frees_at = self
                .sent
                .iter()
                .min()
                .map(|t| *t + self.window)
                .unwrap_or(now);
            let wait = (frees_at - now).to_std().unwrap_or_default();
            return Err(ExoError::Budget {
                used: self.sent.len(),
                limit: self.limit,
                window: fmt_window(self.window_secs),
                frees_at,
                wait: fmt_duration(Duration::from_secs(wait.as_secs().max(1))),
            });
        }
        self.sent.push_back(now);
        Ok(())
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

/// What a query asks of Graph: the window and the `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExoPlan {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The `$filter` value, not yet URL-encoded.
    pub filter: String,
    /// One sentence per clamp applied to the window.
    pub clamps: Vec<String>,
}

/// The Graph spelling of a status, for the ones Graph spells one way only.
pub fn graph_status(s: TraceStatus) -> Option<&'static str> {
    match s {
        TraceStatus::Delivered => Some("delivered"),
        TraceStatus::Failed => Some("failed"),
        TraceStatus::Quarantined => Some("quarantined"),
        TraceStatus::FilteredAsSpam => Some("filteredAsSpam"),
        TraceStatus::Expanded => Some("expanded"),
        // `pending` and `gettingStatus` both mean pending here; `unknown` has no Graph value.
        TraceStatus::Pending | TraceStatus::Unknown => None,
    }
}

/// An OData string literal: single quotes doubled.
pub fn odata_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The address when `term` is a full one (`a@b.com`, brackets allowed), lower-cased.
fn full_address(term: &str) -> Option<String> {
    let t = normalize_term(term)?;
    let (local, domain) = t.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || t.chars().any(char::is_whitespace) {
        return None;
    }
    Some(t)
}

fn graph_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Works out the window and the `$filter` for `q` at `now`.
pub fn plan(q: &TraceQuery, now: DateTime<Utc>) -> Result<ExoPlan, ExoError> {
    let now = now.trunc_subsecs(0);
    let oldest = now - TimeDelta::days(MAX_AGE_DAYS) + TimeDelta::minutes(AGE_MARGIN_MINUTES);
    let max_span = TimeDelta::days(MAX_SPAN_DAYS);
    let mut clamps = Vec::new();
    let mut until = q.until.map_or(now, |u| u.trunc_subsecs(0)).min(now);
    let mut since = match q.since {
        Some(s) => s.trunc_subsecs(0),
        None => until - TimeDelta::hours(DEFAULT_WINDOW_HOURS),
    };
    if since > until {
        return Err(ExoError::Window(format!(
            "the window starts ({}) after it ends ({}); put `since` before `until` (and not in the future)",
            graph_time(since),
            graph_time(until)
        )));
    }
    if until < oldest {
        return Err(ExoError::Window(format!(
            "the window ends {}, more than {MAX_AGE_DAYS} days ago; Exchange Online keeps message trace for {MAX_AGE_DAYS} days, so pick a later window",
            graph_time(until)
        )));
    }
    if since < oldest {
        clamps.push(format!(
            "Exchange Online keeps {MAX_AGE_DAYS} days of message trace: the window now starts at {} instead of {}",
            graph_time(oldest),
            graph_time(since)
        ));
        since = oldest;
    }
    if until - since > max_span {
        // Keep the end the query set; with both or neither set, keep the recent end.
        if q.since.is_some() && q.until.is_none() && since + max_span <= until {
            let end = since + max_span;
            clamps.push(format!(
                "Graph traces at most {MAX_SPAN_DAYS} days at a time: the window now ends at {} instead of {}; run another query for the rest",
                graph_time(end),
                graph_time(until)
            ));
            until = end;
        } else {
            let start = until - max_span;
            clamps.push(format!(
                "Graph traces at most {MAX_SPAN_DAYS} days at a time: the window now starts at {} instead of {}; run another query for the rest",
                graph_time(start),
                graph_time(since)
            ));
            since = start;
        }
    }
    let mut terms = vec![
        format!("receivedDateTime ge {}", graph_time(since)),
        format!("receivedDateTime le {}", graph_time(until)),
    ];
    if let Some(a) = q.sender.as_deref().and_then(full_address) {
        terms.push(format!("senderAddress eq {}", odata_string(&a)));
    }
    if let Some(a) = q.recipient.as_deref().and_then(full_address) {
        terms.push(format!("recipientAddress eq {}", odata_string(&a)));
    }
    if let Some(m) = q.message_id.as_deref() {
        let inner = m
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        if !inner.is_empty() {
            terms.push(format!(
                "messageId eq {}",
                odata_string(&format!("<{inner}>"))
            ));
        }
    }
    if let Some(s) = q.subject_contains.as_deref().map(str::trim)
        && !s.is_empty()
    {
        terms.push(format!("contains(subject,{})", odata_string(s)));
    }
    if let Some(s) = q.status.and_then(graph_status) {
        terms.push(format!("status eq {}", odata_string(s)));
    }
    Ok(ExoPlan {
        since,
        until,
        filter: terms.join(" and "),
        clamps,
    })
}

/// Percent-encodes everything but the unreserved characters and `keep`.
fn pct(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One page of a Graph collection; entries are decoded one by one so a bad one is skipped.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    value: Vec<Value>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// An `exchangeMessageTrace`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTrace {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    sender_address: Option<String>,
    #[serde(default)]
    recipient_address: Option<String>,
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    received_date_time: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// An `exchangeMessageTraceDetail`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDetail {
    #[serde(default)]
    date_time: Option<String>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn opt_line(s: &Option<String>, cap: usize) -> String {
    sanitize_line(s.as_deref().unwrap_or(""), cap)
}

/// Maps one Graph entry to a row, or says why it cannot be one.
fn to_row(v: Value, source: &str) -> Result<TraceRow, String> {
    let w: WireTrace = serde_json::from_value(v).map_err(|e| format!("unreadable entry: {e}"))?;
    let raw_time = opt_line(&w.received_date_time, 64);
    let received = parse_time(&raw_time)
        .ok_or_else(|| format!("entry without a usable receivedDateTime ({raw_time:?})"))?;
    let message_id = opt_line(&w.message_id, ADDR_CAP);
    let id = opt_line(&w.id, ADDR_CAP);
    let status_text = opt_line(&w.status, 64);
    Ok(TraceRow {
        received,
        sender: opt_line(&w.sender_address, ADDR_CAP),
        recipient: opt_line(&w.recipient_address, ADDR_CAP),
        subject: opt_line(&w.subject, FIELD_CAP),
        // `recalled`, `unknownFutureValue` and anything newer: unknown.
        status: status_text.parse().unwrap_or(TraceStatus::Unknown),
        reply: String::new(),
        key: if id.is_empty() {
            message_id.clone()
        } else {
            id
        },
        message_id,
        source: source.to_string(),
        deferrals: Vec::new(),
        last_event: None,
        delay_ms: None,
        dsn: String::new(),
    })
}

fn is_defer(event: &str) -> bool {
    event.eq_ignore_ascii_case("defer")
}

fn is_fail(event: &str) -> bool {
    event.eq_ignore_ascii_case("fail") || event.eq_ignore_ascii_case("failed")
}

/// Message trace for one Exchange Online tenant.
pub struct ExoTracer {
    name: String,
    base: String,
    origin: String,
    http: HttpClient,
    tokens: TokenCache,
    options: ExoOptions,
    max_retries: u32,
    max_retry_delay: Duration,
    fallback_retry_delay: Duration,
    budget: RequestBudget,
    clock: Clock,
}

impl fmt::Debug for ExoTracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExoTracer")
            .field("name", &self.name)
            .field("base", &self.base)
            .field("tokens", &self.tokens)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

enum Stop {
    Budget(ExoError),
    Pages,
}

impl ExoTracer {
    /// A tracer for `cfg` (kind `exchange-online`) with the default options.
    pub fn new(cfg: &TraceSourceConfig, http: HttpClient) -> Result<Self, ExoError> {
        Self::with_options(cfg, http, ExoOptions::default())
    }

    /// A tracer with explicit options (a smaller budget, another timeout, …).
    pub fn with_options(
        cfg: &TraceSourceConfig,
        http: HttpClient,
        options: ExoOptions,
    ) -> Result<Self, ExoError> {
        let TraceSourceKind::ExchangeOnline {
            tenant,
            client_id,
            secret,
            base_url,
            token_url,
        } = &cfg.kind
        else {
            return Err(ExoError::NotExchangeOnline(sanitize_line(&cfg.name, 200)));
        };
        let config_err = |detail: String| ExoError::Config {
            name: sanitize_line(&cfg.name, 200),
            detail,
        };
        let base = base_url.trim().trim_end_matches('/').to_string();
        let origin = origin_of(&base).ok_or_else(|| {
            config_err(format!(
                "`base_url` {} is not an absolute http(s) URL; fix it in the config (default https://graph.microsoft.com)",
                sanitize_line(&base, 200)
            ))
        })?;
        let authority = token_url
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_AUTHORITY)
            .to_string();
        if origin_of(&authority).is_none() {
            return Err(config_err(format!(
                "`token_url` {} is not an absolute http(s) URL; fix it in the config (default {DEFAULT_AUTHORITY})",
                sanitize_line(&authority, 200)
            )));
        }
        if options.budget_limit == 0 || options.page_size == 0 || options.max_pages == 0 {
            return Err(config_err(
                "the budget, page size and page cap must be at least 1".to_string(),
            ));
        }
        let creds = ClientCredentials {
            authority,
            tenant: tenant.clone(),
            client_id: client_id.clone(),
            secret: secret.clone().into(),
            scope: GRAPH_SCOPE.to_string(),
        };
        let tokens = TokenCache::new(http.clone(), creds, options.request.clone());
        let o = http.options();
        Ok(Self {
            name: cfg.name.clone(),
            base,
            origin,
            max_retries: o.max_retries,
            max_retry_delay: o.max_retry_delay,
            fallback_retry_delay: o.fallback_retry_delay,
            http: http.without_retries(),
            tokens,
            budget: RequestBudget::new(options.budget_limit, options.budget_window),
            options,
            clock: Arc::new(Utc::now),
        })
    }

    /// Replaces the clock the request budget runs on (tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The configured source name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The request budget at `now`.
    pub fn budget(&self, now: DateTime<Utc>) -> Budget {
        self.budget.snapshot(now)
    }

    /// Runs `q` against Graph, streaming matching rows (and warnings) to `sink`. `now` sets the
    /// default window and the clamps. See the module docs for the rules.
    pub async fn query(
        &mut self,
        q: &TraceQuery,
        now: DateTime<Utc>,
        mut sink: impl FnMut(ScanMsg),
    ) -> Result<ExoStats, ExoError> {
        let started = Instant::now();
        let plan = plan(q, now)?;
        let mut stats = ExoStats {
            since: plan.since,
            until: plan.until,
            requests: 0,
            pages: 0,
            rows_received: 0,
            rows: 0,
            warnings: 0,
            complete: true,
            elapsed: Duration::ZERO,
        };
        let name = self.name.clone();
        let warn = |sink: &mut dyn FnMut(ScanMsg), message: String, stats: &mut ExoStats| {
            stats.warnings += 1;
            sink(ScanMsg::Warning(ScanWarning {
                source: name.clone(),
                file: None,
                line: None,
                message,
            }));
        };
        for c in &plan.clamps {
            warn(&mut sink, c.clone(), &mut stats);
        }
        let mut rows_out = Vec::new();
        let mut next = Some(format!(
            "{}/v1.0/admin/exchange/tracing/messageTraces?$filter={}&$top={}",
            self.base,
            pct(&plan.filter, b"'(),:@"),
            self.options.page_size
        ));
        let mut stop = None;
        while let Some(url) = next.take() {
            if stats.pages >= self.options.max_pages {
                stop = Some(Stop::Pages);
                break;
            }
            let page = match self.get_page(&url, &mut stats.requests).await {
                Ok(p) => p,
                Err(e @ ExoError::Budget { .. }) if stats.pages > 0 => {
                    stop = Some(Stop::Budget(e));
                    break;
                }
                Err(e) => return Err(e),
            };
            stats.pages += 1;
            let mut bad = 0usize;
            let mut first_bad = String::new();
            for v in page.value {
                stats.rows_received += 1;
                match to_row(v, &self.name) {
                    Ok(row) if q.matches(&row) => rows_out.push(row),
                    Ok(_) => {}
                    Err(why) => {
                        if bad == 0 {
                            first_bad = why;
                        }
                        bad += 1;
                    }
                }
            }
            if bad > 0 {
                warn(
                    &mut sink,
                    format!(
                        "page {}: {bad} entr{} skipped ({})",
                        stats.pages,
                        if bad == 1 { "y" } else { "ies" },
                        sanitize_line(&first_bad, EXCERPT_CAP)
                    ),
                    &mut stats,
                );
            }
            for row in rows_out.drain(..) {
                stats.rows += 1;
                sink(ScanMsg::Row(row));
            }
            next = page.next_link;
        }
        match stop {
            Some(Stop::Pages) => {
                stats.complete = false;
                warn(
                    &mut sink,
                    format!(
                        "stopped after {} pages ({} rows): the results are incomplete; narrow the query (shorter window, a sender or recipient)",
                        stats.pages, stats.rows_received
                    ),
                    &mut stats,
                );
            }
            Some(Stop::Budget(e)) => {
                stats.complete = false;
                warn(
                    &mut sink,
                    format!(
                        "stopped after {} pages, the results are incomplete: {e}",
                        stats.pages
                    ),
                    &mut stats,
                );
            }
            None => {}
        }
        stats.elapsed = started.elapsed();
        Ok(stats)
    }

    /// The events Exchange Online recorded for one row (`trace_id` is the row's `key`), oldest
    /// first.
    pub async fn chain(
        &mut self,
        trace_id: &str,
        recipient: &str,
    ) -> Result<Vec<TraceEvent>, ExoError> {
        let id = trace_id.trim();
        if id.is_empty()
            || id.len() > 100
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(ExoError::BadArgument(format!(
                "{:?} is not an Exchange Online message trace id (a GUID such as a3f6d2c1-5c3b-4f7a-9d1e-2c8f1b0a6e45); pick a row from an Exchange Online query",
                sanitize_line(id, 100)
            )));
        }
        let Some(rcpt) = full_address(recipient) else {
            return Err(ExoError::BadArgument(format!(
                "{:?} is not a full recipient address; the detail of an Exchange Online row needs its recipient (user@contoso.com)",
                sanitize_line(recipient, 100)
            )));
        };
        let mut next = Some(format!(
            "{}/v1.0/admin/exchange/tracing/messageTraces/{id}/getDetailsByRecipient(recipientAddress={})",
            self.base,
            pct(&odata_string(&rcpt), b"'@")
        ));
        let mut events = Vec::new();
        let mut requests = 0;
        let mut pages = 0;
        while let Some(url) = next.take() {
            let page = self.get_page(&url, &mut requests).await?;
            pages += 1;
            for v in page.value {
                let Ok(d) = serde_json::from_value::<WireDetail>(v) else {
                    continue;
                };
                let Some(time) = d.date_time.as_deref().and_then(parse_time) else {
                    continue;
                };
                events.push(TraceEvent {
                    time,
                    server: EXO_SERVER.to_string(),
                    source: self.name.clone(),
                    file: PathBuf::new(),
                    line: 0,
                    event: opt_line(&d.event, 64),
                    recipients: vec![rcpt.clone()],
                    detail: opt_line(&d.description, FIELD_CAP),
                });
            }
            if pages < self.options.max_pages {
                next = page.next_link;
            }
        }
        events.sort_by_key(|e| e.time);
        Ok(events)
    }

    /// Fills `row.reply` with the description of its last `Defer`/`Fail` event, `deferrals` with
    /// the `Defer` times and `last_event` with the time of the last event (one request).
    pub async fn enrich_reply(&mut self, row: &mut TraceRow) -> Result<(), ExoError> {
        let events = self.chain(&row.key, &row.recipient).await?;
        if let Some(e) = events
            .iter()
            .rev()
            .find(|e| is_defer(&e.event) || is_fail(&e.event))
        {
            row.reply = e.detail.clone();
        }
        row.deferrals = events
            .iter()
            .filter(|e| is_defer(&e.event))
            .map(|e| e.time)
            .collect();
        row.last_event = events.last().map(|e| e.time);
        Ok(())
    }

    /// One authorised GET within the budget: throttling retried after `Retry-After`, a 401
    /// answered with one new token. Every request sent is counted in `requests` and the budget.
    async fn get_page(&mut self, url: &str, requests: &mut usize) -> Result<Page, ExoError> {
        if origin_of(url).as_deref() != Some(self.origin.as_str()) {
            return Err(ExoError::ForeignNextLink(sanitize_line(url, 200)));
        }
        let mut token = self.token().await?;
        let mut refreshed = false;
        let mut retries = 0u32;
        loop {
            self.budget.acquire((self.clock)())?;
            *requests += 1;
            let result = self
                .http
                .get_bearer(url, &token, &self.options.request)
                .await;
            match result {
                Ok(resp) => {
                    return resp
                        .json::<Page>()
                        .map_err(|e| ExoError::Net(scrub(e, &token)));
                }
                Err(NetError::Throttled {
                    status,
                    retry_after,
                    ..
                }) => {
                    let delay = retry_after.unwrap_or_else(|| {
                        self.fallback_retry_delay
                            .saturating_mul(2u32.saturating_pow(retries))
                    });
                    if retries >= self.max_retries || delay > self.max_retry_delay {
                        return Err(ExoError::Throttled {
                            status,
                            retry_after,
                        });
                    }
                    tracing::debug!(
                        source = %self.name,
                        status,
                        delay_ms = delay.as_millis() as u64,
                        "message trace throttled, retrying"
                    );
                    tokio::time::sleep(delay).await;
                    retries += 1;
                }
                Err(NetError::Status { status: 401, .. }) if !refreshed => {
                    tracing::debug!(source = %self.name, "Graph answered 401; refreshing the token once");
                    refreshed = true;
                    self.tokens.invalidate().await;
                    token = self.token().await?;
                }
                Err(NetError::Status {
                    status, excerpt, ..
                }) => {
                    let excerpt = match scrub_text(&excerpt, &token) {
                        e if e.is_empty() => String::new(),
                        e => format!(": {e}"),
                    };
                    return Err(match status {
                        401 | 403 => ExoError::Forbidden { status, excerpt },
                        400..=499 => ExoError::Rejected { status, excerpt },
                        _ => ExoError::Net(NetError::Status {
                            url: url.to_string(),
                            status,
                            excerpt,
                        }),
                    });
                }
                Err(e) => return Err(ExoError::Net(scrub(e, &token))),
            }
        }
    }

    async fn token(&self) -> Result<Secret, ExoError> {
        self.tokens.token().await.map_err(|e| match e {
            AuthError::Rejected {
                status,
                code,
                description,
            } => ExoError::TokenRefused {
                name: sanitize_line(&self.name, 200),
                status,
                detail: match (code.is_empty(), description.is_empty()) {
                    (true, true) => String::new(),
                    (false, true) => format!(" {code}"),
                    (true, false) => format!(": {description}"),
                    (false, false) => format!(" {code}: {description}"),
                },
            },
            source => ExoError::Auth {
                name: sanitize_line(&self.name, 200),
                source,
            },
        })
    }
}

fn scrub_text(text: &str, token: &Secret) -> String {
    sanitize_line(&token.scrub(text), EXCERPT_CAP)
}

/// Keeps the access token out of anything a server could have echoed back.
fn scrub(e: NetError, token: &Secret) -> NetError {
    match e {
        NetError::Status {
            url,
            status,
            excerpt,
        } => NetError::Status {
            url,
            status,
            excerpt: scrub_text(&excerpt, token),
        },
        NetError::Decode { url, what, detail } => NetError::Decode {
            url,
            what,
            detail: scrub_text(&detail, token),
        },
        other => other,
    }
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
