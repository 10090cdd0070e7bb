//! Atlassian Statuspage pages (`{url}/api/v2/summary.json`).
//!
//! Rules:
//! - the source level is the page's `status.indicator`: `none` → operational, `minor` →
//!   degraded, `major` → partial_outage, `critical` → major_outage, `maintenance` → maintenance;
//!   an unknown indicator falls back to the worst item;
//! - one item per component (`component:<id>`, group components skipped since their children
//!   are listed), level from its status (`operational`, `degraded_performance`, `partial_outage`,
//!   `major_outage`, `under_maintenance`);
//! - one item per unresolved incident (level from `impact`, operational once `resolved` or
//!   `postmortem`) with its `incident_updates` as posts;
//! - one item per scheduled maintenance that is `in_progress` or `verifying` (level maintenance).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::health::{HealthItem, ItemUpdate, Level};

use super::{
    ParseError, STATUS_CAP, SourceReport, TITLE_CAP, clean_line, html_to_text, parse_time,
};

#[derive(Debug, Deserialize)]
struct Summary {
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    components: Vec<Component>,
    #[serde(default)]
    incidents: Vec<Incident>,
    #[serde(default)]
    scheduled_maintenances: Vec<Incident>,
}

#[derive(Debug, Deserialize)]
struct Status {
    #[serde(default)]
    indicator: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Component {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    group: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Incident {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default)]
    incident_updates: Vec<IncidentUpdate>,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Debug, Deserialize)]
struct IncidentUpdate {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    display_at: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

/// The level of a page `indicator` (`None` for values we do not know).
pub fn indicator_level(indicator: &str) -> Option<Level> {
    Some(match indicator.trim().to_ascii_lowercase().as_str() {
        "none" => Level::Operational,
        "minor" => Level::Degraded,
        "major" => Level::PartialOutage,
        "critical" => Level::MajorOutage,
        "maintenance" => Level::Maintenance,
        _ => return None,
    })
}

/// The level of a component status.
pub fn component_level(status: &str) -> Level {
    match status.trim().to_ascii_lowercase().as_str() {
        "operational" => Level::Operational,
        "degraded_performance" => Level::Degraded,
        "partial_outage" => Level::PartialOutage,
        "major_outage" => Level::MajorOutage,
        "under_maintenance" => Level::Maintenance,
        _ => Level::Unknown,
    }
}

/// Parses `summary.json`.
pub fn parse(body: &[u8], _now: DateTime<Utc>) -> Result<SourceReport, ParseError> {
    let summary: Summary =
        serde_json::from_slice(body).map_err(|e| ParseError::new("Statuspage summary.json", e))?;
    let mut items = Vec::new();
    for c in &summary.components {
        if c.group == Some(true) {
            continue;
        }
        let Some(id) = c.id.as_deref().map(|s| clean_line(s, TITLE_CAP)) else {
            continue;
        };
        let status = clean_line(c.status.as_deref().unwrap_or(""), STATUS_CAP);
        let name = clean_line(c.name.as_deref().unwrap_or(&id), TITLE_CAP);
        items.push(HealthItem {
            id: format!("component:{id}"),
            title: name.clone(),
            service: Some(name),
            level: component_level(&status),
            status,
            started: None,
            updated: c.updated_at.as_deref().and_then(parse_time),
            resolved: None,
            updates: Vec::new(),
        });
    }
    for inc in &summary.incidents {
        if let Some(item) = incident_item(inc, false) {
            items.push(item);
        }
    }
    for m in &summary.scheduled_maintenances {
        let active = m.status.as_deref().is_some_and(|s| {
            matches!(s.to_ascii_lowercase().as_str(), "in_progress" | "verifying")
        });
        if active && let Some(item) = incident_item(m, true) {
            items.push(item);
        }
    }
    let level = summary
        .status
        .and_then(|s| s.indicator)
        .and_then(|i| indicator_level(&i))
        .unwrap_or_else(|| {
            items
                .iter()
                .filter(|i| i.resolved.is_none())
                .map(|i| i.level)
                .max()
                .unwrap_or(Level::Unknown)
        });
    Ok(SourceReport { level, items })
}

fn incident_item(inc: &Incident, maintenance: bool) -> Option<HealthItem> {
    let id = clean_line(inc.id.as_deref()?, TITLE_CAP);
    if id.is_empty() {
        return None;
    }
    let status = clean_line(inc.status.as_deref().unwrap_or(""), STATUS_CAP);
    let done = matches!(
        status.to_ascii_lowercase().as_str(),
        "resolved" | "postmortem" | "completed"
    );
    let resolved = inc.resolved_at.as_deref().and_then(parse_time).or_else(|| {
        if done {
            inc.updated_at.as_deref().and_then(parse_time)
        } else {
            None
        }
    });
    let level = if resolved.is_some() || done {
        Level::Operational
    } else if maintenance {
        Level::Maintenance
    } else {
        match inc
            .impact
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("none") => Level::Operational,
            Some("minor") => Level::Degraded,
            Some("major") => Level::PartialOutage,
            Some("critical") => Level::MajorOutage,
            Some("maintenance") => Level::Maintenance,
            _ => Level::Unknown,
        }
    };
    let mut updates: Vec<ItemUpdate> = inc
        .incident_updates
        .iter()
        .filter_map(|u| {
            let at = u
                .display_at
                .as_deref()
                .or(u.created_at.as_deref())
                .and_then(parse_time)?;
            let body = html_to_text(u.body.as_deref().unwrap_or(""));
            let status = clean_line(u.status.as_deref().unwrap_or(""), 40);
            let text = if status.is_empty() {
                body
            } else {
                format!("{status}: {body}")
            };
            Some(ItemUpdate { at, text })
        })
        .collect();
    updates.sort_by_key(|u| u.at);
    let service = {
        let names: Vec<String> = inc
            .components
            .iter()
            .filter_map(|c| c.name.as_deref())
            .map(|n| clean_line(n, 80))
            .collect();
        if names.is_empty() {
            None
        } else {
            Some(clean_line(&names.join(", "), TITLE_CAP))
        }
    };
    Some(HealthItem {
        id,
        title: clean_line(inc.name.as_deref().unwrap_or(""), TITLE_CAP),
        service,
        level,
        status,
        started: inc
            .started_at
            .as_deref()
            .or(inc.created_at.as_deref())
            .and_then(parse_time),
        updated: inc.updated_at.as_deref().and_then(parse_time),
        resolved,
        updates,
    })
}
