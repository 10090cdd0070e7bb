//! Exchange Online message trace against a fake Microsoft Graph on loopback: token, paging,
//! the `$filter` sent, throttling, the request budget, recipient details, and errors that
//! explain themselves without leaking the secret.

use crate::common;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::graph::{SECRET, SecretFile, TOKEN, secret_file, serde_urlencoded_parse};
use warroom::domain::trace::{TraceConfig, TraceQuery, TraceRow, TraceSourceConfig, TraceStatus};
use warroom::net::{HttpClient, HttpOptions};
use warroom::trace::ScanMsg;
use warroom::trace::exo::{ExoError, ExoOptions, ExoStats, ExoTracer};

const CLIENT_ID: &str = "535fb089-9ff3-47b6-9bfb-4f1264799865";
const LIST: &str = "/v1.0/admin/exchange/tracing/messageTraces";
const FAILED_ID: &str = "a3f6d2c1-5c3b-4f7a-9d1e-2c8f1b0a6e45";

/// 2026-03-03 00:00 UTC: the fixture rows (2026-03-02 13:xx) are inside the default 48 h.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap()
}

#[derive(Default)]
struct State {
    token_calls: AtomicUsize,
    list_calls: AtomicUsize,
    detail_calls: AtomicUsize,
    /// Raw query strings of the list requests, in order.
    queries: Mutex<Vec<String>>,
    /// Paths of the detail requests, in order.
    detail_paths: Mutex<Vec<String>>,
    /// Answer the next N data requests with the 429 fixture (Retry-After: 1).
    throttle_next: AtomicUsize,
    /// Answer data requests with 403.
    forbid: AtomicBool,
}

struct Fake {
    server: common::Server,
    state: Arc<State>,
}

fn queries(f: &Fake) -> Vec<String> {
    f.state.queries.lock().unwrap().clone()
}

/// `$filter` of a raw query string, decoded.
fn filter_of(raw: &str) -> String {
    serde_urlencoded_parse(raw)
        .into_iter()
        .find(|(k, _)| k == "$filter")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The recorded 429: status line, headers, blank line, body; `Retry-After` set to 1 s.
fn throttled() -> Response {
    let raw = common::fixture("graph/error-429.http").replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").expect("head and body");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').expect("header");
        let v = if k.eq_ignore_ascii_case("retry-after") {
            "1"
        } else {
            v.trim()
        };
        headers.insert(
            HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    (
        StatusCode::from_u16(status).unwrap(),
        headers,
        body.to_string(),
    )
        .into_response()
}

async fn start(page1_next: Option<&str>) -> Fake {
    let (listener, base) = common::bind().await;
    let state = Arc::new(State::default());
    let mut page1 = common::fixture("graph/messageTraces-page1.json");
    if let Some(next) = page1_next {
        page1 = page1.replace(
            "{{BASE_URL}}/v1.0/admin/exchange/tracing/messageTraces?$filter",
            &format!("{next}?$filter"),
        );
    }
    let page1 = page1.replace("{{BASE_URL}}", &base);
    let page2 = common::fixture("graph/messageTraces-page2.json").replace("{{BASE_URL}}", &base);
    let details = common::fixture("graph/messageTrace-details-by-recipient.json");
    let (s1, s2) = (state.clone(), state.clone());
    let router = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(move |body: String| {
                let s = s1.clone();
                async move {
                    s.token_calls.fetch_add(1, Ordering::SeqCst);
                    let form = serde_urlencoded_parse(&body);
                    let get = |k: &str| {
                        form.iter()
                            .find(|(key, _)| key == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    if get("grant_type") != "client_credentials"
                        || get("scope") != "https://graph.microsoft.com/.default"
                        || get("client_id") != CLIENT_ID
                    {
                        return (StatusCode::BAD_REQUEST, "bad form").into_response();
                    }
                    if get("client_secret") != SECRET {
                        // Echo the wrong secret back, as a careless server might.
                        let body = format!(
                            r#"{{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: {}."}}"#,
                            get("client_secret")
                        );
                        return (StatusCode::UNAUTHORIZED, body).into_response();
                    }
                    common::fixture("graph/token-response-200.json").into_response()
                }
            }),
        )
        .fallback(move |uri: Uri, headers: HeaderMap| {
            let s = s2.clone();
            let (page1, page2, details) = (page1.clone(), page2.clone(), details.clone());
            async move {
                let path = uri.path().to_string();
                let is_list = path == LIST;
                let is_detail =
                    path.starts_with(&format!("{LIST}/")) && path.contains("/getDetailsByRecipient(");
                if is_list {
                    s.list_calls.fetch_add(1, Ordering::SeqCst);
                } else if is_detail {
                    s.detail_calls.fetch_add(1, Ordering::SeqCst);
                } else {
                    return StatusCode::NOT_FOUND.into_response();
                }
                if headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    != Some(&format!("Bearer {TOKEN}"))
                {
                    return StatusCode::UNAUTHORIZED.into_response();
                }
                if s
                    .throttle_next
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    return throttled();
                }
                if s.forbid.load(Ordering::SeqCst) {
                    return (
                        StatusCode::FORBIDDEN,
                        r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}"#,
                    )
                        .into_response();
                }
                if is_detail {
                    s.detail_paths.lock().unwrap().push(path);
                    return details.into_response();
                }
                let q = uri.query().unwrap_or_default().to_string();
                s.queries.lock().unwrap().push(q.clone());
                if q.contains("$skiptoken=FIXTURE-SKIPTOKEN-1") {
                    page2.into_response()
                } else {
                    page1.into_response()
                }
            }
        });
    Fake {
        server: common::serve(listener, router),
        state,
    }
}

fn source(base: &str, secret: &SecretFile) -> TraceSourceConfig {
    let text = format!(
        r#"[[sources]]
name = "exo"
kind = "exchange-online"
tenant = "contoso.onmicrosoft.com"
client_id = "{CLIENT_ID}"
client_secret_file = "{}"
base_url = "{base}"
token_url = "{base}"
"#,
        secret.path.display()
    );
    let cfg: TraceConfig = toml::from_str(&text).expect("valid trace source");
    cfg.sources.into_iter().next().expect("one source")
}

fn http() -> HttpClient {
    HttpClient::new(HttpOptions::default()).expect("client")
}

/// A clock that stays where the test puts it.
fn fixed_clock(offset_secs: &Arc<AtomicI64>) -> warroom::trace::exo::Clock {
    let off = offset_secs.clone();
    Arc::new(move || now() + TimeDelta::seconds(off.load(Ordering::SeqCst)))
}

fn tracer(f: &Fake, secret: &SecretFile) -> ExoTracer {
    ExoTracer::new(&source(&f.server.base, secret), http()).expect("tracer")
}

#[derive(Default)]
struct Collected {
    rows: Vec<TraceRow>,
    warnings: Vec<String>,
}

async fn run(t: &mut ExoTracer, q: &TraceQuery) -> (Result<ExoStats, ExoError>, Collected) {
    let mut c = Collected::default();
    let r = t
        .query(q, now(), |m| match m {
            ScanMsg::Row(r) => c.rows.push(r),
            ScanMsg::Warning(w) => c.warnings.push(w.message),
            other => panic!("unexpected {other:?}"),
        })
        .await;
    (r, c)
}

#[tokio::test]
async fn token_then_two_pages_give_five_rows_with_their_statuses() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let (r, c) = run(&mut t, &TraceQuery::default()).await;
    let stats = r.expect("query");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let statuses: Vec<TraceStatus> = c.rows.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [
            TraceStatus::Pending,
            TraceStatus::Failed,
            TraceStatus::FilteredAsSpam,
            TraceStatus::Expanded,
            TraceStatus::Pending, // gettingStatus
        ]
    );
    let failed = &c.rows[1];
    assert_eq!(failed.key, FAILED_ID);
    assert_eq!(failed.sender, "ceo@contoso.com");
    assert_eq!(failed.recipient, "partner@tailspintoys.com");
    assert_eq!(failed.subject, "Contract draft");
    assert_eq!(
        failed.message_id,
        "<0d7f3a2b-6c1e-4f9a-9b9a-3c0a2b1c4d5e@contoso.com>"
    );
    assert_eq!(
        failed.received,
        Utc.with_ymd_and_hms(2026, 3, 2, 13, 12, 41).unwrap()
    );
    assert!(
        c.rows
            .iter()
            .all(|r| r.source == "exo" && r.reply.is_empty())
    );

    assert_eq!(f.state.token_calls.load(Ordering::SeqCst), 1);
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        (stats.requests, stats.pages, stats.rows_received, stats.rows),
        (2, 2, 5, 5)
    );
    assert!(stats.complete);
    let q = queries(&f);
    assert_eq!(
        filter_of(&q[0]),
        "receivedDateTime ge 2026-03-01T00:00:00Z and receivedDateTime le 2026-03-03T00:00:00Z",
        "default window: the previous 48 h, both bounds"
    );
    assert!(q[0].ends_with("&$top=1000"), "{}", q[0]);
    assert!(
        q[1].ends_with("&$top=3&$skiptoken=FIXTURE-SKIPTOKEN-1"),
        "next link followed verbatim: {}",
        q[1]
    );
    let b = t.budget(Utc::now());
    assert_eq!((b.used, b.limit, b.window_secs), (2, 100, 300));
    assert_eq!(b.to_string(), "EXO budget 2/100 per 5 min");
}

#[tokio::test]
async fn filter_has_both_bounds_and_the_sender_and_partial_terms_are_applied_here() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let q = TraceQuery {
        sender: Some("<CEO@contoso.com>".into()),
        recipient: Some("@tailspintoys.com".into()),
        since: Some(Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(2026, 3, 2, 18, 30, 0).unwrap()),
        ..Default::default()
    };
    let (r, c) = run(&mut t, &q).await;
    let stats = r.expect("query");
    let filter = filter_of(&queries(&f)[0]);
    assert_eq!(
        filter,
        "receivedDateTime ge 2026-03-02T12:00:00Z and receivedDateTime le 2026-03-02T18:30:00Z \
         and senderAddress eq 'ceo@contoso.com'"
    );
    // The fake ignores the filter and serves all five rows: the query decides.
    assert_eq!(stats.rows_received, 5);
    let keys: Vec<&str> = c.rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, [FAILED_ID]);
}

#[tokio::test]
async fn a_window_past_the_limits_is_clamped_and_said_so() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let q = TraceQuery {
        since: Some(now() - TimeDelta::days(30)),
        until: Some(now()),
        ..Default::default()
    };
    let (r, c) = run(&mut t, &q).await;
    let stats = r.expect("query");
    assert_eq!(stats.since, now() - TimeDelta::days(10));
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("at most 10 days"),
        "{:?}",
        c.warnings
    );
    assert!(
        filter_of(&queries(&f)[0]).starts_with("receivedDateTime ge 2026-02-21T00:00:00Z and"),
        "{:?}",
        queries(&f)
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_counted() {
    let f = start(None).await;
    f.state.throttle_next.store(1, Ordering::SeqCst);
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let started = Instant::now();
    let (r, c) = run(&mut t, &TraceQuery::default()).await;
    let stats = r.expect("query succeeds after the retry");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 honoured, waited {:?}",
        started.elapsed()
    );
    assert_eq!(c.rows.len(), 5);
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 3);
    assert_eq!(stats.requests, 3, "the throttled request is counted too");
    assert_eq!(t.budget(Utc::now()).used, 3);
}

#[tokio::test]
async fn endless_throttling_ends_in_an_error_with_the_delay() {
    let f = start(None).await;
    f.state.throttle_next.store(usize::MAX, Ordering::SeqCst);
    let secret = secret_file(SECRET);
    let http = HttpClient::new(HttpOptions {
        max_retries: 1,
        ..HttpOptions::default()
    })
    .unwrap();
    let mut t = ExoTracer::new(&source(&f.server.base, &secret), http).unwrap();
    let (r, c) = run(&mut t, &TraceQuery::default()).await;
    let err = r.expect_err("throttled");
    assert!(c.rows.is_empty());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert!(
        err.to_string().contains("wait and run the query again"),
        "{err}"
    );
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 2, "one retry");
}

#[tokio::test]
async fn the_budget_refuses_the_101st_request_in_five_minutes() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let offset = Arc::new(AtomicI64::new(0));
    let mut t = tracer(&f, &secret).with_clock(fixed_clock(&offset));
    for i in 0..100 {
        offset.store(i, Ordering::SeqCst); // one request a second
        t.chain(FAILED_ID, "partner@tailspintoys.com")
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
    }
    let at = now() + TimeDelta::seconds(120);
    offset.store(120, Ordering::SeqCst);
    let b = t.budget(at);
    assert_eq!((b.used, b.remaining()), (100, 0));
    assert_eq!(b.resets_at, Some(now() + TimeDelta::seconds(300)));

    let err = t
        .chain(FAILED_ID, "partner@tailspintoys.com")
        .await
        .expect_err("101st refused");
    assert!(matches!(err, ExoError::Budget { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("100/100 requests per 5 min"), "{msg}");
    assert!(msg.contains("at 00:05:00 UTC (in 180 s)"), "{msg}");
    assert_eq!(
        f.state.detail_calls.load(Ordering::SeqCst),
        100,
        "never sent past the budget"
    );
    // A query is refused before anything is sent.
    let (r, _) = run(&mut t, &TraceQuery::default()).await;
    assert!(matches!(r, Err(ExoError::Budget { .. })), "{r:?}");
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 0);

    // The first request leaves the window 300 s after it was sent.
    offset.store(300, Ordering::SeqCst);
    t.chain(FAILED_ID, "partner@tailspintoys.com")
        .await
        .expect("a slot freed");
    assert_eq!(f.state.detail_calls.load(Ordering::SeqCst), 101);
}

#[tokio::test]
async fn a_small_budget_stops_paging_with_a_warning() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let offset = Arc::new(AtomicI64::new(0));
    let opts = ExoOptions {
        budget_limit: 3,
        ..ExoOptions::default()
    };
    let mut t = ExoTracer::with_options(&source(&f.server.base, &secret), http(), opts)
        .unwrap()
        .with_clock(fixed_clock(&offset));
    let (r, _) = run(&mut t, &TraceQuery::default()).await;
    assert!(r.expect("two requests").complete);
    // One slot left: page 1 arrives, page 2 is not asked for.
    let (r, c) = run(&mut t, &TraceQuery::default()).await;
    let stats = r.expect("partial results are results");
    assert!(!stats.complete);
    assert_eq!(c.rows.len(), 3);
    assert_eq!(c.warnings.len(), 1);
    assert!(
        c.warnings[0].contains("incomplete") && c.warnings[0].contains("3/3 requests"),
        "{:?}",
        c.warnings
    );
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 3);
    assert_eq!(t.budget(now()).to_string(), "EXO budget 3/3 per 5 min");
}

#[tokio::test]
async fn details_by_recipient_become_the_chain_and_the_reply() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let events = t
        .chain(FAILED_ID, "Partner@TailspinToys.com")
        .await
        .expect("chain");
    assert_eq!(
        f.state.detail_paths.lock().unwrap().as_slice(),
        [format!(
            "{LIST}/{FAILED_ID}/getDetailsByRecipient(recipientAddress='partner@tailspintoys.com')"
        )]
    );
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["Receive", "Defer", "Fail"]);
    assert_eq!(
        events[0].detail,
        "Message received by: MN2PR00MB0670.namprd00.prod.outlook.com"
    );
    assert_eq!(
        events[2].time,
        Utc.with_ymd_and_hms(2026, 3, 3, 13, 12, 50).unwrap()
    );
    assert!(events.iter().all(|e| e.line == 0
        && e.source == "exo"
        && e.server == "exchange-online"
        && e.recipients == ["partner@tailspintoys.com"]));

    // The row's reply comes from its last Defer/Fail event.
    let (_, c) = run(&mut t, &TraceQuery::default()).await;
    let mut row = c.rows.into_iter().find(|r| r.key == FAILED_ID).unwrap();
    t.enrich_reply(&mut row).await.expect("enrich");
    assert_eq!(
        row.reply,
        "Reason: [{LED=550 4.4.7 QUEUE.Expired; message expired};{MSG=};{FQDN=};{IP=};{LRT=}]"
    );
    assert_eq!(
        row.deferrals,
        [Utc.with_ymd_and_hms(2026, 3, 2, 13, 42, 41).unwrap()]
    );
    assert_eq!(row.last_event, Some(events[2].time));

    // Ids that are not trace ids never reach the server.
    let err = t
        .chain("../../users", "partner@tailspintoys.com")
        .await
        .expect_err("bad id");
    assert!(err.to_string().contains("pick a row"), "{err}");
    assert!(t.chain(FAILED_ID, "@tailspintoys.com").await.is_err());
    assert_eq!(f.state.detail_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn the_secret_never_appears_in_errors() {
    let f = start(None).await;
    let wrong = "wrong-Secret~Zq81-do-not-print";
    let secret = secret_file(wrong);
    let mut t = tracer(&f, &secret);
    let (r, _) = run(&mut t, &TraceQuery::default()).await;
    let err = r.expect_err("token refused");
    for text in [err.to_string(), format!("{err:?}"), format!("{t:?}")] {
        assert!(!text.contains(wrong), "secret leaked: {text}");
        assert!(!text.contains(SECRET), "{text}");
    }
    let msg = err.to_string();
    assert!(msg.contains("invalid_client"), "{msg}");
    assert!(msg.contains("ExchangeMessageTrace.Read.All"), "{msg}");
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 0);
    let err = t
        .chain(FAILED_ID, "partner@tailspintoys.com")
        .await
        .expect_err("still refused");
    assert!(!format!("{err} {err:?}").contains(wrong));
}

#[tokio::test]
async fn forbidden_names_the_permission_and_the_service_principal() {
    let f = start(None).await;
    f.state.forbid.store(true, Ordering::SeqCst);
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let (r, _) = run(&mut t, &TraceQuery::default()).await;
    let msg = r.expect_err("403").to_string();
    assert!(msg.contains("HTTP 403"), "{msg}");
    assert!(msg.contains("ExchangeMessageTrace.Read.All"), "{msg}");
    assert!(
        msg.contains("8bd644d1-64a1-4d4b-ae52-2e0cbf64e373"),
        "{msg}"
    );
    assert!(!msg.contains(TOKEN), "{msg}");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let f = start(Some("http://127.0.0.2:9/steal")).await;
    let secret = secret_file(SECRET);
    let mut t = tracer(&f, &secret);
    let (r, c) = run(&mut t, &TraceQuery::default()).await;
    let msg = r.expect_err("refused").to_string();
    assert!(msg.contains("refusing to send the access token"), "{msg}");
    assert_eq!(c.rows.len(), 3, "page 1 was already streamed");
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn only_exchange_online_sources_make_a_tracer() {
    let cfg: TraceConfig = toml::from_str(
        "[[sources]]\nname = \"mx\"\nkind = \"postfix\"\npath = \"/var/log/mail.log*\"\n",
    )
    .unwrap();
    let err = ExoTracer::new(&cfg.sources[0], http()).expect_err("postfix");
    assert!(
        err.to_string()
            .contains("\"mx\" is not an Exchange Online source"),
        "{err}"
    );
}

/// `warroom trace` with a configured Exchange Online source: Graph is queried like the pane
/// does (token, both pages) and its rows merge with the log files'; `--by` groups them all, and
/// `--by reason` fetches the reply of each row that was not delivered.
#[tokio::test]
async fn the_command_line_queries_exchange_online_beside_the_log_files() {
    let f = start(None).await;
    let secret = secret_file(SECRET);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[trace.sources]]
name = "exo"
kind = "exchange-online"
tenant = "contoso.onmicrosoft.com"
client_id = "{CLIENT_ID}"
client_secret_file = "{}"
base_url = "{base}"
token_url = "{base}"
"#,
            secret.path.display(),
            base = f.server.base
        ),
    )
    .unwrap();
    let maillog = format!(
        "{}/tests/fixtures/trace/postfix/maillog-outage.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = |args: &[&str]| {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_warroom"));
        c.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("trace")
            .args(["--source", "exo", "--postfix-log", &maillog])
            .args(args);
        c.output()
    };
    let out = run(&["--json"]).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    let from = |src: &str| rows.iter().filter(|r| r["source"] == src).count();
    assert_eq!((from("exo"), from("postfix-1")), (5, 4), "{v:#}");
    assert_eq!(v["summary"]["rows"], 9);
    assert_eq!(v["summary"]["by_status"]["filtered_as_spam"], 1);
    assert_eq!(v["summary"]["by_status"]["expanded"], 1);
    assert_eq!(f.state.list_calls.load(Ordering::SeqCst), 2);

    let out = run(&["--by", "domain", "--json"]).await.unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["by"], "domain");
    let groups = v["groups"].as_array().unwrap();
    let keys: Vec<(&str, u64)> = groups
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [
            ("contoso.com", 6),
            ("tailspintoys.com", 2),
            ("aol.example", 1)
        ]
    );
    let contoso = &groups[0];
    assert_eq!(contoso["by_status"]["delivered"], 1);
    assert_eq!(contoso["by_status"]["pending"], 3);
    // Postfix gives a delay for its rows; Exchange Online's list gives none.
    assert_eq!(contoso["delay_max_s"], 2166.0);
    assert!(groups[2]["delay_p50_s"].is_number());
    assert_eq!(v["summary"]["rows"], 9);

    let details_before = f.state.detail_calls.load(Ordering::SeqCst);
    let out = run(&["--by", "reason"]).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# by reason: "), "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("reason\tcount\tdelivered")
    );
    // Every Exchange Online row that was not delivered got its reply from the detail.
    assert_eq!(
        f.state.detail_calls.load(Ordering::SeqCst) - details_before,
        5
    );
    assert!(
        text.contains("\n4.4.7 Reason: [{# # QUEUE.Expired; message expired}"),
        "{text}"
    );
    assert!(
        text.contains("\n5.1.1 <addr>: Recipient address rejected: User unknown"),
        "{text}"
    );
    assert!(!text.contains("(no reply logged)\t"), "{text}");

    // A failing tenant: the log files' rows still come, and the exit says what failed.
    f.state.forbid.store(true, Ordering::SeqCst);
    let out = run(&[]).await.unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("# 4 rows"), "{stdout}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the result is incomplete: exo:"), "{err}");
    assert!(err.contains("ExchangeMessageTrace.Read.All"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
