//! `update()` tests: every timeline and incident-field operation, with a fixed clock.

use crate::common;

use chrono::Duration;
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Role, Severity, Status};
use warroom::tui::app::{Action, AppState, Effect, Mode, Pane, update};
use warroom::tui::keymap::Command;

fn with_entries() -> AppState {
    let inc = warroom::domain::incident::Incident::from_events(&[
        opening(mins(-33)),
        note(
            2,
            mins(-30),
            mins(-30),
            EntryKind::Note,
            "users report NDRs",
        ),
        note(
            3,
            mins(-20),
            mins(-20),
            EntryKind::Action,
            "checked service health",
        ),
        note(
            4,
            mins(-10),
            mins(-10),
            EntryKind::Decision,
            "open vendor ticket",
        ),
    ])
    .unwrap();
    app(inc)
}

#[test]
fn add_entry_with_backdating_and_kind_in_one_line() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    assert!(matches!(a.mode, Mode::Input(_)));
    typed(&mut a, "-4m action: fixed MX record");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::Normal));
    let [Effect::Append(ev)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let EventBody::EntryAdded {
        occurred_at,
        kind,
        text,
        ..
    } = &ev.body
    else {
        panic!()
    };
    assert_eq!(*occurred_at, now() - Duration::minutes(4));
    assert_eq!(*kind, EntryKind::Action);
    assert_eq!(text, "fixed MX record");
    assert_eq!(ev.by, "carol");
    assert_eq!(ev.at, now());
    // Not shown as saved until the journal gives it back.
    assert_eq!(a.incident.entries.len(), 0);
    assert!(a.pending.contains(&ev.id));
    ack(&mut a, fx);
    assert!(a.pending.is_empty());
    assert_eq!(a.incident.entries.len(), 1);
    assert_eq!(a.selected_entry().unwrap().text, "fixed MX record");
}

#[test]
fn add_entry_tab_cycles_kind_and_errors_keep_the_text() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "14:02 go/no-go on failover");
    let fx = key(&mut a, KeyCode::Enter);
    let [Effect::Append(ev)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let EventBody::EntryAdded {
        kind, occurred_at, ..
    } = &ev.body
    else {
        panic!()
    };
    assert_eq!(*kind, EntryKind::Decision);
    assert_eq!(*occurred_at, mins(-1));

    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "-5x oops");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let Mode::Input(input) = &a.mode else {
        panic!()
    };
    assert!(input.error.as_deref().unwrap().contains("-5m"));
    assert_eq!(input.field.lines()[0], "-5x oops");
    // Esc with text asks before dropping it; n goes back to the text.
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Confirm { .. }));
    key(&mut a, KeyCode::Char('n'));
    assert!(matches!(a.mode, Mode::Input(_)));
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.mode, Mode::Normal));
}

#[test]
fn empty_and_future_entries_are_refused() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "-4m ");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "2026-12-01 10:00 tomorrow");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let Mode::Input(input) = &a.mode else {
        panic!()
    };
    assert!(input.error.as_deref().unwrap().contains("future"));
}

#[test]
fn edit_text_time_and_kind() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('k')); // select "checked service health"
    assert_eq!(a.selected_entry().unwrap().text, "checked service health");
    key(&mut a, KeyCode::Char('e'));
    let Mode::Edit(edit) = &a.mode else { panic!() };
    assert_eq!(edit.time.lines()[0], "2026-11-30 13:43:00");
    assert_eq!(edit.focus, 2);
    typed(&mut a, " again");
    key(&mut a, KeyCode::Tab); // time
    for _ in 0..19 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "13:50");
    key(&mut a, KeyCode::Tab); // kind
    key(&mut a, KeyCode::Right);
    let fx = key(&mut a, KeyCode::Enter);
    let [Effect::Append(ev)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        ev.body,
        EventBody::EntryEdited {
            entry: uuid::Uuid::from_u128(3),
            text: Some("checked service health again".into()),
            occurred_at: Some(mins(-13)),
            kind: Some(EntryKind::Decision),
        }
    );
    ack(&mut a, fx);
    let e = a.incident.entry(uuid::Uuid::from_u128(3)).unwrap();
    assert_eq!(e.history.len(), 1);
    // It moved after "open vendor ticket" (13:53)? No: 13:50 is before 13:53.
    let order: Vec<_> = a.incident.entries.iter().map(|e| e.id.as_u128()).collect();
    assert_eq!(order, [2, 3, 4]);
    // Undo puts the old values back, as a new event.
    let fx = key(&mut a, KeyCode::Char('u'));
    ack(&mut a, fx);
    let e = a.incident.entry(uuid::Uuid::from_u128(3)).unwrap();
    assert_eq!(e.text, "checked service health");
    assert_eq!(e.kind, EntryKind::Action);
    assert_eq!(e.occurred_at, mins(-20));
    assert_eq!(e.history.len(), 2);
}

#[test]
fn edit_with_a_bad_time_stays_open_with_the_error() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('e'));
    key(&mut a, KeyCode::Tab);
    typed(&mut a, "x");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let Mode::Edit(edit) = &a.mode else { panic!() };
    assert!(edit.error.is_some());
    assert_eq!(edit.focus, 0);
}

#[test]
fn delete_then_undo_restores() {
    let mut a = with_entries();
    assert_eq!(a.selected_entry().unwrap().text, "open vendor ticket");
    let fx = key(&mut a, KeyCode::Char('d'));
    ack(&mut a, fx);
    assert_eq!(a.timeline.rows.len(), 2);
    assert!(a.incident.entry(uuid::Uuid::from_u128(4)).unwrap().deleted);
    let fx = key(&mut a, KeyCode::Char('u'));
    assert!(matches!(
        &fx[0],
        Effect::Append(Event {
            body: EventBody::EntryRestored { .. },
            ..
        })
    ));
    ack(&mut a, fx);
    assert_eq!(a.timeline.rows.len(), 3);
    // Nothing left to undo.
    assert!(key(&mut a, KeyCode::Char('u')).is_empty());
}

#[test]
fn pin_and_unpin() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('g'));
    let fx = key(&mut a, KeyCode::Char('p'));
    ack(&mut a, fx);
    assert!(a.incident.entry(uuid::Uuid::from_u128(2)).unwrap().pinned);
    let fx = key(&mut a, KeyCode::Char('p'));
    ack(&mut a, fx);
    assert!(!a.incident.entry(uuid::Uuid::from_u128(2)).unwrap().pinned);
}

#[test]
fn the_entry_popup_pins_and_edits_the_entry_it_shows() {
    let mut a = with_entries();
    // The newest entry is selected and shown; the view follows new entries.
    key_mod(&mut a, KeyCode::Char('G'), KeyModifiers::SHIFT);
    let shown = a.selected_entry().unwrap().id;
    key(&mut a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::Detail { entry, .. } if entry == shown));
    // Another console logs an entry meanwhile, and the selection follows it.
    update(
        &mut a,
        Action::Journal {
            events: vec![note(
                60,
                now(),
                now(),
                EntryKind::Note,
                "from another console",
            )],
            warnings: vec![],
        },
    );
    assert_ne!(a.selected_entry().unwrap().id, shown);
    // p pins the entry in the popup, not the newest one.
    let fx = key(&mut a, KeyCode::Char('p'));
    ack(&mut a, fx);
    assert!(a.incident.entry(shown).unwrap().pinned);
    assert!(!a.incident.entry(uuid::Uuid::from_u128(60)).unwrap().pinned);
    // e edits it too.
    key(&mut a, KeyCode::Char('e'));
    assert!(matches!(&a.mode, Mode::Edit(e) if e.entry == shown));
}

#[test]
fn undo_of_an_add_deletes_it() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "temporary");
    let fx = key(&mut a, KeyCode::Enter);
    let added = ack(&mut a, fx)[0].id;
    let fx = key(&mut a, KeyCode::Char('u'));
    ack(&mut a, fx);
    assert!(a.incident.entry(added).unwrap().deleted);
}

#[test]
fn filters_by_text_and_kind() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "VENDOR");
    assert_eq!(a.timeline.rows.len(), 1, "filters live while typing");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.timeline.text_filter, "VENDOR");
    assert_eq!(a.timeline.rows.len(), 1);
    key(&mut a, KeyCode::Char('/'));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.timeline.rows.len(), 3);
    key(&mut a, KeyCode::Char('f')); // note
    assert_eq!(a.timeline.kind_filter, Some(EntryKind::Note));
    assert_eq!(a.timeline.rows.len(), 1);
    key(&mut a, KeyCode::Char('f')); // action
    assert_eq!(a.selected_entry().unwrap().text, "checked service health");
    for _ in 0..EntryKind::ALL.len() - 1 {
        key(&mut a, KeyCode::Char('f'));
    }
    assert_eq!(a.timeline.kind_filter, None);
    assert_eq!(a.timeline.rows.len(), 3);
}

#[test]
fn navigation_keys() {
    let mut inc = empty_incident();
    for i in 0..100 {
        inc.apply(&note(
            10 + i,
            mins(-30),
            mins(-30) + Duration::seconds(i as i64),
            EntryKind::Note,
            &format!("entry {i}"),
        ));
    }
    let mut a = app(inc);
    assert_eq!(a.timeline.cursor.selected, 99, "follows the newest entry");
    key(&mut a, KeyCode::Char('g'));
    assert_eq!(a.timeline.cursor.selected, 0);
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Down);
    assert_eq!(a.timeline.cursor.selected, 2);
    key(&mut a, KeyCode::PageDown);
    let page = a.timeline_page();
    assert_eq!(a.timeline.cursor.selected, 2 + page);
    assert!(a.timeline.cursor.offset + page > a.timeline.cursor.selected);
    key(&mut a, KeyCode::PageUp);
    key(&mut a, KeyCode::Char('k'));
    assert_eq!(a.timeline.cursor.selected, 1);
    key_mod(&mut a, KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(a.timeline.cursor.selected, 99);
    assert_eq!(a.timeline.cursor.offset, 100 - page);
    // Enter opens the detail view; any other key closes it.
    key(&mut a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::Detail { .. }));
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Normal));
}

#[test]
fn selection_stays_on_its_entry_when_others_arrive() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('g'));
    // Another process logs an entry that sorts before the selected one.
    update(
        &mut a,
        Action::Journal {
            events: vec![note(50, now(), mins(-40), EntryKind::Note, "from a script")],
            warnings: vec![],
        },
    );
    assert_eq!(a.selected_entry().unwrap().text, "users report NDRs");
    // At the bottom, the view follows new entries.
    key_mod(&mut a, KeyCode::Char('G'), KeyModifiers::SHIFT);
    update(
        &mut a,
        Action::Journal {
            events: vec![note(51, now(), now(), EntryKind::Note, "newest")],
            warnings: vec![],
        },
    );
    assert_eq!(a.selected_entry().unwrap().text, "newest");
}

#[test]
fn incident_fields_through_the_command_line() {
    let mut a = app(empty_incident());
    let run = |a: &mut AppState, line: &str| {
        key(a, KeyCode::Char(':'));
        typed(a, line);
        let fx = key(a, KeyCode::Enter);
        ack(a, fx)
    };
    let evs = run(&mut a, "sev 1");
    assert_eq!(
        evs[0].body,
        EventBody::SeveritySet {
            severity: Severity::Sev1
        }
    );
    run(&mut a, "status mitigated");
    run(&mut a, "title EXO down in EU");
    run(&mut a, "role commander alice");
    run(&mut a, "role comms dana");
    assert_eq!(a.incident.severity, Severity::Sev1);
    assert_eq!(a.incident.status, Status::Mitigated);
    assert_eq!(a.incident.title, "EXO down in EU");
    assert_eq!(a.incident.roles[&Role::Commander], "alice");
    assert_eq!(a.incident.roles[&Role::Comms], "dana");
    let texts: Vec<_> = a
        .incident
        .entries
        .iter()
        .map(|e| (e.kind, e.text.clone()))
        .collect();
    assert_eq!(texts.len(), 5);
    assert!(texts.iter().all(|(k, _)| *k == EntryKind::Incident));
    assert_eq!(texts[0].1, "severity: SEV2 → SEV1");
    // Setting the same value again changes nothing.
    assert!(run(&mut a, "sev 1").is_empty());
    // Clearing a role.
    run(&mut a, "role comms");
    assert!(!a.incident.roles.contains_key(&Role::Comms));
    // Bad values keep the line open with the reason.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "sev 9");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(
        i.error.as_deref().unwrap().contains("sev1"),
        "{:?}",
        i.error
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "frobnicate");
    key(&mut a, KeyCode::Enter);
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(i.error.as_deref().unwrap().contains(":title"));
}

#[test]
fn focus_zoom_help_and_mouse() {
    let mut a = app(empty_incident());
    assert_eq!(a.focus, Pane::Timeline);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.focus, Pane::Health);
    key_mod(&mut a, KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(a.focus, Pane::Timeline);
    key(&mut a, KeyCode::Char('2'));
    assert_eq!(a.focus, Pane::Playbook);
    // Timeline keys do nothing outside the timeline.
    key(&mut a, KeyCode::Char('a'));
    assert!(matches!(a.mode, Mode::Normal));
    update(
        &mut a,
        Action::Click {
            column: 100,
            row: 30,
        },
    );
    assert_eq!(a.focus, Pane::Timeline);
    update(&mut a, Action::Click { column: 5, row: 30 });
    assert_eq!(a.focus, Pane::Trace);
    key(&mut a, KeyCode::Char('z'));
    assert!(a.zoomed);
    // Zoomed: every click lands in the one pane shown.
    update(
        &mut a,
        Action::Click {
            column: 100,
            row: 5,
        },
    );
    assert_eq!(a.focus, Pane::Trace);
    key(&mut a, KeyCode::Char('z'));
    key(&mut a, KeyCode::Char('?'));
    assert!(matches!(a.mode, Mode::Help { .. }));
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Normal));
}

#[test]
fn quit_asks_while_unsaved_and_ctrl_c_always_quits() {
    let mut a = app(empty_incident());
    assert_eq!(key(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);

    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "pending one");
    key(&mut a, KeyCode::Enter); // not acknowledged yet
    assert!(key(&mut a, KeyCode::Char('q')).is_empty());
    assert!(matches!(a.mode, Mode::Confirm { .. }));
    key(&mut a, KeyCode::Char('n'));
    assert!(!a.quit);
    // Ctrl-C quits even from inside an editor.
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "half");
    assert_eq!(
        key_mod(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL),
        vec![Effect::Quit]
    );
    assert!(a.quit);
}

#[test]
fn a_failed_save_is_kept_and_retried() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "on a full disk");
    let fx = key(&mut a, KeyCode::Enter);
    let Effect::Append(ev) = fx[0].clone() else {
        panic!()
    };
    update(
        &mut a,
        Action::SaveFailed {
            event: Box::new(ev.clone()),
            error: "disk full".into(),
        },
    );
    assert_eq!(a.unsaved.len(), 1);
    assert!(a.flash.as_ref().unwrap().text.contains("NOT SAVED"));
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "retry");
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Append(ev)]);
    ack(&mut a, fx);
    assert!(a.unsaved.is_empty());
    assert_eq!(a.incident.entries.len(), 1);
}

#[test]
fn paste_goes_into_the_field_cleaned() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    update(
        &mut a,
        Action::Paste("from chat \u{1b}[31mred\u{1b}[0m\nline two".into()),
    );
    let Mode::Input(i) = &a.mode else { panic!() };
    assert_eq!(i.field.lines()[0], "from chat red line two");
}

#[test]
fn tick_moves_the_clock_and_expires_messages() {
    let mut a = with_entries();
    key(&mut a, KeyCode::Char('u'));
    assert!(a.flash.is_some());
    update(&mut a, Action::Tick(now() + Duration::seconds(30)));
    assert_eq!(a.now, now() + Duration::seconds(30));
    assert!(a.flash.is_none());
}

#[test]
fn keymap_overrides_apply_to_the_console() {
    let mut a = app(empty_incident());
    let mut o = std::collections::BTreeMap::new();
    o.insert("add_entry".to_string(), vec!["insert".to_string()]);
    a.keymap = warroom::tui::keymap::Keymap::with_overrides(&o).unwrap();
    key(&mut a, KeyCode::Char('a'));
    assert!(matches!(a.mode, Mode::Normal));
    key(&mut a, KeyCode::Insert);
    assert!(matches!(a.mode, Mode::Input(_)));
    let _ = Command::AddEntry;
}
