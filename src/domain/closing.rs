//! Closing an incident: the close record (summary, impact, root cause, follow-ups), the key
//! times of the response and the durations between them.
//!
//! Key times are proposed from the timeline and can be set by hand (`key_time_set` events); a
//! time set by hand always wins over the proposal.
//!
//! | key time | proposed as |
//! |---|---|
//! | `started` | the earliest of the incident's start (`started_at`, the opening time unless given) and the earliest timeline entry (a backdated first symptom) |
//! | `detected` | when the incident was opened, or the earliest entry marked `detection` when that is earlier |
//! | `acknowledged` | the first change a person logged after the opening: an entry, a step, a field or role change (health entries, key times, closing and reopening, follow-up changes do not count) |
//! | `mitigated` | the first time the status became mitigated, monitoring or resolved |
//! | `resolved` | the first time the status became resolved, else when the incident was closed |
//!
//! Durations: to detect = detected − started; to acknowledge = acknowledged − detected;
//! to mitigate = mitigated − started; to resolve = resolved − started.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub use super::close_record::{ABOUT_CLOSE, ABOUT_KEY_TIME, Closing, FollowUp};
use super::followup::ABOUT_FOLLOWUP;
use super::incident::{Entry, Incident};
use super::marker::Marker;
pub use super::vocab::KeyTime;
use super::vocab::{EntryKind, Status};

/// The required playbook steps still open (neither done nor skipped): (playbook name, step
/// title). Closing is refused while there are any, unless an override reason is given.
pub fn required_open(inc: &Incident) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pb in &inc.playbooks {
        for (_, step) in pb.steps() {
            if step.required && !inc.progress.state(&pb.id, &step.id).status.is_complete() {
                out.push((pb.name.clone(), step.title.clone()));
            }
        }
    }
    out
}

/// `2 required playbook steps are open: "A", "B"` (at most three named).
pub fn required_open_text(open: &[(String, String)]) -> String {
    let mut names: Vec<String> = open
        .iter()
        .take(3)
        .map(|(_, s)| format!("\"{s}\""))
        .collect();
    if open.len() > 3 {
        names.push(format!("and {} more", open.len() - 3));
    }
    format!(
        "{} required playbook step{} open: {}",
        open.len(),
        if open.len() == 1 { " is" } else { "s are" },
        names.join(", ")
    )
}

/// The status an incident is left in by closing, unless the closer chose another: `resolved`.
pub const STATUS_AT_CLOSE: Status = Status::Resolved;

/// The status change closing makes, logged (by the closer) just before the `closed` event:
/// to `chosen` (or [`STATUS_AT_CLOSE`]) when the incident is not in that status already.
/// Choosing the status it is in (e.g. `investigating`) keeps it, and changes nothing.
pub fn status_change_at_close(inc: &Incident, chosen: Option<Status>) -> Option<Status> {
    let to = chosen.unwrap_or(STATUS_AT_CLOSE);
    (to != inc.status).then_some(to)
}

/// One key time as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KeyTimeValue {
    pub which: KeyTime,
    pub at: Option<DateTime<Utc>>,
    /// Set by hand (else proposed from the timeline).
    pub set: bool,
}

/// The time proposed for `which` from the timeline, if there is one yet.
pub fn proposed(inc: &Incident, which: KeyTime) -> Option<DateTime<Utc>> {
    match which {
        KeyTime::Started => {
            let earliest = inc.visible_entries().map(|e| e.occurred_at).min();
            Some(earliest.map_or(inc.started_at, |e| e.min(inc.started_at)))
        }
        KeyTime::Detected => Some(
            marked(inc, Marker::Detection)
                .map(|e| e.occurred_at)
                .min()
                .map_or(inc.opened_at, |d| d.min(inc.opened_at)),
        ),
        KeyTime::Acknowledged => inc
            .visible_entries()
            .filter(|e| {
                e.kind != EntryKind::Health
                    && e.logged_at > inc.opened_at
                    && !e.about.as_deref().is_some_and(|a| {
                        a == ABOUT_CLOSE
                            || a.starts_with(&format!("{ABOUT_KEY_TIME}/"))
                            || a.starts_with(&format!("{ABOUT_FOLLOWUP}/"))
                    })
            })
            .map(|e| e.logged_at)
            .min(),
        KeyTime::Mitigated => [Status::Mitigated, Status::Monitoring, Status::Resolved]
            .iter()
            .filter_map(|s| inc.status_first.get(s).copied())
            .min(),
        KeyTime::Resolved => inc
            .status_first
            .get(&Status::Resolved)
            .copied()
            .or(inc.closed_at),
    }
}

/// The visible entries with marker `m`, in occurred order.
pub fn marked(inc: &Incident, m: Marker) -> impl Iterator<Item = &Entry> {
    inc.visible_entries()
        .filter(move |e| inc.markers.get(&e.id) == Some(&m))
}

/// The detected time a detection marker offers: the earliest entry marked `detection`, when
/// it is earlier than the detected key time as it stands without it (set by hand, or the
/// opening). `None` when no marker offers an earlier one.
pub fn detection_offer(inc: &Incident) -> Option<chrono::DateTime<Utc>> {
    let earliest = marked(inc, Marker::Detection)
        .map(|e| e.occurred_at)
        .min()?;
    let current = inc
        .key_times_set
        .get(&KeyTime::Detected)
        .copied()
        .unwrap_or(inc.opened_at);
    (earliest < current).then_some(earliest)
}

/// A key time: the one set by hand, else the proposal.
pub fn key_time(inc: &Incident, which: KeyTime) -> KeyTimeValue {
    match inc.key_times_set.get(&which) {
        Some(at) => KeyTimeValue {
            which,
            at: Some(*at),
            set: true,
        },
        None => KeyTimeValue {
            which,
            at: proposed(inc, which),
            set: false,
        },
    }
}

/// Every key time, in order.
pub fn key_times(inc: &Incident) -> Vec<KeyTimeValue> {
    KeyTime::ALL.iter().map(|k| key_time(inc, *k)).collect()
}

/// What a duration measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    ToDetect,
    ToAcknowledge,
    ToMitigate,
    ToResolve,
}

impl Measure {
    pub const ALL: [Measure; 4] = [
        Measure::ToDetect,
        Measure::ToAcknowledge,
        Measure::ToMitigate,
        Measure::ToResolve,
    ];

    /// `time to detect`.
    pub fn label(self) -> &'static str {
        match self {
            Measure::ToDetect => "time to detect",
            Measure::ToAcknowledge => "time to acknowledge",
            Measure::ToMitigate => "time to mitigate",
            Measure::ToResolve => "time to resolve",
        }
    }

    /// `TTD`, for the status bar.
    pub fn short(self) -> &'static str {
        match self {
            Measure::ToDetect => "TTD",
            Measure::ToAcknowledge => "TTA",
            Measure::ToMitigate => "TTM",
            Measure::ToResolve => "TTR",
        }
    }

    /// `snake_case` name for JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Measure::ToDetect => "to_detect",
            Measure::ToAcknowledge => "to_acknowledge",
            Measure::ToMitigate => "to_mitigate",
            Measure::ToResolve => "to_resolve",
        }
    }

    /// From which key time to which.
    pub fn span(self) -> (KeyTime, KeyTime) {
        match self {
            Measure::ToDetect => (KeyTime::Started, KeyTime::Detected),
            Measure::ToAcknowledge => (KeyTime::Detected, KeyTime::Acknowledged),
            Measure::ToMitigate => (KeyTime::Started, KeyTime::Mitigated),
            Measure::ToResolve => (KeyTime::Started, KeyTime::Resolved),
        }
    }
}

/// Every duration, `None` while one of its ends is unknown.
pub fn durations(inc: &Incident) -> Vec<(Measure, Option<Duration>)> {
    Measure::ALL
        .iter()
        .map(|m| {
            let (from, to) = m.span();
            let d = match (key_time(inc, from).at, key_time(inc, to).at) {
                (Some(a), Some(b)) => Some(b - a),
                _ => None,
            };
            (*m, d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, EventBody};
    use crate::domain::incident::Severity;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn ev(min: i64, by: &str, body: EventBody) -> Event {
        Event::new(t(min), by, body)
    }

    fn base() -> Vec<Event> {
        vec![
            ev(
                0,
                "alice",
                EventBody::IncidentOpened {
                    incident: "i".into(),
                    title: "t".into(),
                    severity: Severity::Sev2,
                    status: Status::Investigating,
                    started_at: None,
                    drill: false,
                },
            ),
            // A first symptom, logged later and backdated 12 minutes before the opening.
            ev(
                4,
                "bob",
                EventBody::EntryAdded {
                    occurred_at: t(-12),
                    kind: EntryKind::Note,
                    text: "NDRs".into(),
                    step: None,
                },
            ),
            ev(
                9,
                "alice",
                EventBody::StatusSet {
                    status: Status::Monitoring,
                },
            ),
            ev(
                20,
                "alice",
                EventBody::StatusSet {
                    status: Status::Mitigated,
                },
            ),
        ]
    }

    #[test]
    fn key_times_are_proposed_from_the_timeline() {
        let inc = Incident::from_events(&base()).unwrap();
        let at = |k| key_time(&inc, k).at;
        assert_eq!(at(KeyTime::Started), Some(t(-12)));
        assert_eq!(at(KeyTime::Detected), Some(t(0)));
        assert_eq!(at(KeyTime::Acknowledged), Some(t(4)));
        // Monitoring came first: mitigation had happened by then.
        assert_eq!(at(KeyTime::Mitigated), Some(t(9)));
        assert_eq!(at(KeyTime::Resolved), None);
        let d: Vec<_> = durations(&inc).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            d,
            [
                Some(Duration::minutes(12)),
                Some(Duration::minutes(4)),
                Some(Duration::minutes(21)),
                None
            ]
        );
    }

    #[test]
    fn a_key_time_set_by_hand_wins_and_started_moves_the_clock() {
        let mut evs = base();
        evs.push(ev(
            30,
            "carol",
            EventBody::KeyTimeSet {
                which: KeyTime::Started,
                time: t(-30),
            },
        ));
        evs.push(ev(
            31,
            "carol",
            EventBody::KeyTimeSet {
                which: KeyTime::Mitigated,
                time: t(15),
            },
        ));
        let inc = Incident::from_events(&evs).unwrap();
        assert_eq!(inc.started_at, t(-30));
        let m = key_time(&inc, KeyTime::Mitigated);
        assert_eq!((m.at, m.set), (Some(t(15)), true));
        assert!(!key_time(&inc, KeyTime::Detected).set);
        assert!(
            inc.entries
                .iter()
                .any(|e| e.text == "key time mitigated: 2026-11-30 14:15:00 UTC")
        );
    }

    #[test]
    fn close_and_reopen_fold_and_are_logged() {
        let mut evs = base();
        evs.push(ev(
            40,
            "alice",
            EventBody::Closed {
                summary: "MX fixed".into(),
                impact: "mail late".into(),
                root_cause: "bad record".into(),
                follow_ups: vec![FollowUp::parse("second MX|bob").unwrap()],
                override_reason: Some("vendor ticket pending".into()),
            },
        ));
        let mut inc = Incident::from_events(&evs).unwrap();
        assert_eq!(inc.closed_at, Some(t(40)));
        assert_eq!(key_time(&inc, KeyTime::Resolved).at, Some(t(40)));
        let c = inc.closing.clone().unwrap();
        assert_eq!(c.follow_ups[0].owner, "bob");
        let last = inc.entries.last().unwrap();
        assert!(
            last.text.contains("override: vendor ticket pending"),
            "{}",
            last.text
        );
        // A second close while closed changes nothing.
        let again = ev(
            41,
            "x",
            EventBody::Closed {
                summary: "again".into(),
                impact: String::new(),
                root_cause: String::new(),
                follow_ups: vec![],
                override_reason: None,
            },
        );
        assert!(!inc.apply(&again));
        assert!(inc.apply(&ev(
            42,
            "alice",
            EventBody::Reopened {
                reason: Some("mail queues again".into())
            }
        )));
        assert!(!inc.is_closed());
        assert_eq!(
            inc.entries.last().unwrap().text,
            "reopened: mail queues again"
        );
        // Reopening an open incident changes nothing.
        assert!(!inc.apply(&ev(43, "alice", EventBody::Reopened { reason: None })));
    }

    #[test]
    fn closing_resolves_unless_told_otherwise() {
        let inc = Incident::from_events(&base()[..1]).unwrap();
        assert_eq!(inc.status, Status::Investigating);
        assert_eq!(status_change_at_close(&inc, None), Some(Status::Resolved));
        assert_eq!(
            status_change_at_close(&inc, Some(Status::Investigating)),
            None
        );
        assert_eq!(
            status_change_at_close(&inc, Some(Status::Monitoring)),
            Some(Status::Monitoring)
        );
        let mut evs = base();
        evs.push(ev(
            30,
            "alice",
            EventBody::StatusSet {
                status: Status::Resolved,
            },
        ));
        let resolved = Incident::from_events(&evs).unwrap();
        assert_eq!(status_change_at_close(&resolved, None), None);
    }

    #[test]
    fn an_earlier_detection_marker_proposes_the_detected_time() {
        let mut evs = base();
        let symptom = evs[1].id;
        let inc = Incident::from_events(&evs).unwrap();
        assert_eq!(detection_offer(&inc), None);
        evs.push(ev(
            5,
            "bob",
            EventBody::EntryMarked {
                entry: symptom,
                marker: Some(Marker::Detection),
            },
        ));
        let inc = Incident::from_events(&evs).unwrap();
        assert_eq!(detection_offer(&inc), Some(t(-12)));
        let k = key_time(&inc, KeyTime::Detected);
        assert_eq!((k.at, k.set), (Some(t(-12)), false));
        // Set by hand earlier still: nothing to offer, the hand-set time wins.
        evs.push(ev(
            6,
            "bob",
            EventBody::KeyTimeSet {
                which: KeyTime::Detected,
                time: t(-20),
            },
        ));
        let inc = Incident::from_events(&evs).unwrap();
        assert_eq!(detection_offer(&inc), None);
        assert_eq!(key_time(&inc, KeyTime::Detected).at, Some(t(-20)));
        // Cleared: back to the opening.
        evs.truncate(5);
        evs.push(ev(
            7,
            "bob",
            EventBody::EntryMarked {
                entry: symptom,
                marker: None,
            },
        ));
        let inc = Incident::from_events(&evs).unwrap();
        assert!(inc.markers.is_empty());
        assert_eq!(key_time(&inc, KeyTime::Detected).at, Some(t(0)));
    }

    #[test]
    fn key_time_words() {
        assert_eq!("Mitigated".parse::<KeyTime>().unwrap(), KeyTime::Mitigated);
        assert_eq!("ack".parse::<KeyTime>().unwrap(), KeyTime::Acknowledged);
        assert!("x".parse::<KeyTime>().unwrap_err().contains("mitigated"));
    }

    #[test]
    fn follow_ups_parse() {
        let f = FollowUp::parse(" Add a second MX | bob | 2026-12-15 ").unwrap();
        assert_eq!(f.action, "Add a second MX");
        assert_eq!(f.owner, "bob");
        assert_eq!(f.due.as_deref(), Some("2026-12-15"));
        assert_eq!(FollowUp::parse("a|b").unwrap().due, None);
        assert_eq!(FollowUp::parse("a|b|").unwrap().due, None);
        assert!(FollowUp::parse("just an action").is_err());
        assert!(FollowUp::parse("|bob").unwrap_err().contains("owner"));
        assert!(FollowUp::parse("a|b|c|d").is_err());
    }
}
