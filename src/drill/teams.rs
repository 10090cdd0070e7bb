//! The drill's Teams Workflows receiver: `POST /workflows/{flow}` takes what a Workflows webhook
//! ("Post to a channel when a webhook request is received") takes — a message carrying an
//! Adaptive Card — answers 202 like the real one, and writes each card to
//! `<drill dir>/teams/NNN.json` so the drill shows what the channel would have seen.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::DrillShared;

/// Why a body is not a Workflows Adaptive Card message, if it is not.
pub fn check_card(v: &Value) -> Result<(), &'static str> {
    if v["type"] != "message" {
        return Err("the body must be a message: \"type\": \"message\"");
    }
    let Some([att]) = v["attachments"].as_array().map(Vec::as_slice) else {
        return Err("the message must carry exactly one attachment");
    };
    if att["contentType"] != "application/vnd.microsoft.card.adaptive" {
        return Err(
            "the attachment must be an Adaptive Card (application/vnd.microsoft.card.adaptive)",
        );
    }
    let card = &att["content"];
    if card["type"] != "AdaptiveCard" || !card["version"].is_string() {
        return Err("the attachment's content must be an AdaptiveCard with a version");
    }
    if card["body"].as_array().is_none_or(|b| b.is_empty()) {
        return Err("the card has no body");
    }
    Ok(())
}

pub async fn receive(
    State(s): State<Arc<DrillShared>>,
    Path(flow): Path<String>,
    body: Bytes,
) -> Response {
    if flow != s.teams_flow {
        return (StatusCode::NOT_FOUND, "no such workflow").into_response();
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return (StatusCode::BAD_REQUEST, "the body is not JSON").into_response(),
    };
    if let Err(why) = check_card(&v) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": {"code": "InvalidRequestContent", "message": why}})),
        )
            .into_response();
    }
    let n = s.teams_posts.fetch_add(1, Ordering::SeqCst) + 1;
    let dir = s.dir.join("teams");
    let written = std::fs::create_dir_all(&dir).and_then(|_| {
        std::fs::write(
            dir.join(format!("{n:03}.json")),
            serde_json::to_string_pretty(&v).unwrap_or_default(),
        )
    });
    if let Err(e) = written {
        tracing::warn!("drill Teams receiver could not write: {e}");
    }
    StatusCode::ACCEPTED.into_response()
}
