//! The report as JSON: the whole incident, its edit history and its journal.
//!
//! ```text
//! {
//!   "schema_version": 1,
//!   "generated_at": RFC 3339 UTC,
//!   "zone": "America/New_York",          // the zone the other formats were asked for
//!   "incident": { id, title, severity, status, state, drill, opened_at, opened_by, started_at,
//!                 closed_at, roles, key_times, durations, closing, followups, playbooks,
//!                 entries, health_seen, evidence, tickets, review: { sections, versions } },
//!   "events": [ every journal event, as in journal.jsonl ]
//! }
//! ```
//! `incident` is the readable derived view (every entry, deleted ones too, each with its
//! `history` of earlier versions); `events` is the source of truth, and [`load`] rebuilds the
//! same incident state from it. Times are RFC 3339 UTC.

use serde_json::{Value, json};

use super::ExportOptions;
use crate::domain::closing::{durations, key_times};
use crate::domain::event::Event;
use crate::domain::incident::{FoldError, Incident};

/// The version of this document's shape; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// Why a JSON export could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a warroom JSON export ({0}): export one with `warroom export --format json`")]
    Parse(#[from] serde_json::Error),
    #[error(
        "the export has schema_version {0}, newer than this warroom understands ({SCHEMA_VERSION}): use a newer warroom"
    )]
    TooNew(u64),
    #[error(
        "the export has no schema_version: export it again with `warroom export --format json`"
    )]
    NoVersion,
    #[error("the export's events do not make an incident: {0}")]
    Fold(#[from] FoldError),
}

/// The document.
/// (`_events`, the journal as read, is not used: the incident keeps its events in fold order.)
pub fn render(inc: &Incident, _events: &[Event], opts: &ExportOptions) -> String {
    let playbooks: Vec<Value> = inc
        .playbooks
        .iter()
        .map(|pb| {
            let steps: Vec<Value> = pb
                .steps()
                .map(|(sec, step)| {
                    let st = inc.progress.state(&pb.id, &step.id);
                    json!({
                        "id": step.id,
                        "section": sec.title,
                        "title": step.title,
                        "required": step.required,
                        "owner": st.effective_owner(step),
                        "state": st,
                    })
                })
                .collect();
            json!({"id": pb.id, "name": pb.name, "steps": steps})
        })
        .collect();
    let key_times: serde_json::Map<String, Value> = key_times(inc)
        .into_iter()
        .map(|k| {
            (
                k.which.as_str().to_string(),
                json!({"at": k.at, "set": k.set}),
            )
        })
        .collect();
    let durations: serde_json::Map<String, Value> = durations(inc)
        .into_iter()
        .map(|(m, d)| {
            (
                format!("{}_seconds", m.as_str()),
                json!(d.map(|d| d.num_seconds())),
            )
        })
        .collect();
    let roles: serde_json::Map<String, Value> = inc
        .roles
        .iter()
        .map(|(r, p)| (r.as_str().to_string(), json!(p)))
        .collect();
    // Each entry as it is, with its marker (`detection`, … `key_moment`) when it has one.
    let entries: Vec<Value> = inc
        .entries
        .iter()
        .map(|e| {
            let mut v = json!(e);
            if let (Some(m), Some(obj)) = (inc.markers.get(&e.id), v.as_object_mut()) {
                obj.insert("marker".into(), json!(m));
            }
            v
        })
        .collect();
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        generated_at: chrono::DateTime<chrono::Utc>,
        zone: String,
        incident: Value,
        events: &'a [Event],
    }
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        generated_at: opts.generated_at,
        zone: opts.zone.name(),
        incident: json!({
            "id": inc.id,
            "title": inc.title,
            "severity": inc.severity,
            "status": inc.status,
            // The status and whether it is closed, as the other reports' status row says it.
            "state": format!(
                "{} · {}",
                inc.status,
                if inc.is_closed() { "closed" } else { "open" }
            ),
            "drill": inc.drill,
            "opened_at": inc.opened_at,
            "opened_by": inc.opened_by,
            "started_at": inc.started_at,
            "closed_at": inc.closed_at,
            "roles": roles,
            "key_times": key_times,
            "durations": durations,
            "closing": inc.closing,
            "followups": inc.followups(),
            "playbooks": playbooks,
            "entries": entries,
            "health_seen": inc.health_seen,
            "evidence": inc.custody.files(),
            "tickets": inc.custody.tickets,
            // The review as the reports show it, and every saved version.
            "review": {
                "sections": crate::export::review::report_sections(inc, opts.zone),
                "versions": inc.reviews,
            },
        }),
        // In fold order, each once: the same in every console that holds the same events,
        // whatever order they arrived in.
        events: inc.events_in_order(),
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| {
        // Serialising plain data to a string does not fail; say so rather than panic.
        format!("{{\"error\": {}}}", json!(e.to_string()))
    });
    out.push('\n');
    out
}

/// Rebuilds the incident from an export's `events`.
pub fn load(text: &str) -> Result<Incident, ImportError> {
    #[derive(serde::Deserialize)]
    struct Doc {
        schema_version: Option<u64>,
        #[serde(default)]
        events: Vec<Event>,
    }
    let doc: Doc = serde_json::from_str(text)?;
    match doc.schema_version {
        None => return Err(ImportError::NoVersion),
        Some(v) if v > u64::from(SCHEMA_VERSION) => return Err(ImportError::TooNew(v)),
        Some(_) => {}
    }
    Ok(Incident::from_events(&doc.events)?)
}
