//! The commander's handoff: the role passes to someone else with a brief of where the incident
//! stands, recorded as one `handoff` event (one timeline entry). The console's `:handoff` and
//! `warroom handoff` both build it here.

use chrono::{DateTime, Utc};

use super::closing::required_open;
use super::event::EventBody;
use super::incident::{EntryKind, Incident, Role};
use super::text::{FIELD_CAP, sanitize, sanitize_line};
use super::updates::{Cadence, countdown, next_due};

/// How many of the latest decisions the brief repeats.
pub const LAST_DECISIONS: usize = 3;

/// How many open required steps the brief names (the rest are counted).
pub const OPEN_STEPS_NAMED: usize = 4;

/// The longest a decision is quoted in the brief (its first line, cut at this many chars).
const DECISION_CAP: usize = 160;

fn clock(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M UTC").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// The brief: status and severity, the required playbook steps still open, when the next
/// stakeholder update is due, and the last few decisions from the timeline. Several lines.
pub fn brief(inc: &Incident, cadence: &Cadence, now: DateTime<Utc>) -> String {
    let mut lines = vec![format!("status {} · {}", inc.status, inc.severity.label())];
    let open = required_open(inc);
    if open.is_empty() {
        lines.push("open required steps: none".into());
    } else {
        let mut names: Vec<&str> = open
            .iter()
            .take(OPEN_STEPS_NAMED)
            .map(|(_, s)| s.as_str())
            .collect();
        let more = format!("and {} more", open.len().saturating_sub(OPEN_STEPS_NAMED));
        if open.len() > OPEN_STEPS_NAMED {
            names.push(&more);
        }
        lines.push(format!(
            "open required steps ({}): {}",
            open.len(),
            names.join("; ")
        ));
    }
    lines.push(match next_due(inc, cadence) {
        Some(due) if due >= now => format!(
            "next stakeholder update: due {} (in {})",
            clock(due, now),
            countdown(due - now)
        ),
        Some(due) => format!(
            "next stakeholder update: OVERDUE since {} ({} ago)",
            clock(due, now),
            countdown(now - due)
        ),
        None => "next stakeholder update: none scheduled".into(),
    });
    let decisions: Vec<_> = inc
        .visible_entries()
        .filter(|e| e.kind == EntryKind::Decision)
        .collect();
    if decisions.is_empty() {
        lines.push("last decisions: none logged".into());
    } else {
        lines.push("last decisions:".into());
        for e in decisions.iter().rev().take(LAST_DECISIONS).rev() {
            let first = e.text.lines().next().unwrap_or_default();
            let mut text = sanitize_line(first, FIELD_CAP);
            if text.chars().count() > DECISION_CAP {
                text = text.chars().take(DECISION_CAP - 1).collect::<String>() + "…";
            }
            lines.push(format!(
                "- {} {} ({})",
                clock(e.occurred_at, now),
                text,
                sanitize_line(&e.author, 64)
            ));
        }
    }
    lines.join("\n")
}

/// The `handoff` event that passes the commander role to `to`, or why not: the incident is
/// closed, no name was given, or `to` already is the commander (nothing to write).
pub fn handoff(
    inc: &Incident,
    to: &str,
    cadence: &Cadence,
    now: DateTime<Utc>,
) -> Result<EventBody, String> {
    if inc.is_closed() {
        return Err("the incident is closed: reopen it first to hand off".into());
    }
    let to = sanitize(to.trim(), 128);
    if to.is_empty() {
        return Err("a handoff needs the name of the new commander, e.g. handoff bob".into());
    }
    let from = inc.roles.get(&Role::Commander).cloned().unwrap_or_default();
    if from == to {
        return Err(format!(
            "{to} is already the commander: nothing to hand off"
        ));
    }
    Ok(EventBody::Handoff {
        to,
        from,
        brief: brief(inc, cadence, now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;
    use crate::domain::incident::{Severity, Status};
    use crate::domain::playbook::BUILTIN_PLAYBOOKS;
    use chrono::{Duration, TimeZone};
    use uuid::Uuid;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn ev(n: u128, min: i64, body: EventBody) -> Event {
        Event {
            v: 1,
            id: Uuid::from_u128(n),
            at: t(min),
            by: "alice".into(),
            body,
        }
    }

    fn incident() -> Incident {
        let (pb, source) = BUILTIN_PLAYBOOKS
            .iter()
            .find(|(id, _)| *id == "cloud-mail-outage")
            .unwrap();
        let decision = |n, min, text: &str| {
            ev(
                n,
                min,
                EventBody::EntryAdded {
                    occurred_at: t(min),
                    kind: EntryKind::Decision,
                    text: text.into(),
                    step: None,
                },
            )
        };
        Incident::from_events(&[
            ev(
                1,
                0,
                EventBody::IncidentOpened {
                    incident: "inc".into(),
                    title: "Mail delayed".into(),
                    severity: Severity::Sev2,
                    status: Status::Investigating,
                    started_at: None,
                    drill: false,
                },
            ),
            ev(
                2,
                1,
                EventBody::PlaybookAttached {
                    playbook: pb.to_string(),
                    source: source.to_string(),
                },
            ),
            ev(
                3,
                2,
                EventBody::RoleSet {
                    role: Role::Commander,
                    person: "alice".into(),
                },
            ),
            decision(4, 3, "Fail over to the backup relay"),
            decision(5, 5, "Pause the newsletter\nuntil the queue drains"),
            decision(6, 7, "Open a vendor ticket"),
            decision(7, 9, "Tell the helpdesk"),
        ])
        .unwrap()
    }

    #[test]
    fn the_brief_tells_status_steps_next_update_and_last_decisions() {
        let inc = incident();
        let b = brief(&inc, &Cadence::default(), t(20));
        let lines: Vec<&str> = b.lines().collect();
        assert_eq!(lines[0], "status investigating · SEV2");
        assert!(lines[1].starts_with("open required steps ("), "{b}");
        assert!(lines[1].contains("Notify stakeholders"), "{b}");
        assert!(lines[2].starts_with("next stakeholder update: "), "{b}");
        assert_eq!(
            &lines[3..],
            [
                "last decisions:",
                "- 14:05 UTC Pause the newsletter (alice)",
                "- 14:07 UTC Open a vendor ticket (alice)",
                "- 14:09 UTC Tell the helpdesk (alice)",
            ]
        );
    }

    #[test]
    fn the_next_update_is_due_or_overdue() {
        let inc = incident();
        let every = Cadence::default().of(Severity::Sev2).unwrap();
        let due = inc.opened_at + every;
        let b = brief(&inc, &Cadence::default(), due - Duration::minutes(5));
        assert!(
            b.contains(&format!("due {} (in 05:00)", due.format("%H:%M UTC"))),
            "{b}"
        );
        let b = brief(&inc, &Cadence::default(), due + Duration::minutes(2));
        assert!(
            b.contains("OVERDUE since") && b.contains("(02:00 ago)"),
            "{b}"
        );
    }

    #[test]
    fn handing_off_to_the_commander_or_on_a_closed_incident_is_refused() {
        let inc = incident();
        let e = handoff(&inc, "alice", &Cadence::default(), t(20)).unwrap_err();
        assert!(e.contains("already the commander"), "{e}");
        assert!(handoff(&inc, "  ", &Cadence::default(), t(20)).is_err());
        let EventBody::Handoff { to, from, brief } =
            handoff(&inc, "bob", &Cadence::default(), t(20)).unwrap()
        else {
            panic!("not a handoff")
        };
        assert_eq!((to.as_str(), from.as_str()), ("bob", "alice"));
        assert!(brief.starts_with("status investigating"));
        let mut closed = inc.clone();
        closed.apply(&ev(
            9,
            30,
            EventBody::Closed {
                summary: "done".into(),
                impact: String::new(),
                root_cause: String::new(),
                follow_ups: vec![],
                override_reason: Some("test".into()),
            },
        ));
        assert!(handoff(&closed, "bob", &Cadence::default(), t(31)).is_err());
    }

    #[test]
    fn the_handoff_folds_into_the_role_and_one_entry() {
        let mut inc = incident();
        let entries = inc.entries.len();
        let body = handoff(&inc, "bob", &Cadence::default(), t(20)).unwrap();
        assert!(inc.apply(&ev(10, 20, body)));
        assert_eq!(
            inc.roles.get(&Role::Commander).map(String::as_str),
            Some("bob")
        );
        assert_eq!(inc.entries.len(), entries + 1);
        let e = inc.entries.last().unwrap();
        assert!(
            e.text
                .starts_with("commander handoff: alice → bob\nstatus investigating"),
            "{}",
            e.text
        );
    }
}
