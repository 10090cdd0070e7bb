//! Microsoft Graph service health against a loopback server: token, paging, PascalCase values,
//! token caching and refresh, hostile text, and the secret never leaking.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{TimeZone, Utc};
use warroom::domain::health::{HealthSourceConfig, Level};
use warroom::health::{SourceContext, poll_source};
use warroom::net::{HttpClient, HttpOptions};

const SECRET: &str = "sampleCredentials-Xq9~s3cr3t";
const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP.fixture.signature";

#[derive(Default)]
struct Counters {
    token: AtomicUsize,
    overview: AtomicUsize,
    issues: AtomicUsize,
    /// Answer the next N data requests with 401 (expired token).
    reject_next: AtomicUsize,
}

struct Graph {
    server: common::Server,
    counters: Arc<Counters>,
}

/// What the fake Graph serves.
#[derive(Clone)]
struct Docs {
    page1: String,
    page2: String,
    token_status: StatusCode,
    token_body: String,
}

fn default_docs() -> Docs {
    // The brief: PascalCase status values on both pages (Microsoft's doc examples use them).
    Docs {
        page1: common::fixture("graph/issues-page1.json")
            .replace("\"serviceDegradation\"", "\"ServiceDegradation\""),
        page2: common::fixture("graph/issues-page2.json").replace(
            "\"postIncidentReviewPublished\"",
            "\"PostIncidentReviewPublished\"",
        ),
        token_status: StatusCode::OK,
        token_body: common::fixture("graph/token-response-200.json"),
    }
}

fn authorised(headers: &HeaderMap, counters: &Counters) -> bool {
    if counters
        .reject_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return false;
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"))
}

fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired."}}"#,
    )
        .into_response()
}

async fn start_graph(docs: Docs) -> Graph {
    let (listener, base) = common::bind().await;
    let counters = Arc::new(Counters::default());
    let page1 = docs.page1.replace("{{BASE_URL}}", &base);
    let page2 = docs.page2.replace("{{BASE_URL}}", &base);
    let overview = common::fixture("graph/healthOverviews-page1.json");
    let (c1, c2, c3) = (counters.clone(), counters.clone(), counters.clone());
    let router = Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(move |body: String| {
                let c = c1.clone();
                let docs = docs.clone();
                async move {
                    c.token.fetch_add(1, Ordering::SeqCst);
                    let form: Vec<(String, String)> =
                        serde_urlencoded_parse(&body);
                    let get = |k: &str| {
                        form.iter()
                            .find(|(key, _)| key == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    if get("grant_type") != "client_credentials"
                        || get("scope") != "https://graph.microsoft.com/.default"
                        || get("client_id") != "535fb089-9ff3-47b6-9bfb-4f1264799865"
                    {
                        return (StatusCode::BAD_REQUEST, "bad form".to_string()).into_response();
                    }
                    if get("client_secret") != SECRET {
                        // Echo the wrong secret back, as a hostile or careless server might.
                        let body = format!(
                            r#"{{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: {}.\r\nTrace ID: x"}}"#,
                            get("client_secret")
                        );
                        return (StatusCode::UNAUTHORIZED, body).into_response();
                    }
                    (docs.token_status, docs.token_body).into_response()
                }
            }),
        )
        .route(
            "/v1.0/admin/serviceAnnouncement/healthOverviews",
            get(move |headers: HeaderMap| {
                let c = c2.clone();
                let overview = overview.clone();
                async move {
                    c.overview.fetch_add(1, Ordering::SeqCst);
                    if !authorised(&headers, &c) {
                        return unauthorised();
                    }
                    overview.into_response()
                }
            }),
        )
        .route(
            "/v1.0/admin/serviceAnnouncement/issues",
            get(move |headers: HeaderMap, RawQuery(query): RawQuery| {
                let c = c3.clone();
                let (page1, page2) = (page1.clone(), page2.clone());
                async move {
                    c.issues.fetch_add(1, Ordering::SeqCst);
                    if !authorised(&headers, &c) {
                        return unauthorised();
                    }
                    match query.as_deref() {
                        Some("$skip=100") => page2.into_response(),
                        None => page1.into_response(),
                        Some(_) => StatusCode::NOT_FOUND.into_response(),
                    }
                }
            }),
        );
    Graph {
        server: common::serve(listener, router),
        counters,
    }
}

/// Minimal x-www-form-urlencoded decoding for the fake token endpoint.
fn serde_urlencoded_parse(body: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

struct SecretFile {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

fn secret_file(secret: &str) -> SecretFile {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("graph-secret");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "{secret}").expect("write");
    SecretFile { _dir: dir, path }
}

fn graph_source(base: &str, secret: &SecretFile, services: &str) -> HealthSourceConfig {
    common::source(&format!(
        r#"name = "m365"
kind = "graph"
tenant = "contoso.onmicrosoft.com"
client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
client_secret_file = "{}"
base_url = "{base}"
token_url = "{base}"
services = {services}
timeout = "2s"
"#,
        secret.path.display()
    ))
}

fn new_ctx(now: chrono::DateTime<Utc>) -> SourceContext {
    SourceContext::new(HttpClient::new(HttpOptions::default()).expect("client"))
        .with_clock(common::clock(now))
}

#[tokio::test]
async fn token_then_two_pages_of_issues_with_pascal_case_values() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(
        &g.server.base,
        &secret,
        r#"["Exchange Online", "Microsoft 365 suite"]"#,
    );
    // The day after the 2020 fixture incidents, so resolved ones are still listed.
    let now = Utc.with_ymd_and_hms(2020, 11, 14, 20, 0, 0).unwrap();
    let mut ctx = new_ctx(now);
    let snap = poll_source(&cfg, &mut ctx).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(g.counters.token.load(Ordering::SeqCst), 1);
    assert_eq!(
        g.counters.issues.load(Ordering::SeqCst),
        2,
        "both pages fetched"
    );

    let ids: Vec<&str> = snap.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "svc:Exchange",
            "svc:OSDPPlatform",
            "EX1234567",
            "EX226792",
            "MO226784"
        ]
    );
    let find = |id: &str| snap.items.iter().find(|i| i.id == id).expect(id);

    let ex = find("EX1234567");
    assert_eq!(ex.status, "ServiceDegradation", "raw status kept");
    assert_eq!(ex.level, Level::Degraded);
    assert_eq!(ex.resolved, None);
    assert_eq!(ex.updates.len(), 2);
    assert!(
        ex.updates[1]
            .text
            .contains("Current status: We've identified a routing")
    );
    assert!(
        !ex.updates[1].text.contains("<br>"),
        "HTML turned into text"
    );

    let restored = find("EX226792");
    assert_eq!(restored.status, "ServiceRestored");
    assert_eq!(restored.level, Level::Operational);
    assert!(restored.resolved.is_some());

    let pir = find("MO226784");
    assert_eq!(pir.status, "PostIncidentReviewPublished");
    assert_eq!(pir.level, Level::Operational);
    assert_eq!(pir.service.as_deref(), Some("Microsoft 365 suite"));

    assert_eq!(find("svc:Exchange").level, Level::Degraded);
    assert_eq!(snap.level, Level::Degraded);
}

#[tokio::test]
async fn only_configured_services_and_recent_resolutions() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["exchange online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    let snap = poll_source(&cfg, &mut ctx).await;
    assert_eq!(snap.last_error, None);
    let ids: Vec<&str> = snap.items.iter().map(|i| i.id.as_str()).collect();
    // 2020 issues resolved long ago are gone; MO226784 is another service.
    assert_eq!(ids, vec!["svc:Exchange", "EX1234567"]);
}

#[tokio::test]
async fn token_is_cached_and_refreshed_after_401() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    assert_eq!(poll_source(&cfg, &mut ctx).await.last_error, None);
    assert_eq!(poll_source(&cfg, &mut ctx).await.last_error, None);
    assert_eq!(g.counters.token.load(Ordering::SeqCst), 1, "token reused");
    g.counters.reject_next.store(1, Ordering::SeqCst);
    let snap = poll_source(&cfg, &mut ctx).await;
    assert_eq!(snap.last_error, None, "401 → new token → success");
    assert_eq!(
        g.counters.token.load(Ordering::SeqCst),
        2,
        "token refreshed once"
    );
}

#[tokio::test]
async fn token_refusal_is_explained() {
    let mut docs = default_docs();
    docs.token_status = StatusCode::BAD_REQUEST;
    docs.token_body = common::fixture("graph/token-response-400-invalid_scope.json");
    let g = start_graph(docs).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let snap = poll_source(&cfg, &mut new_ctx(common::at(16, 0))).await;
    let err = snap.last_error.expect("error");
    assert!(err.contains("invalid_scope"), "{err}");
    assert!(err.contains("AADSTS70011"), "{err}");
    assert!(err.contains("ServiceHealth.Read.All"), "{err}");
    assert!(
        !err.contains("Trace ID"),
        "only the first line of the description: {err}"
    );
    assert_eq!(snap.level, Level::Unknown);
    assert_eq!(g.counters.issues.load(Ordering::SeqCst), 0);
}

/// Captures everything `tracing` writes while a test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn secret_never_appears_in_errors_debug_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let g = start_graph(default_docs()).await;
    // A wrong secret: the fake endpoint echoes it back in its error description.
    let wrong = "wrong-Secret-Value-8f3k2";
    let secret = secret_file(wrong);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    let snap = poll_source(&cfg, &mut ctx).await;
    let err = snap.last_error.clone().expect("refused");
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains("***"), "echoed secret replaced: {err}");
    assert!(!err.contains(wrong), "{err}");

    // The right secret, a successful poll, and then every Debug output we can reach.
    let right = secret_file(SECRET);
    let cfg_ok = graph_source(&g.server.base, &right, r#"["Exchange Online"]"#);
    let mut ctx_ok = new_ctx(common::at(16, 0));
    let ok = poll_source(&cfg_ok, &mut ctx_ok).await;
    assert_eq!(ok.last_error, None);
    let debug = format!("{cfg:?} {ctx:?} {snap:?} {cfg_ok:?} {ctx_ok:?} {ok:?}");
    let json = serde_json::to_string(&warroom::health::feed_json(&[snap, ok])).expect("json");
    let secret_value = warroom::net::Secret::new(SECRET);
    assert_eq!(format!("{secret_value:?} {secret_value}"), "*** ***");

    let logs =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        logs.contains("requesting an access token"),
        "tracing was captured: {logs}"
    );
    for (what, text) in [("debug", &debug), ("json", &json), ("logs", &logs)] {
        assert!(!text.contains(SECRET), "secret in {what}: {text}");
        assert!(!text.contains(wrong), "wrong secret in {what}: {text}");
        assert!(!text.contains(TOKEN), "access token in {what}: {text}");
    }
}

#[tokio::test]
async fn next_link_to_another_host_is_refused() {
    let mut docs = default_docs();
    docs.page1 = docs.page1.replace(
        "{{BASE_URL}}/v1.0/admin/serviceAnnouncement/issues?$skip=100",
        "http://127.0.0.2:9/steal",
    );
    let g = start_graph(docs).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let snap = poll_source(&cfg, &mut new_ctx(common::at(16, 0))).await;
    let err = snap.last_error.expect("refused");
    assert!(err.contains("refusing to send the access token"), "{err}");
}

#[tokio::test]
async fn escape_sequences_in_title_and_post_are_stripped() {
    let hostile = r#"{
      "value": [{
        "id": "EX999",
        "title": "Mail \u001b[2J\u001b[31mdelayed\u001b]0;pwned\u0007 now",
        "service": "Exchange Online",
        "status": "serviceInterruption",
        "isResolved": false,
        "startDateTime": "2026-03-02T13:05:00Z",
        "lastModifiedDateTime": "2026-03-02T14:05:00Z",
        "posts": [{
          "createdDateTime": "2026-03-02T14:05:00Z",
          "description": {"contentType": "html", "content": "<p>Status \u001b[5mblink\u001b[0m <b>bold</b></p>\u009b2J"}
        }]
      }]
    }"#;
    let mut docs = default_docs();
    docs.page1 = hostile.to_string();
    let g = start_graph(docs).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let snap = poll_source(&cfg, &mut new_ctx(common::at(16, 0))).await;
    assert_eq!(snap.last_error, None);
    let item = snap.items.iter().find(|i| i.id == "EX999").expect("item");
    assert_eq!(item.title, "Mail delayed now");
    assert_eq!(item.level, Level::MajorOutage);
    let post = &item.updates[0].text;
    assert_eq!(post, "Status blink bold");
    assert_eq!(snap.level, Level::MajorOutage);
}

#[tokio::test]
async fn malformed_issues_page_is_an_error_that_keeps_previous_items() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    let good = poll_source(&cfg, &mut ctx).await;
    assert_eq!(good.last_error, None);

    let mut docs = default_docs();
    docs.page1 = "{\"value\": [ {\"id\": 12".to_string();
    let bad_server = start_graph(docs).await;
    let bad_cfg = graph_source(&bad_server.server.base, &secret, r#"["Exchange Online"]"#);
    // Same context (same source name), now pointed at the broken server.
    let snap = poll_source(&bad_cfg, &mut ctx).await;
    let err = snap.last_error.clone().expect("parse error");
    assert!(err.contains("Graph issues"), "{err}");
    assert_eq!(snap.items, good.items, "previous items kept");
    assert_eq!(snap.level, good.level);
    assert_eq!(snap.last_success, good.last_success);
}
