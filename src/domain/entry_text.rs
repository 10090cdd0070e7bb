//! The timeline text of each event: what the entry an event makes says. `Incident::apply`
//! changes the state and takes its entries' text from here, so the wording of the timeline is
//! read (and changed) in one place.
//!
//! Below the incident: it sees the event and the few fields of the incident the text tells the
//! change from, never the incident itself.

use super::comms::ChannelFailure;
use super::event::EventBody;
use super::followup::FollowUpState;
use super::playbook::Playbook;
pub use super::playbook::timeline_text as step_changed;
use super::vocab::{Severity, Status};

/// The fields of the incident, as they were before the event, that a text tells the change from.
#[derive(Debug, Clone, Copy)]
pub struct Before<'a> {
    pub title: &'a str,
    pub severity: Severity,
    pub status: Status,
}

/// The text of the entry an event makes, for every event whose text depends on no more than
/// the event and [`Before`]: `title: A → B`, `severity: SEV2 → SEV1`, `closed: …`, the health,
/// trace and comms entries. `None` for events that make no entry of their own, or whose text
/// comes from a playbook ([`playbook_attached`], [`step_changed`]) or from the person
/// (`entry_added`).
pub fn text(body: &EventBody, before: Before<'_>) -> Option<String> {
    Some(match body {
        EventBody::TitleSet { title } => format!("title: {} → {}", before.title, title),
        EventBody::SeveritySet { severity } => format!(
            "severity: {} → {}",
            before.severity.label(),
            severity.label()
        ),
        EventBody::StatusSet { status } => format!("status: {} → {}", before.status, status),
        EventBody::RoleSet { role, person } if person.is_empty() => {
            format!("{}: cleared", role.label())
        }
        EventBody::RoleSet { role, person } => format!("{}: {}", role.label(), person),
        EventBody::HealthChanged { text, .. } => text.clone(),
        EventBody::TraceSnapshot {
            query,
            rows,
            by_status,
            evidence,
            ..
        } => {
            let counts: Vec<String> = by_status
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| format!("{s} {n}"))
                .collect();
            let mut text = format!("trace {query}: {rows} rows");
            if !counts.is_empty() {
                text.push_str(&format!(" ({})", counts.join(", ")));
            }
            if let Some(e) = evidence {
                text.push_str(&format!("; rows kept in {e}"));
            }
            text
        }
        EventBody::Closed {
            summary,
            override_reason,
            ..
        } => {
            let mut text = format!("closed: {summary}");
            if let Some(r) = override_reason {
                text.push_str(&format!(
                    " · closed with required playbook steps open, override: {r}"
                ));
            }
            text
        }
        EventBody::Reopened { reason } => match reason {
            Some(r) => format!("reopened: {r}"),
            None => "reopened".to_string(),
        },
        EventBody::KeyTimeSet { which, time } => {
            format!("key time {which}: {}", time.format("%Y-%m-%d %H:%M:%S UTC"))
        }
        EventBody::UpdateSent {
            template,
            channels_ok,
            channels_failed,
            text,
            retry_of,
            statuspage,
        } => {
            let mut text = sent_entry_text(
                template,
                channels_ok,
                channels_failed,
                retry_of.is_some(),
                text,
            );
            if !statuspage.is_empty() {
                // After the header line: which Statuspage incidents it went to.
                let pages: Vec<String> = statuspage
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: Statuspage incident {} ({})",
                            p.channel, p.incident_id, p.status
                        )
                    })
                    .collect();
                let at = text.find('\n').unwrap_or(text.len());
                text.insert_str(at, &format!(" [{}]", pages.join("; ")));
            }
            text
        }
        EventBody::UpdateSnoozed { minutes } => snooze_entry_text(*minutes),
        EventBody::EvidenceAdded(e) => super::evidence::evidence_text(e),
        EventBody::TicketRecorded(t) => super::evidence::ticket_text(t),
        EventBody::Handoff { to, from, brief } => {
            let from = if from.is_empty() { "(nobody)" } else { from };
            let mut text = format!("commander handoff: {from} → {to}");
            if !brief.is_empty() {
                text.push('\n');
                text.push_str(brief);
            }
            text
        }
        EventBody::IncidentOpened { .. }
        | EventBody::EntryAdded { .. }
        | EventBody::EntryEdited { .. }
        | EventBody::EntryDeleted { .. }
        | EventBody::EntryRestored { .. }
        | EventBody::EntryPinned { .. }
        | EventBody::EntryMarked { .. }
        | EventBody::ReviewSaved { .. }
        | EventBody::PlaybookAttached { .. }
        | EventBody::StepChanged { .. }
        | EventBody::HealthSeen { .. }
        | EventBody::FollowupChanged { .. }
        | EventBody::FollowupPushed { .. }
        | EventBody::Unknown => return None,
    })
}

/// `playbook attached: Mail flow outage (12 steps)`.
pub fn playbook_attached(pb: &Playbook) -> String {
    format!("playbook attached: {} ({} steps)", pb.name, pb.step_count())
}

/// The timeline text of a sent update: a header line, then the text as it went out.
pub fn sent_entry_text(
    template: &str,
    ok: &[String],
    failed: &[ChannelFailure],
    retry: bool,
    text: &str,
) -> String {
    let verb = if retry { "resent" } else { "sent" };
    let mut head = if ok.is_empty() {
        format!("stakeholder update ({template}) NOT sent")
    } else {
        format!(
            "stakeholder update ({template}) {verb} to {}",
            ok.join(", ")
        )
    };
    if !failed.is_empty() {
        let f: Vec<String> = failed
            .iter()
            .map(|f| format!("{} ({})", f.channel, f.error))
            .collect();
        head.push_str(&format!("; FAILED: {}", f.join(", ")));
    }
    format!("{head}\n{text}")
}

/// `follow-up done: Add a second MX`, `follow-up dropped: … (reason: …)`: the text of a
/// `followup_changed` event, told with the follow-up's action (the event carries only its id).
pub fn followup_changed(action: &str, state: FollowUpState, reason: Option<&str>) -> String {
    let verb = match state {
        FollowUpState::Open => "reopened",
        FollowUpState::Done => "done",
        FollowUpState::Dropped => "dropped",
    };
    match reason {
        Some(r) if !r.is_empty() => format!("follow-up {verb}: {action} (reason: {r})"),
        _ => format!("follow-up {verb}: {action}"),
    }
}

/// `follow-up pushed to github: Add a second MX → acme/mail#12 <url>`.
pub fn followup_pushed(action: &str, tracker: &str, key: &str, url: &str) -> String {
    format!("follow-up pushed to {tracker}: {action} → {key} {url}")
}

/// The timeline text of a snooze.
pub fn snooze_entry_text(minutes: u32) -> String {
    format!("next stakeholder update snoozed by {minutes} min")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vocab::Role;

    fn before() -> Before<'static> {
        Before {
            title: "Mail delayed",
            severity: Severity::Sev3,
            status: Status::Investigating,
        }
    }

    #[test]
    fn field_changes_say_from_and_to() {
        let t = |b: EventBody| text(&b, before()).unwrap();
        assert_eq!(
            t(EventBody::TitleSet {
                title: "Mail down".into()
            }),
            "title: Mail delayed → Mail down"
        );
        assert_eq!(
            t(EventBody::SeveritySet {
                severity: Severity::Sev1
            }),
            "severity: SEV3 → SEV1"
        );
        assert_eq!(
            t(EventBody::StatusSet {
                status: Status::Mitigated
            }),
            "status: investigating → mitigated"
        );
        assert_eq!(
            t(EventBody::RoleSet {
                role: Role::Comms,
                person: String::new()
            }),
            "comms lead: cleared"
        );
        assert_eq!(t(EventBody::Reopened { reason: None }), "reopened");
    }

    #[test]
    fn events_without_an_entry_of_their_own_have_no_text() {
        for b in [
            EventBody::EntryDeleted {
                entry: uuid::Uuid::nil(),
            },
            EventBody::PlaybookAttached {
                playbook: "x".into(),
                source: String::new(),
            },
            EventBody::Unknown,
        ] {
            assert_eq!(text(&b, before()), None, "{b:?}");
        }
    }

    #[test]
    fn a_trace_snapshot_lists_the_counts_that_are_not_zero() {
        let b = EventBody::TraceSnapshot {
            query: "since:1h".into(),
            rows: 3,
            by_status: [("delivered".to_string(), 2), ("failed".to_string(), 0)].into(),
            evidence: Some("trace/1.json".into()),
            size: None,
            sha256: None,
        };
        assert_eq!(
            text(&b, before()).unwrap(),
            "trace since:1h: 3 rows (delivered 2); rows kept in trace/1.json"
        );
    }
}
