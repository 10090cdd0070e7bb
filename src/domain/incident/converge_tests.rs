//! The order of the fold and the notices of conflicts (see `order.rs`, `conflict.rs`).

use super::*;
use crate::domain::event::Event;
use crate::domain::playbook::{BUILTIN_PLAYBOOKS, StepAction, StepStatus};
use chrono::{Duration, TimeZone};

fn t(sec: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 2, 0).unwrap() + Duration::seconds(sec)
}

fn ev(n: u128, at: DateTime<Utc>, by: &str, body: EventBody) -> Event {
    Event {
        v: 1,
        id: Uuid::from_u128(n),
        at,
        by: by.into(),
        body,
    }
}

fn opened() -> Event {
    ev(
        1,
        t(-60),
        "alice",
        EventBody::IncidentOpened {
            incident: "inc-1".into(),
            title: "Mail delayed".into(),
            severity: Severity::Sev2,
            status: Status::Investigating,
            started_at: None,
            drill: false,
        },
    )
}

fn attach(n: u128, at: DateTime<Utc>) -> Event {
    let (id, text) = BUILTIN_PLAYBOOKS
        .iter()
        .find(|(id, _)| *id == "cloud-mail-outage")
        .unwrap();
    ev(
        n,
        at,
        "alice",
        EventBody::PlaybookAttached {
            playbook: id.to_string(),
            source: text.to_string(),
        },
    )
}

fn step(n: u128, at: DateTime<Utc>, by: &str, status: StepStatus, reason: Option<&str>) -> Event {
    ev(
        n,
        at,
        by,
        EventBody::StepChanged {
            playbook: "cloud-mail-outage".into(),
            step: "notify-stakeholders".into(),
            action: StepAction::SetStatus {
                status,
                reason: reason.map(str::to_string),
            },
        },
    )
}

fn close(n: u128, at: DateTime<Utc>, by: &str, summary: &str) -> Event {
    ev(
        n,
        at,
        by,
        EventBody::Closed {
            summary: summary.into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: vec![],
            override_reason: None,
        },
    )
}

/// Folds `evs` (opening first) in the given order and in every rotation of the rest, checks
/// that all agree (less the console's own counters), and returns the first.
fn fold_every_way(evs: &[Event]) -> Incident {
    let first = Incident::from_events(evs).unwrap();
    let norm = |i: &Incident| {
        let mut i = i.clone();
        i.version = 0;
        i.repeated_events = 0;
        i
    };
    let rest = &evs[1..];
    for r in 0..rest.len() {
        let mut order = vec![evs[0].clone()];
        order.extend(rest[r..].iter().chain(&rest[..r]).rev().cloned());
        let mut inc = Incident::from_events(&order[..1]).unwrap();
        for e in &order[1..] {
            inc.apply(e);
        }
        assert_eq!(norm(&inc), norm(&first), "rotation {r}");
    }
    first
}

fn notices(inc: &Incident) -> Vec<&str> {
    inc.entries
        .iter()
        .filter(|e| {
            e.about
                .as_deref()
                .is_some_and(|a| a.starts_with(ABOUT_CONFLICT))
        })
        .map(|e| e.text.as_str())
        .collect()
}

#[test]
fn a_skip_after_a_tick_loses_and_says_so() {
    let evs = [
        opened(),
        attach(2, t(0)),
        step(3, t(10), "alice", StepStatus::Skipped, Some("not ours")),
        step(4, t(7), "bob", StepStatus::Done, None),
    ];
    let inc = fold_every_way(&evs);
    let st = inc
        .progress
        .state("cloud-mail-outage", "notify-stakeholders");
    assert_eq!(st.status, StepStatus::Done);
    assert_eq!(
        notices(&inc),
        [
            "Conflict: alice's skip of step \"Notify stakeholders\" (14:02:10 UTC) came after bob ticked it (14:02:07 UTC); the tick stands"
        ]
    );
    // The notice is an entry of the fold, not an event: the journal has four events.
    assert_eq!(inc.events_in_order().len(), 4);
    assert_eq!(inc.ignored_events, 1);
}

#[test]
fn two_ticks_of_one_step_keep_the_first() {
    let evs = [
        opened(),
        attach(2, t(0)),
        step(3, t(5), "alice", StepStatus::Done, None),
        step(4, t(6), "bob", StepStatus::Done, None),
    ];
    let inc = fold_every_way(&evs);
    let st = inc
        .progress
        .state("cloud-mail-outage", "notify-stakeholders");
    assert_eq!(st.changed_by.as_deref(), Some("alice"));
    assert_eq!(
        notices(&inc),
        [
            "Conflict: bob's tick of step \"Notify stakeholders\" (14:02:06 UTC) came after alice ticked it (14:02:05 UTC); the tick stands"
        ]
    );
}

#[test]
fn a_reopen_of_an_untouched_step_says_nothing_changed() {
    let evs = [
        opened(),
        attach(2, t(0)),
        step(3, t(5), "bob", StepStatus::Todo, None),
    ];
    let inc = fold_every_way(&evs);
    assert_eq!(
        notices(&inc),
        [
            "Conflict: bob's reopening of step \"Notify stakeholders\" (14:02:05 UTC) did not apply: the step is still todo; nothing changed"
        ]
    );
}

#[test]
fn assigning_the_owner_a_step_already_has_says_so() {
    let assign = |n, at, by: &str| {
        ev(
            n,
            at,
            by,
            EventBody::StepChanged {
                playbook: "cloud-mail-outage".into(),
                step: "notify-stakeholders".into(),
                action: StepAction::Assign {
                    owner: Some("dana".into()),
                },
            },
        )
    };
    let evs = [
        opened(),
        attach(2, t(0)),
        assign(3, t(5), "alice"),
        assign(4, t(8), "bob"),
    ];
    let inc = fold_every_way(&evs);
    assert_eq!(
        notices(&inc),
        [
            "Conflict: bob's assignment to dana of step \"Notify stakeholders\" (14:02:08 UTC) came after alice changed it (14:02:05 UTC); it stays with dana"
        ]
    );
}

#[test]
fn a_second_close_keeps_the_first_and_shows_the_second_summary() {
    let evs = [
        opened(),
        close(2, t(30), "bob", "bob's words"),
        close(3, t(20), "alice", "MX fixed"),
    ];
    let inc = fold_every_way(&evs);
    assert_eq!(inc.closed_at, Some(t(20)));
    assert_eq!(inc.closing.as_ref().unwrap().summary, "MX fixed");
    assert_eq!(
        notices(&inc),
        [
            "Conflict: bob's close (14:02:30 UTC) came after alice closed the incident (14:02:20 UTC); the first close stands (bob's summary: bob's words)"
        ]
    );
}

#[test]
fn a_reopen_of_an_open_incident_says_who_reopened_it() {
    let reopen = |n, at, by: &str, reason: Option<&str>| {
        ev(
            n,
            at,
            by,
            EventBody::Reopened {
                reason: reason.map(str::to_string),
            },
        )
    };
    let evs = [
        opened(),
        close(2, t(10), "alice", "fixed"),
        reopen(3, t(20), "bob", None),
        reopen(4, t(25), "carol", Some("queues again")),
    ];
    let inc = fold_every_way(&evs);
    assert!(!inc.is_closed());
    assert_eq!(
        notices(&inc),
        [
            "Conflict: carol's reopen (14:02:25 UTC) came while the incident was open (bob had reopened it at 14:02:20 UTC); nothing to reopen (reason given: queues again)"
        ]
    );
    // Never closed at all.
    let inc = fold_every_way(&[opened(), reopen(2, t(1), "bob", None)]);
    assert_eq!(
        notices(&inc),
        [
            "Conflict: bob's reopen (14:02:01 UTC) came while the incident was open; nothing to reopen"
        ]
    );
}

#[test]
fn competing_header_changes_resolve_by_time_then_id() {
    let title = |n, at, s: &str| ev(n, at, "x", EventBody::TitleSet { title: s.into() });
    let evs = [
        opened(),
        title(9, t(5), "later"),
        title(3, t(4), "earlier"),
        // Same time: the larger id is later.
        title(7, t(6), "tie, small id"),
        title(8, t(6), "tie, large id"),
    ];
    let inc = fold_every_way(&evs);
    assert_eq!(inc.title, "tie, large id");
    let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "title: Mail delayed → earlier",
            "title: earlier → later",
            "title: later → tie, small id",
            "title: tie, small id → tie, large id"
        ]
    );
}

#[test]
fn an_edit_whose_clock_is_behind_the_entry_still_applies() {
    // Bob's clock is two minutes behind: his edit says 14:00:30, the entry 14:02:00.
    let add = ev(
        5,
        t(0),
        "alice",
        EventBody::EntryAdded {
            occurred_at: t(0),
            kind: EntryKind::Note,
            text: "MX down".into(),
            step: None,
        },
    );
    let edit = ev(
        4,
        t(-90),
        "bob",
        EventBody::EntryEdited {
            entry: add.id,
            text: Some("MX down since 13:50".into()),
            occurred_at: None,
            kind: None,
        },
    );
    let pin = ev(
        3,
        t(-80),
        "bob",
        EventBody::EntryPinned {
            entry: add.id,
            pinned: true,
        },
    );
    let evs = [opened(), add.clone(), edit, pin];
    let inc = fold_every_way(&evs);
    let e = inc.entry(add.id).unwrap();
    assert_eq!(e.text, "MX down since 13:50");
    assert!(e.pinned);
    assert_eq!(e.history.len(), 1);
    assert_eq!(inc.ignored_events, 0);
    assert_eq!(inc.waiting_events(), 0);
}

#[test]
fn a_step_change_before_its_playbook_waits_for_it() {
    let evs = [
        opened(),
        step(2, t(1), "bob", StepStatus::Done, None),
        attach(3, t(5)),
    ];
    let inc = fold_every_way(&evs);
    let st = inc
        .progress
        .state("cloud-mail-outage", "notify-stakeholders");
    assert_eq!(st.status, StepStatus::Done);
    assert_eq!(inc.ignored_events, 0);
    // Without the playbook it waits, counted as not applied, and is kept.
    let inc = Incident::from_events(&evs[..2]).unwrap();
    assert_eq!(inc.waiting_events(), 1);
    assert_eq!(inc.ignored_events, 1);
    assert_eq!(inc.events_in_order().len(), 2);
}

#[test]
fn entry_ties_break_by_logged_time_then_id_not_by_arrival() {
    let note = |n, logged: i64, text: &str| {
        ev(
            n,
            t(logged),
            "x",
            EventBody::EntryAdded {
                occurred_at: t(0),
                kind: EntryKind::Note,
                text: text.into(),
                step: None,
            },
        )
    };
    let evs = [
        opened(),
        note(30, 9, "c"),
        note(20, 5, "b2"),
        note(10, 5, "b1"),
        note(40, 1, "a"),
    ];
    let inc = fold_every_way(&evs);
    let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["a", "b1", "b2", "c"]);
}

#[test]
fn unknown_events_are_kept_in_order_and_counted() {
    let line = r#"{"v":1,"id":"00000000-0000-0000-0000-000000000002","at":"2026-11-30T14:01:00Z","by":"x","type":"from_the_future"}"#;
    let unknown: Event = serde_json::from_str(line).unwrap();
    let inc = fold_every_way(&[opened(), unknown]);
    assert_eq!(inc.unknown_events, 1);
    assert_eq!(inc.events_in_order().len(), 2);
}

#[test]
fn a_late_arrival_refolds_and_bumps_the_version() {
    let sev = |n, at, s| ev(n, at, "x", EventBody::SeveritySet { severity: s });
    let mut inc = Incident::from_events(&[opened(), sev(5, t(10), Severity::Sev1)]).unwrap();
    let v = inc.version;
    // An older change arrives late: it does not win, and its entry goes before.
    assert!(inc.apply(&sev(4, t(5), Severity::Sev3)));
    assert_eq!(inc.severity, Severity::Sev1);
    assert!(inc.version > v);
    let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["severity: SEV2 → SEV3", "severity: SEV3 → SEV1"]);
    // The same event again is a repeat.
    assert!(!inc.apply(&sev(4, t(5), Severity::Sev3)));
    assert_eq!(inc.repeated_events, 1);
}

#[test]
fn a_marker_and_a_follow_up_change_whose_clocks_are_behind_still_apply() {
    use crate::domain::close_record::FollowUp;
    use crate::domain::followup::{FollowUpState, derived_id};
    use crate::domain::marker::Marker;
    let add = ev(
        10,
        t(0),
        "alice",
        EventBody::EntryAdded {
            occurred_at: t(0),
            kind: EntryKind::Note,
            text: "queue growing".into(),
            step: None,
        },
    );
    // Bob's clock is behind: his marking sorts before the entry it marks.
    let mark = ev(
        9,
        t(-30),
        "bob",
        EventBody::EntryMarked {
            entry: add.id,
            marker: Some(Marker::Detection),
        },
    );
    let closed = ev(
        20,
        t(60),
        "alice",
        EventBody::Closed {
            summary: "done".into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: vec![FollowUp {
                action: "Add a second MX".into(),
                owner: "bob".into(),
                due: None,
            }],
            override_reason: None,
        },
    );
    let fid = derived_id(closed.id, 0);
    // And his "done" sorts before the close that decided the follow-up.
    let done = ev(
        8,
        t(40),
        "bob",
        EventBody::FollowupChanged {
            followup: fid.clone(),
            state: FollowUpState::Done,
            reason: None,
        },
    );
    let evs = [opened(), add.clone(), mark, closed, done];
    let inc = fold_every_way(&evs);
    assert_eq!(inc.markers.get(&add.id), Some(&Marker::Detection));
    let f = inc.followups().iter().find(|f| f.id == fid).unwrap();
    assert_eq!(f.state, FollowUpState::Done);
    assert_eq!(inc.waiting_events(), 0);
    assert_eq!(inc.ignored_events, 0);
}

#[test]
fn a_change_made_apart_after_the_close_is_shown_not_applied() {
    let closed = close(20, t(10), "alice", "fixed");
    let sev = ev(
        21,
        t(20),
        "bob",
        EventBody::SeveritySet {
            severity: Severity::Sev1,
        },
    );
    let note = ev(
        22,
        t(25),
        "bob",
        EventBody::EntryAdded {
            occurred_at: t(25),
            kind: EntryKind::Note,
            text: "still seeing delays".into(),
            step: None,
        },
    );
    let inc = fold_every_way(&[opened(), closed, sev, note]);
    assert!(inc.is_closed());
    assert_eq!(inc.severity, Severity::Sev2);
    let n = notices(&inc);
    assert_eq!(n.len(), 2, "{n:?}");
    assert!(
        n[0].starts_with("Conflict: bob's severity change (14:02:20 UTC) came after alice closed the incident (14:02:10 UTC); not applied"),
        "{n:?}"
    );
    assert!(n[1].ends_with("not applied: still seeing delays"), "{n:?}");
}
