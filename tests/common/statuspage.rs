//! A loopback Statuspage API (REST v1) as documented: `POST /v1/pages/{page_id}/incidents`
//! creates an incident and answers 201 with it, `PATCH /v1/pages/{page_id}/incidents/{id}`
//! updates it; both take `{"incident": {...}}` and need `Authorization: OAuth <key>`. Every
//! request is recorded with when it arrived. Answers can be scripted ahead (420, 429 with
//! `Retry-After`, 401 echoing the key as a careless server might).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use serde_json::{Value, json};

use super::health::{Server, start};

/// The key the server accepts.
pub const STATUSPAGE_KEY: &str = "sp-test-key-0123456789abcdef";

/// One request the server received.
#[derive(Debug, Clone)]
pub struct SpRequest {
    pub method: String,
    pub path: String,
    pub authorization: String,
    pub body: Value,
    pub at: Instant,
}

/// A scripted answer: status, `Retry-After`, body.
pub type Scripted = (u16, Option<String>, String);

#[derive(Default)]
pub struct SpState {
    pub requests: Vec<SpRequest>,
    /// Answers to give before behaving normally, first first.
    pub script: VecDeque<Scripted>,
    next_id: u32,
}

pub type SpShared = Arc<Mutex<SpState>>;

fn record(
    s: &SpShared,
    method: &str,
    path: String,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Response> {
    let mut st = s.lock().unwrap();
    st.requests.push(SpRequest {
        method: method.into(),
        path,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        body: serde_json::from_slice(body).unwrap_or(Value::Null),
        at: Instant::now(),
    });
    if let Some((status, retry_after, text)) = st.script.pop_front() {
        let mut resp = (StatusCode::from_u16(status).unwrap(), text).into_response();
        if let Some(r) = retry_after {
            resp.headers_mut().insert("retry-after", r.parse().unwrap());
        }
        return Some(resp);
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("OAuth {STATUSPAGE_KEY}"))
    {
        return Some((StatusCode::UNAUTHORIZED, Json401).into_response());
    }
    None
}

struct Json401;
impl IntoResponse for Json401 {
    fn into_response(self) -> Response {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "Could not authenticate"})),
        )
            .into_response()
    }
}

fn incident(id: &str, page: &str, inc: &Value) -> Value {
    json!({
        "id": id,
        "page_id": page,
        "name": inc["name"],
        "status": inc["status"],
        "impact": inc["impact_override"],
        "shortlink": format!("https://stspg.io/{id}"),
        "incident_updates": [{"status": inc["status"], "body": inc["body"]}],
        "components": inc["component_ids"],
    })
}

/// Starts the API; its base URL for `base_url` is `<server.base>/v1`.
pub async fn statuspage_server() -> (Server, SpShared) {
    let shared: SpShared = Arc::default();
    async fn create(
        State(s): State<SpShared>,
        Path(page): Path<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        if let Some(r) = record(
            &s,
            "POST",
            format!("/v1/pages/{page}/incidents"),
            &headers,
            &body,
        ) {
            return r;
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let inc = &v["incident"];
        if !inc["name"].is_string() || !inc["body"].is_string() {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({"error": ["name can't be blank"]})),
            )
                .into_response();
        }
        let id = {
            let mut st = s.lock().unwrap();
            st.next_id += 1;
            format!("sp{:04}", st.next_id)
        };
        (StatusCode::CREATED, axum::Json(incident(&id, &page, inc))).into_response()
    }
    async fn update(
        State(s): State<SpShared>,
        Path((page, id)): Path<(String, String)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        if let Some(r) = record(
            &s,
            "PATCH",
            format!("/v1/pages/{page}/incidents/{id}"),
            &headers,
            &body,
        ) {
            return r;
        }
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (
            StatusCode::OK,
            axum::Json(incident(&id, &page, &v["incident"])),
        )
            .into_response()
    }
    let router = Router::new()
        .route("/v1/pages/{page}/incidents", post(create))
        .route("/v1/pages/{page}/incidents/{id}", patch(update))
        .with_state(shared.clone());
    (start(router).await, shared)
}
