//! A fake Microsoft Graph + identity platform on loopback, serving the copied fixtures.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use warroom::domain::health::HealthSourceConfig;
use warroom::health::SourceContext;
use warroom::net::{HttpClient, HttpOptions};

pub const SECRET: &str = "sampleCredentials-Xq9~s3cr3t";
pub const TOKEN: &str =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsIng1dCI6Ik1uQ19WWmNBVGZNNXBP.fixture.signature";

#[derive(Default)]
pub struct Counters {
    pub token: AtomicUsize,
    pub overview: AtomicUsize,
    pub issues: AtomicUsize,
    /// Answer the next N data requests with 401 (expired token).
    pub reject_next: AtomicUsize,
}

pub struct Graph {
    pub server: super::Server,
    pub counters: Arc<Counters>,
}

/// What the fake Graph serves.
#[derive(Clone)]
pub struct Docs {
    pub page1: String,
    pub page2: String,
    pub token_status: StatusCode,
    pub token_body: String,
}

pub fn default_docs() -> Docs {
    // The brief: PascalCase status values on both pages (Microsoft's doc examples use them).
    Docs {
        page1: super::fixture("graph/issues-page1.json")
            .replace("\"serviceDegradation\"", "\"ServiceDegradation\""),
        page2: super::fixture("graph/issues-page2.json").replace(
            "\"postIncidentReviewPublished\"",
            "\"PostIncidentReviewPublished\"",
        ),
        token_status: StatusCode::OK,
        token_body: super::fixture("graph/token-response-200.json"),
    }
}

pub fn authorised(headers: &HeaderMap, counters: &Counters) -> bool {
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

pub fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired."}}"#,
    )
        .into_response()
}

pub async fn start_graph(docs: Docs) -> Graph {
    let (listener, base) = super::bind().await;
    let counters = Arc::new(Counters::default());
    let page1 = docs.page1.replace("{{BASE_URL}}", &base);
    let page2 = docs.page2.replace("{{BASE_URL}}", &base);
    let overview = super::fixture("graph/healthOverviews-page1.json");
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
        server: super::serve(listener, router),
        counters,
    }
}

/// Minimal x-www-form-urlencoded decoding for the fake token endpoint.
pub fn serde_urlencoded_parse(body: &str) -> Vec<(String, String)> {
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

pub struct SecretFile {
    _dir: tempfile::TempDir,
    pub path: std::path::PathBuf,
}

pub fn secret_file(secret: &str) -> SecretFile {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("graph-secret");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "{secret}").expect("write");
    SecretFile { _dir: dir, path }
}

pub fn graph_source(base: &str, secret: &SecretFile, services: &str) -> HealthSourceConfig {
    super::source(&format!(
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

pub fn new_ctx(now: chrono::DateTime<Utc>) -> SourceContext {
    SourceContext::new(HttpClient::new(HttpOptions::default()).expect("client"))
        .with_clock(super::clock(now))
}
