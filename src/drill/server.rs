//! The drill's HTTP server on 127.0.0.1: a Graph token endpoint and service-health
//! `healthOverviews` / `issues`, a Statuspage `summary.json` and an RSS feed, each built from
//! the scenario's state at the current drill time; and, for the update channels, a Teams
//! Workflows receiver ([`super::teams`]) and a Statuspage API ([`super::statuspage_api`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::DrillShared;

type Shared = Arc<DrillShared>;

/// Binds 127.0.0.1:0, serves in the background, returns `http://127.0.0.1:PORT`.
pub async fn start(shared: Shared) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route(
            "/v1.0/admin/serviceAnnouncement/healthOverviews",
            get(overviews),
        )
        .route("/v1.0/admin/serviceAnnouncement/issues", get(issues))
        .route("/api/v2/summary.json", get(summary))
        .route("/rss.xml", get(rss))
        .route("/workflows/{flow}", post(super::teams::receive))
        .route(
            "/v1/pages/{page}/incidents",
            post(super::statuspage_api::create).get(super::statuspage_api::list),
        )
        .route(
            "/v1/pages/{page}/incidents/{id}",
            patch(super::statuspage_api::update),
        )
        .with_state(shared);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!("drill HTTP server stopped: {e}");
        }
    });
    Ok(base)
}

fn ts(s: &DrillShared, t: std::time::Duration) -> String {
    s.clock
        .stamp(t)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn token(State(s): State<Shared>, Form(form): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") != "client_credentials" || get("client_secret") != s.secret {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})),
        )
            .into_response();
    }
    Json(json!({
        "token_type": "Bearer",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": s.token,
    }))
    .into_response()
}

fn authorised(s: &DrillShared, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {}", s.token))
}

fn unauthorised() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty or invalid."}})),
    )
        .into_response()
}

async fn overviews(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if !authorised(&s, &headers) {
        return unauthorised();
    }
    let st = s.state();
    let exo = match &st.issue {
        Some(i) if i.resolved.is_none() => i.status.clone(),
        _ => "serviceOperational".to_string(),
    };
    Json(json!({
        "value": [
            {"service": "Exchange Online", "status": exo, "id": "Exchange"},
            {"service": "Microsoft Teams", "status": "serviceOperational", "id": "microsoftteams"},
        ]
    }))
    .into_response()
}

async fn issues(State(s): State<Shared>, headers: HeaderMap) -> Response {
    if !authorised(&s, &headers) {
        return unauthorised();
    }
    let st = s.state();
    let value: Vec<Value> = st
        .issue
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "title": i.title,
                "service": "Exchange Online",
                "feature": i.feature,
                "classification": "incident",
                "status": i.status,
                "isResolved": i.resolved.is_some(),
                "startDateTime": ts(&s, i.started),
                "endDateTime": i.resolved.map(|r| ts(&s, r)),
                "lastModifiedDateTime": ts(&s, i.updated),
                "posts": i.posts.iter().map(|(at, html)| json!({
                    "createdDateTime": ts(&s, *at),
                    "postType": "regular",
                    "description": {"contentType": "html", "content": html},
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "value": value })).into_response()
}

async fn summary(State(s): State<Shared>) -> Response {
    let st = s.state();
    let now = ts(&s, s.clock.elapsed());
    let components: Vec<Value> = st
        .components
        .iter()
        .enumerate()
        .map(|(n, (name, status, at))| {
            json!({"id": format!("drill-component-{n}"), "name": name, "status": status,
                   "updated_at": ts(&s, *at), "group": false, "position": n + 1})
        })
        .collect();
    let incidents: Vec<Value> = st
        .page_incident
        .iter()
        .map(|i| {
            json!({
                "id": "drill-incident-1",
                "name": i.name,
                "status": i.status,
                "impact": "major",
                "created_at": ts(&s, i.started),
                "started_at": ts(&s, i.started),
                "updated_at": ts(&s, i.updates.last().map_or(i.started, |u| u.0)),
                "resolved_at": i.resolved.map(|r| ts(&s, r)),
                "incident_updates": i.updates.iter().rev().map(|(at, status, text)| json!({
                    "status": status, "body": text,
                    "created_at": ts(&s, *at), "display_at": ts(&s, *at),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({
        "page": {"id": "drill", "name": "Mail relay provider (drill)", "updated_at": now},
        "status": {"indicator": st.indicator, "description": st.indicator_description},
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": [],
    }))
    .into_response()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn rss(State(s): State<Shared>) -> Response {
    let st = s.state();
    let mut items = String::new();
    for (at, title, text) in st.rss.iter().rev() {
        let when = s.clock.stamp(*at);
        items.push_str(&format!(
            "<item><title>{}</title><pubDate>{}</pubDate><guid isPermaLink=\"false\">drill-status#mail-latency_{}</guid><description>{}</description></item>\n",
            xml_escape(title),
            when.to_rfc2822(),
            when.timestamp(),
            xml_escape(text),
        ));
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Mail provider status (drill)</title><link>http://127.0.0.1/</link><description>Drill feed</description>\n{items}</channel></rss>\n"
    );
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}
