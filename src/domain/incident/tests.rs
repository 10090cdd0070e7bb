use super::*;
use crate::domain::event::Event;
use chrono::{Duration, TimeZone};

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + Duration::minutes(min)
}

fn opened() -> Event {
    Event::new(
        t(0),
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

fn add(min: i64, occurred: i64, text: &str) -> Event {
    Event::new(
        t(min),
        "bob",
        EventBody::EntryAdded {
            occurred_at: t(occurred),
            kind: EntryKind::Note,
            text: text.into(),
            step: None,
        },
    )
}

#[test]
fn entries_are_ordered_by_occurred_time_even_when_backdated() {
    let evs = vec![
        opened(),
        add(1, 1, "one"),
        add(2, 2, "two"),
        add(3, -5, "earlier"),
    ];
    let inc = Incident::from_events(&evs).unwrap();
    let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["earlier", "one", "two"]);
    assert_eq!(inc.entries[0].logged_at, t(3));
}

#[test]
fn edits_keep_history_and_reorder() {
    let a = add(1, 1, "one");
    let id = a.id;
    let b = add(2, 2, "two");
    let edit = Event::new(
        t(3),
        "carol",
        EventBody::EntryEdited {
            entry: id,
            text: Some("one, fixed".into()),
            occurred_at: Some(t(5)),
            kind: Some(EntryKind::Decision),
        },
    );
    let inc = Incident::from_events(&[opened(), a, b, edit]).unwrap();
    let last = inc.entries.last().unwrap();
    assert_eq!(last.id, id);
    assert_eq!(last.text, "one, fixed");
    assert_eq!(last.kind, EntryKind::Decision);
    assert_eq!(last.history.len(), 1);
    assert_eq!(last.history[0].text, "one");
    assert_eq!(last.history[0].by, "carol");
}

#[test]
fn delete_restore_pin() {
    let a = add(1, 1, "one");
    let id = a.id;
    let mut inc = Incident::from_events(&[opened(), a]).unwrap();
    assert!(inc.apply(&Event::new(
        t(2),
        "x",
        EventBody::EntryDeleted { entry: id }
    )));
    assert_eq!(inc.visible_entries().count(), 0);
    assert!(inc.apply(&Event::new(
        t(3),
        "x",
        EventBody::EntryRestored { entry: id }
    )));
    assert!(inc.apply(&Event::new(
        t(4),
        "x",
        EventBody::EntryPinned {
            entry: id,
            pinned: true
        }
    )));
    assert!(inc.entry(id).unwrap().pinned);
    assert_eq!(inc.visible_entries().count(), 1);
    // An edit of an entry that does not exist changes nothing.
    assert!(!inc.apply(&Event::new(
        t(5),
        "x",
        EventBody::EntryDeleted { entry: Uuid::nil() }
    )));
    assert_eq!(inc.ignored_events, 1);
}

#[test]
fn field_changes_become_entries() {
    let mut inc = Incident::from_events(&[opened()]).unwrap();
    inc.apply(&Event::new(
        t(1),
        "a",
        EventBody::SeveritySet {
            severity: Severity::Sev1,
        },
    ));
    inc.apply(&Event::new(
        t(2),
        "a",
        EventBody::StatusSet {
            status: Status::Mitigated,
        },
    ));
    inc.apply(&Event::new(
        t(3),
        "a",
        EventBody::RoleSet {
            role: Role::Comms,
            person: "dana".into(),
        },
    ));
    inc.apply(&Event::new(
        t(4),
        "a",
        EventBody::TitleSet {
            title: "EXO down".into(),
        },
    ));
    assert_eq!(inc.severity, Severity::Sev1);
    assert_eq!(inc.status, Status::Mitigated);
    assert_eq!(
        inc.roles.get(&Role::Comms).map(String::as_str),
        Some("dana")
    );
    assert_eq!(inc.title, "EXO down");
    let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "severity: SEV2 → SEV1",
            "status: investigating → mitigated",
            "comms lead: dana",
            "title: Mail delayed → EXO down"
        ]
    );
    assert!(inc.entries.iter().all(|e| e.kind == EntryKind::Incident));
}

#[test]
fn unknown_event_types_are_kept_and_skipped() {
    let line = r#"{"v":1,"id":"0190b0c0-0000-7000-8000-000000000001","at":"2026-11-30T14:00:00Z","by":"x","type":"from_the_future","stuff":[1,2]}"#;
    let ev: Event = serde_json::from_str(line).unwrap();
    assert_eq!(ev.body, EventBody::Unknown);
    let mut inc = Incident::from_events(&[opened()]).unwrap();
    assert!(!inc.apply(&ev));
    assert_eq!(inc.unknown_events, 1);
}

#[test]
fn entries_over_the_limit_are_refused_not_cut() {
    let at_limit = "é".repeat(ENTRY_MAX / 2);
    assert_eq!(entry_text(&at_limit).unwrap().len(), ENTRY_MAX);
    let e = entry_text(&format!("{at_limit}x")).unwrap_err();
    assert!(
        e.contains("65,537 bytes") && e.contains("65,536 bytes (64 KiB)"),
        "{e}"
    );
    // What counts is the text that would be stored: escapes do not.
    let padded = format!("  {}\u{1b}[31m  ", "a".repeat(ENTRY_MAX));
    assert_eq!(entry_text(&padded).unwrap().len(), ENTRY_MAX);
    assert_eq!(thousands(1_234_567), "1,234,567");
    assert_eq!(thousands(12), "12");
}

#[test]
fn entries_are_found_by_id_after_any_moves() {
    let mut evs = vec![opened()];
    let mut ids = Vec::new();
    for i in 0..60 {
        // Backdated ones, later ones, and ties on the time.
        let e = add(i, (i * 7919) % 50 - 25, &format!("e{i}"));
        ids.push(e.id);
        evs.push(e);
    }
    for (n, id) in ids.iter().enumerate().step_by(3) {
        evs.push(Event::new(
            t(100 + n as i64),
            "x",
            EventBody::EntryEdited {
                entry: *id,
                text: Some(format!("edited {n}")),
                occurred_at: (n % 2 == 0).then(|| t((n as i64 * 31) % 40 - 20)),
                kind: None,
            },
        ));
    }
    let inc = Incident::from_events(&evs).unwrap();
    for id in &ids {
        let linear = inc.entries.iter().position(|e| e.id == *id);
        assert_eq!(inc.position(*id), linear);
        assert!(linear.is_some());
    }
    assert_eq!(inc.position(Uuid::nil()), None);
    let sorted = inc
        .entries
        .windows(2)
        .all(|w| (w[0].occurred_at, w[0].seq) <= (w[1].occurred_at, w[1].seq));
    assert!(sorted);
}

#[test]
fn the_same_event_twice_folds_once() {
    let a = add(1, 1, "once");
    let edit = Event::new(
        t(2),
        "x",
        EventBody::EntryEdited {
            entry: a.id,
            text: Some("edited".into()),
            occurred_at: None,
            kind: None,
        },
    );
    let sev = Event::new(
        t(3),
        "x",
        EventBody::SeveritySet {
            severity: Severity::Sev1,
        },
    );
    let o = opened();
    let evs = [
        o.clone(),
        a.clone(),
        edit.clone(),
        a.clone(),
        edit.clone(),
        sev.clone(),
        sev,
        o,
    ];
    let inc = Incident::from_events(&evs).unwrap();
    // The entry and the severity change, each once; the edit applied once.
    assert_eq!(inc.entries.len(), 2, "{:?}", inc.entries);
    assert_eq!(inc.entries[0].text, "edited");
    assert_eq!(inc.entries[0].history.len(), 1);
    assert_eq!(inc.severity, Severity::Sev1);
    assert_eq!(inc.repeated_events, 4);
    assert_eq!(inc.events, 4);
}

#[test]
fn event_json_shape() {
    let ev = add(1, 1, "hello");
    let json = serde_json::to_value(&ev).unwrap();
    assert_eq!(json["v"], 1);
    assert_eq!(json["type"], "entry_added");
    assert_eq!(json["kind"], "note");
    assert_eq!(json["by"], "bob");
    assert_eq!(json["at"], "2026-11-30T14:01:00Z");
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, ev);
}

#[test]
fn words_parse_case_insensitively() {
    assert_eq!("SEV1".parse::<Severity>().unwrap(), Severity::Sev1);
    assert_eq!(Severity::parse_loose("3").unwrap(), Severity::Sev3);
    assert!(
        "sev9"
            .parse::<Severity>()
            .unwrap_err()
            .contains("sev1, sev2")
    );
    assert_eq!("Mitigated".parse::<Status>().unwrap(), Status::Mitigated);
}
