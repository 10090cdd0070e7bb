//! Loopback trackers that follow their documented REST APIs, recording every request:
//!
//! - GitHub: `POST /repos/{owner}/{repo}/issues` needs `Authorization: Bearer <token>`,
//!   `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and a
//!   `User-Agent` (GitHub refuses requests without one); a missing title is a 422 "Validation
//!   Failed" with `errors`; a created issue is a 201 with `number` and `html_url`.
//! - Jira Cloud: `POST /rest/api/3/issue` with basic auth (e-mail:token); `fields.project.key`,
//!   `fields.issuetype.name`, `fields.summary` and an ADF `fields.description` (v3); a bad
//!   field is a 400 with `errorMessages` and `errors`; a created issue is a 201 with `id`, `key`
//!   and `self`.
//!
//! Answers can be scripted ahead per request (`None` = behave normally), to make the second of
//! three pushes fail.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};

use super::health::{Server, bind, serve};

pub const GITHUB_TOKEN: &str = "ghp_test0123456789abcdefTOKEN";
pub const JIRA_TOKEN: &str = "jira-test-token-0123456789";
pub const JIRA_EMAIL: &str = "bot@acme.example";

/// One request the tracker received.
#[derive(Debug, Clone)]
pub struct TrackerRequest {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TrackerRequest {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Default)]
pub struct TrackerState {
    pub requests: Vec<TrackerRequest>,
    /// One entry a request, first first: `Some((status, body))` answers so, `None` behaves
    /// normally.
    pub script: VecDeque<Option<(u16, String)>>,
    /// How long each answer is held back (to make two pushes overlap).
    pub delay: std::time::Duration,
    next: u32,
    base: String,
}

pub type TrackerShared = Arc<Mutex<TrackerState>>;

/// Records the request; hands back the scripted answer if there is one.
fn record(s: &TrackerShared, path: String, headers: &HeaderMap, body: &Bytes) -> Option<Response> {
    let mut st = s.lock().unwrap();
    st.requests.push(TrackerRequest {
        method: "POST".into(),
        path,
        headers: headers.clone(),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
    });
    let (status, text) = st.script.pop_front().flatten()?;
    Some(
        (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            text,
        )
            .into_response(),
    )
}

fn json_answer(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// A GitHub REST API; its `base_url` is the server's base.
pub async fn github_server() -> (Server, TrackerShared) {
    let shared: TrackerShared = Arc::default();
    async fn create(
        State(s): State<TrackerShared>,
        Path((owner, repo)): Path<(String, String)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let delay = s.lock().unwrap().delay;
        tokio::time::sleep(delay).await;
        if let Some(r) = record(&s, format!("/repos/{owner}/{repo}/issues"), &headers, &body) {
            return r;
        }
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
        if h("user-agent").is_empty() {
            return json_answer(
                StatusCode::FORBIDDEN,
                json!({"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header"}),
            );
        }
        if h("authorization") != format!("Bearer {GITHUB_TOKEN}") {
            return json_answer(
                StatusCode::UNAUTHORIZED,
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
            );
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if v["title"].as_str().is_none_or(|t| t.is_empty()) {
            return json_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}]}),
            );
        }
        let mut st = s.lock().unwrap();
        st.next += 1;
        let n = st.next;
        let html = format!("{}/{owner}/{repo}/issues/{n}", st.base);
        json_answer(
            StatusCode::CREATED,
            json!({"id": 1000 + n, "number": n, "html_url": html, "title": v["title"], "state": "open"}),
        )
    }
    let (listener, _) = bind().await;
    shared.lock().unwrap().base = "https://github.example".into();
    let router = Router::new()
        .route("/repos/{owner}/{repo}/issues", post(create))
        .with_state(shared.clone());
    (serve(listener, router), shared)
}

/// A Jira Cloud site; its `base_url` is the server's base. Knows project `OPS` with the issue
/// type `Task`.
pub async fn jira_server() -> (Server, TrackerShared) {
    let shared: TrackerShared = Arc::default();
    async fn create(State(s): State<TrackerShared>, headers: HeaderMap, body: Bytes) -> Response {
        if let Some(r) = record(&s, "/rest/api/3/issue".into(), &headers, &body) {
            return r;
        }
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{JIRA_EMAIL}:{JIRA_TOKEN}"));
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if auth != format!("Basic {basic}") {
            return (
                StatusCode::UNAUTHORIZED,
                "Client must be authenticated to access this resource.",
            )
                .into_response();
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let f = &v["fields"];
        let mut errors = serde_json::Map::new();
        if f["project"]["key"] != "OPS" {
            errors.insert("project".into(), json!("valid project is required"));
        }
        if f["issuetype"]["name"] != "Task" {
            errors.insert("issuetype".into(), json!("Specify a valid issue type"));
        }
        if f["summary"].as_str().is_none_or(|t| t.is_empty()) {
            errors.insert(
                "summary".into(),
                json!("You must specify a summary of the issue."),
            );
        }
        if f["description"]["type"] != "doc" || f["description"]["version"] != 1 {
            errors.insert(
                "description".into(),
                json!("Operation value must be an Atlassian Document (see the Atlassian Document Format)"),
            );
        }
        if !errors.is_empty() {
            return json_answer(
                StatusCode::BAD_REQUEST,
                json!({"errorMessages": [], "errors": errors}),
            );
        }
        let mut st = s.lock().unwrap();
        st.next += 1;
        let n = st.next;
        json_answer(
            StatusCode::CREATED,
            json!({"id": format!("{}", 10000 + n), "key": format!("OPS-{n}"), "self": format!("{}/rest/api/3/issue/{}", st.base, 10000 + n)}),
        )
    }
    let (listener, base) = bind().await;
    shared.lock().unwrap().base = base;
    let router = Router::new()
        .route("/rest/api/3/issue", post(create))
        .with_state(shared.clone());
    (serve(listener, router), shared)
}

/// Runs the binary on data dir `data` with config file `config`, the extra environment `env`,
/// `USER=alice`, standard input closed: (success, stdout, stderr).
pub fn run_warroom(
    data: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .args(args)
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_DATA_DIR")
        .env("USER", "alice")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
