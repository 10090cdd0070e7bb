//! Google Workspace / Google Cloud status (`incidents.json`: a top-level array, newest first).
//!
//! Rules:
//! - an incident without `end` (absent or null) is ongoing; ended incidents are kept for
//!   [`RESOLVED_WINDOW_HOURS`] after their end, older history is dropped;
//! - status is `most_recent_update.status`, else `status_impact`;
//! - level of an ongoing incident: `SERVICE_OUTAGE` → major_outage; `SERVICE_DISRUPTION` →
//!   partial_outage when `severity` is `high`, else degraded; `SERVICE_INFORMATION` → degraded;
//!   `AVAILABLE` → operational; anything else → unknown. Ended incidents are operational;
//! - the service is the affected products' titles (else `service_name`).

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::Deserialize;

use crate::domain::health::{HealthItem, ItemUpdate, Level};

use super::{
    ParseError, STATUS_CAP, SourceReport, TITLE_CAP, clean_line, html_to_text, parse_time,
};

/// How long an ended incident stays listed.
pub const RESOLVED_WINDOW_HOURS: i64 = 24;

#[derive(Debug, Deserialize)]
struct Incident {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    begin: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    external_desc: Option<String>,
    #[serde(default)]
    updates: Vec<Update>,
    #[serde(default)]
    most_recent_update: Option<Update>,
    #[serde(default)]
    status_impact: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    affected_products: Vec<Product>,
}

#[derive(Debug, Deserialize)]
struct Update {
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Product {
    #[serde(default)]
    title: Option<String>,
}

/// The level of an ongoing incident's status and severity.
pub fn status_level(status: &str, severity: Option<&str>) -> Level {
    match status.trim().to_ascii_uppercase().as_str() {
        "SERVICE_OUTAGE" => Level::MajorOutage,
        "SERVICE_DISRUPTION" => {
            if severity.is_some_and(|s| s.eq_ignore_ascii_case("high")) {
                Level::PartialOutage
            } else {
                Level::Degraded
            }
        }
        "SERVICE_INFORMATION" => Level::Degraded,
        "AVAILABLE" => Level::Operational,
        _ => Level::Unknown,
    }
}

/// Parses `incidents.json`.
pub fn parse(body: &[u8], now: DateTime<Utc>) -> Result<SourceReport, ParseError> {
    let incidents: Vec<Incident> =
        serde_json::from_slice(body).map_err(|e| ParseError::new("Google incidents.json", e))?;
    let window = ChronoDuration::hours(RESOLVED_WINDOW_HOURS);
    let mut items = Vec::new();
    for inc in &incidents {
        let Some(id) = inc.id.as_deref().map(|s| clean_line(s, TITLE_CAP)) else {
            continue;
        };
        if id.is_empty() {
            continue;
        }
        let end = inc.end.as_deref().and_then(parse_time);
        if let Some(end) = end
            && now - end > window
        {
            continue;
        }
        let raw_status = inc
            .most_recent_update
            .as_ref()
            .and_then(|u| u.status.as_deref())
            .or(inc.status_impact.as_deref())
            .unwrap_or("");
        let status = clean_line(raw_status, STATUS_CAP);
        let level = if end.is_some() {
            Level::Operational
        } else {
            status_level(&status, inc.severity.as_deref())
        };
        let mut updates: Vec<ItemUpdate> = inc
            .updates
            .iter()
            .filter_map(|u| {
                let at = u
                    .when
                    .as_deref()
                    .or(u.created.as_deref())
                    .and_then(parse_time)?;
                Some(ItemUpdate {
                    at,
                    text: html_to_text(u.text.as_deref().unwrap_or("")),
                })
            })
            .collect();
        updates.sort_by_key(|u| u.at);
        updates.dedup_by_key(|u| u.at);
        let products: Vec<String> = inc
            .affected_products
            .iter()
            .filter_map(|p| p.title.as_deref())
            .map(|t| clean_line(t, 80))
            .filter(|t| !t.is_empty())
            .collect();
        let service = if products.is_empty() {
            inc.service_name
                .as_deref()
                .map(|s| clean_line(s, TITLE_CAP))
        } else {
            Some(clean_line(&products.join(", "), TITLE_CAP))
        };
        items.push(HealthItem {
            id,
            title: clean_line(inc.external_desc.as_deref().unwrap_or(""), TITLE_CAP),
            service,
            level,
            status,
            started: inc.begin.as_deref().and_then(parse_time),
            updated: inc.modified.as_deref().and_then(parse_time),
            resolved: end,
            updates,
        });
    }
    let level = items
        .iter()
        .filter(|i| i.resolved.is_none())
        .map(|i| i.level)
        .max()
        .unwrap_or(Level::Operational);
    Ok(SourceReport { level, items })
}
