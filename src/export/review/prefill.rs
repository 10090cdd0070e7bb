//! What each section of the review says before the team writes it, from the incident: the
//! summary and impact of the close, the durations, the trace snapshots' counts, the pinned and
//! marked entries, the time detection, diagnosis and repair took, and the follow-ups. The
//! sections only people can write say [`NOT_WRITTEN`].

use chrono::{DateTime, Utc};

use crate::domain::closing::{KeyTime, key_time, marked};
use crate::domain::followup::FollowUpState;
use crate::domain::incident::{Entry, Incident};
use crate::domain::marker::Marker;
use crate::domain::review::NOT_WRITTEN;
use crate::domain::time::{Zone, format_duration};

/// `2026-11-30 14:03 -05:00`.
fn at(t: DateTime<Utc>, zone: Zone) -> String {
    zone.to_wall(t).format("%Y-%m-%d %H:%M %:z").to_string()
}

/// One line of text: line breaks become spaces.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn or_not_written(s: Option<&str>) -> String {
    match s.map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => NOT_WRITTEN.to_string(),
    }
}

/// An entry as a list item: `- 2026-11-30 13:20 -05:00 · detection · ★ text (bob)`.
fn item(e: &Entry, inc: &Incident, zone: Zone) -> String {
    let mut s = format!("- {}", at(e.occurred_at, zone));
    if let Some(m) = inc.markers.get(&e.id) {
        s.push_str(&format!(" · {m}"));
    }
    s.push_str(" · ");
    if e.pinned {
        s.push_str("★ ");
    }
    s.push_str(&format!("{} ({})", one_line(&e.text), e.author));
    s
}

/// The action items: the follow-ups decided at close, with their state and tracker issues. The
/// one place the review reads them.
pub fn action_items(inc: &Incident) -> Vec<String> {
    inc.followups()
        .iter()
        .map(|f| {
            let mut line = format!("- {} (owner {}", f.action, f.owner);
            if let Some(d) = &f.due_text {
                line.push_str(&format!(", due {d}"));
            }
            if f.state != FollowUpState::Open {
                line.push_str(&format!("; {}", f.state.as_str()));
            }
            if let Some(r) = &f.reason {
                line.push_str(&format!(": {r}"));
            }
            for p in &f.pushed {
                line.push_str(&format!("; {} {}", p.tracker, p.key));
            }
            line.push(')');
            line
        })
        .collect()
}

/// The prefill of the section the built-in template calls `key` (see
/// [`crate::domain::review::SECTIONS`]).
pub fn section(inc: &Incident, key: &str, zone: Zone) -> String {
    let closing = inc.closing.as_ref();
    match key {
        "summary" => or_not_written(closing.map(|c| c.summary.as_str())),
        "impact" => impact(inc, zone),
        "timeline" => {
            let lines: Vec<String> = inc
                .visible_entries()
                .filter(|e| e.pinned || inc.markers.contains_key(&e.id))
                .map(|e| item(e, inc, zone))
                .collect();
            if lines.is_empty() {
                "No entry is pinned or marked yet: pin (p) or mark (m) the moments that mattered in the console's timeline.".into()
            } else {
                lines.join("\n")
            }
        }
        "response" => response(inc, zone),
        "contributing_factors" => or_not_written(closing.map(|c| c.root_cause.as_str())),
        "action_items" => {
            let items = action_items(inc);
            if items.is_empty() {
                NOT_WRITTEN.into()
            } else {
                items.join("\n")
            }
        }
        _ => NOT_WRITTEN.into(),
    }
}

fn impact(inc: &Incident, zone: Zone) -> String {
    let started = key_time(inc, KeyTime::Started).at;
    let resolved = key_time(inc, KeyTime::Resolved).at;
    let duration = match (started, resolved) {
        (Some(s), Some(r)) => format!(
            "{} (from {} to {})",
            format_duration(r - s),
            at(s, zone),
            at(r, zone)
        ),
        (Some(s), None) => format!("ongoing, since {}", at(s, zone)),
        _ => "not known".into(),
    };
    let mut out = vec![
        format!("- Duration: {duration}"),
        format!("- Severity: {}", inc.severity.label()),
        format!(
            "- Users affected: {}",
            or_not_written(inc.closing.as_ref().map(|c| c.impact.as_str()))
        ),
    ];
    let traces: Vec<&Entry> = inc
        .visible_entries()
        .filter(|e| e.kind == crate::domain::incident::EntryKind::Trace)
        .collect();
    if traces.is_empty() {
        out.push("- Mail affected: no message-trace snapshot was kept".into());
    } else {
        out.push("- Mail affected, from the message-trace snapshots kept:".into());
        for e in traces {
            out.push(format!(
                "  - {}: {}",
                at(e.occurred_at, zone),
                one_line(&e.text)
            ));
        }
    }
    out.join("\n")
}

/// Detection: from the start to the detected time. Diagnosis: from the detected time to the
/// last entry marked diagnosis. Repair: from the end of diagnosis (or detection) to the
/// mitigated time, else to the last entry marked repair.
fn response(inc: &Incident, zone: Zone) -> String {
    let started = key_time(inc, KeyTime::Started).at;
    let detected = key_time(inc, KeyTime::Detected).at;
    let mitigated = key_time(inc, KeyTime::Mitigated).at;
    let last = |m| marked(inc, m).map(|e| e.occurred_at).max();
    let diagnosed = last(Marker::Diagnosis);
    let repaired = mitigated.or(last(Marker::Repair));
    let took = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>, none: &str| match (from, to)
    {
        (Some(a), Some(b)) if b >= a => format!(
            "took {} ({} → {})",
            format_duration(b - a),
            at(a, zone),
            at(b, zone)
        ),
        _ => none.to_string(),
    };
    let mut out = Vec::new();
    for (title, m, span) in [
        (
            "Detection",
            Marker::Detection,
            took(started, detected, "time not known"),
        ),
        (
            "Diagnosis",
            Marker::Diagnosis,
            took(detected, diagnosed, "no entry is marked diagnosis yet"),
        ),
        (
            "Repair",
            Marker::Repair,
            took(
                diagnosed.or(detected),
                repaired,
                "no mitigated time or repair marker yet",
            ),
        ),
    ] {
        out.push(format!("{title}: {span}."));
        let items: Vec<String> = marked(inc, m).map(|e| item(e, inc, zone)).collect();
        if !items.is_empty() {
            out.push(items.join("\n"));
        }
    }
    out.join("\n\n")
}
