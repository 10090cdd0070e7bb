//! The drill's Statuspage API (REST v1, as documented): create
//! (`POST /v1/pages/{page}/incidents`), update (`PATCH …/incidents/{id}`) and list
//! (`GET …/incidents`) the incidents of one page, with `Authorization: OAuth <key>` and at most
//! one request per second per key (faster ones get 429 with `Retry-After`). Every change is
//! written to `<drill dir>/statuspage/incidents.json`, so the drill's page can be read there.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::DrillShared;

/// The page the drill publishes to.
pub const PAGE_ID: &str = "drillpage";
/// Its components: (name, id).
pub const COMPONENTS: [(&str, &str); 2] =
    [("Email", "drillemail"), ("Outlook on the web", "drillowa")];

const STATUSES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];
const COMPONENT_STATUSES: [&str; 5] = [
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
];

/// The page as the API knows it.
#[derive(Debug, Default)]
pub struct Page {
    pub incidents: Vec<Value>,
    last_request: Option<Instant>,
}

fn err(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

/// Auth, page and rate checks shared by every route.
fn admit(s: &DrillShared, page: &str, headers: &HeaderMap) -> Result<(), Box<Response>> {
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&format!("OAuth {}", s.statuspage_key))
    {
        return Err(Box::new(err(
            StatusCode::UNAUTHORIZED,
            "Could not authenticate",
        )));
    }
    if page != PAGE_ID {
        return Err(Box::new(err(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        )));
    }
    let mut p = s.page.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if p.last_request
        .is_some_and(|t| now.duration_since(t) < Duration::from_millis(950))
    {
        let mut resp = err(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return Err(Box::new(resp));
    }
    p.last_request = Some(now);
    Ok(())
}

/// Applies the `incident` object of a request to `inc`; an error says what is wrong.
fn apply(inc: &mut Value, req: &Value, now: &str) -> Result<(), String> {
    let body = req.get("body").and_then(Value::as_str).unwrap_or("");
    if let Some(st) = req.get("status") {
        let st = st.as_str().unwrap_or("");
        if !STATUSES.contains(&st) {
            return Err(format!(
                "status {st:?} is not one of {}",
                STATUSES.join(", ")
            ));
        }
        inc["status"] = json!(st);
        if st == "resolved" {
            inc["resolved_at"] = json!(now);
        }
    }
    if let Some(comps) = req.get("components").and_then(Value::as_object) {
        let mut map: BTreeMap<String, Value> = inc["components"]
            .as_object()
            .map(|m| m.clone().into_iter().collect())
            .unwrap_or_default();
        for (id, st) in comps {
            let st = st.as_str().unwrap_or("");
            if !COMPONENTS.iter().any(|(_, c)| c == id) {
                return Err(format!("no component {id:?} on this page"));
            }
            if !COMPONENT_STATUSES.contains(&st) {
                return Err(format!("component status {st:?} is not valid"));
            }
            map.insert(id.clone(), json!(st));
        }
        inc["components"] = json!(map);
    }
    if let Some(i) = req.get("impact_override") {
        inc["impact"] = i.clone();
    }
    inc["updated_at"] = json!(now);
    let update = json!({
        "status": inc["status"],
        "body": body,
        "created_at": now,
        "affected_components": inc["components"],
    });
    if let Some(u) = inc["incident_updates"].as_array_mut() {
        u.insert(0, update);
    }
    Ok(())
}

fn save(s: &DrillShared, page: &Page) {
    let dir = s.dir.join("statuspage");
    let text = serde_json::to_string_pretty(&page.incidents).unwrap_or_default();
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(dir.join("incidents.json"), text))
    {
        tracing::warn!("drill Statuspage could not write its incidents: {e}");
    }
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn create(
    State(s): State<Arc<DrillShared>>,
    Path(page): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = admit(&s, &page, &headers) {
        return *r;
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let req = &req["incident"];
    let Some(name) = req
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "name can't be blank");
    };
    let now = now_text();
    let mut p = s.page.lock().unwrap_or_else(|e| e.into_inner());
    let id = format!("drillinc{}", p.incidents.len() + 1);
    let mut inc = json!({
        "id": id,
        "page_id": PAGE_ID,
        "name": name,
        "status": "investigating",
        "impact": "none",
        "created_at": now,
        "updated_at": now,
        "resolved_at": null,
        "shortlink": format!("https://stspg.io/{id}"),
        "components": {},
        "incident_updates": [],
    });
    if let Err(e) = apply(&mut inc, req, &now) {
        return err(StatusCode::UNPROCESSABLE_ENTITY, &e);
    }
    p.incidents.push(inc.clone());
    save(&s, &p);
    (StatusCode::CREATED, Json(inc)).into_response()
}

pub async fn update(
    State(s): State<Arc<DrillShared>>,
    Path((page, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = admit(&s, &page, &headers) {
        return *r;
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let now = now_text();
    let mut p = s.page.lock().unwrap_or_else(|e| e.into_inner());
    let Some(inc) = p.incidents.iter_mut().find(|i| i["id"] == id.as_str()) else {
        return err(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        );
    };
    if let Err(e) = apply(inc, &req["incident"], &now) {
        return err(StatusCode::UNPROCESSABLE_ENTITY, &e);
    }
    let out = inc.clone();
    save(&s, &p);
    Json(out).into_response()
}

pub async fn list(
    State(s): State<Arc<DrillShared>>,
    Path(page): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&s, &page, &headers) {
        return *r;
    }
    let p = s.page.lock().unwrap_or_else(|e| e.into_inner());
    let mut all = p.incidents.clone();
    all.reverse();
    Json(Value::Array(all)).into_response()
}
