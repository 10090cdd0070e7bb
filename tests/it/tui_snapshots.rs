//! Snapshots of whole frames at 120x40 on a TestBackend with a fixed clock and zone.

use crate::common;

use chrono::Duration;
use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::EventBody;
use warroom::domain::incident::{EntryKind, Incident, Role};
use warroom::tui::app::{Action, AppState, update};
use warroom::tui::keymap::Command;
use warroom::tui::ui;

fn frame(app: &mut AppState, w: u16, h: u16) -> String {
    update(
        app,
        Action::Resize {
            width: w,
            height: h,
        },
    );
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::render(f, app)).unwrap();
    term.backend().to_string()
}

#[test]
fn empty_incident_frame() {
    let mut a = app(empty_incident());
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

/// 30 entries: typed kinds, field changes, pins, backdated ones, across midnight (the incident
/// started the evening before).
fn busy_incident() -> Incident {
    let start = now() - Duration::hours(14) - Duration::minutes(30); // 23:33 the day before
    let mut evs = vec![opening(start)];
    let kinds = [
        EntryKind::Note,
        EntryKind::Action,
        EntryKind::Decision,
        EntryKind::Comms,
    ];
    let texts = [
        "users report NDRs 451 4.7.500 from partners",
        "checked M365 service health: EX1234567 investigating",
        "hold all transport rule changes until the provider confirms",
        "stakeholder notice sent; next update in 30 min",
        "queue on edge01 at 4,200 messages and rising",
        "opened vendor ticket 2611300040001234",
        "route payroll notifications through the backup relay",
        "helpdesk script published on the intranet",
    ];
    for i in 0..27u128 {
        let logged = start + Duration::minutes(12 * i as i64 + 2);
        // Every fifth entry was typed late, about something that happened earlier.
        let occurred = if i % 5 == 3 {
            logged - Duration::minutes(9)
        } else {
            logged
        };
        evs.push(note(
            10 + i,
            logged,
            occurred,
            kinds[i as usize % 4],
            texts[i as usize % texts.len()],
        ));
    }
    evs.push(ev(
        100,
        start + Duration::minutes(20),
        "alice",
        EventBody::SeveritySet {
            severity: warroom::domain::incident::Severity::Sev1,
        },
    ));
    evs.push(ev(
        101,
        start + Duration::minutes(21),
        "alice",
        EventBody::RoleSet {
            role: Role::Scribe,
            person: "bob".into(),
        },
    ));
    evs.push(note(
        102,
        start + Duration::minutes(40),
        start + Duration::minutes(40),
        EntryKind::Note,
        "a long entry\nwith a second line that only the detail view shows",
    ));
    for (n, target) in [(200u128, 10u128), (201, 14), (202, 102)] {
        evs.push(ev(
            n,
            now(),
            "alice",
            EventBody::EntryPinned {
                entry: uuid::Uuid::from_u128(target),
                pinned: true,
            },
        ));
    }
    Incident::from_events(&evs).unwrap()
}

#[test]
fn thirty_entries_with_pins_kinds_and_backdating_across_midnight() {
    let inc = busy_incident();
    assert_eq!(inc.visible_entries().count(), 30);
    let mut a = app(inc);
    update(&mut a, Action::Command(Command::Zoom));
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

#[test]
fn thirty_entries_in_the_four_pane_layout() {
    let mut a = app(busy_incident());
    update(&mut a, Action::Command(Command::Top));
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

#[test]
fn help_screen() {
    let mut a = app(empty_incident());
    update(&mut a, Action::Command(Command::Help));
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

#[test]
fn too_small_screen() {
    let mut a = app(empty_incident());
    insta::assert_snapshot!(frame(&mut a, 79, 23));
}

#[test]
fn entry_detail_with_history() {
    let mut inc = busy_incident();
    inc.apply(&ev(
        300,
        now(),
        "carol",
        EventBody::EntryEdited {
            entry: uuid::Uuid::from_u128(102),
            text: Some(
                "a long entry, corrected\nwith a second line that only the detail view shows"
                    .into(),
            ),
            occurred_at: None,
            kind: None,
        },
    ));
    let mut a = app(inc);
    let pos = a
        .timeline
        .rows
        .iter()
        .position(|&i| a.incident.entries[i].id.as_u128() == 102)
        .unwrap();
    update(&mut a, Action::Command(Command::Top));
    for _ in 0..pos {
        update(&mut a, Action::Command(Command::Down));
    }
    update(&mut a, Action::Command(Command::Open));
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

#[test]
fn add_entry_popup() {
    let mut a = app(empty_incident());
    update(&mut a, Action::Command(Command::AddEntry));
    update(
        &mut a,
        Action::Paste("-4m action: failed over to the backup MX".into()),
    );
    insta::assert_snapshot!(frame(&mut a, 120, 40));
}

/// `warroom keys` with no overrides: every command of every context, generated from the table
/// that also writes the `[keys]` section of `assets/config.toml` (a unit test keeps that in step).
#[test]
fn warroom_keys_listing() {
    insta::assert_snapshot!(warroom::tui::keymap::Keymap::default().listing());
}

#[test]
fn help_lists_every_colon_command_from_the_table() {
    let mut a = app(empty_incident());
    key(&mut a, crossterm::event::KeyCode::Char('?'));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (mut snooze, mut resend) = (false, false);
    // Scroll through the whole help, a line at a time.
    for _ in 0..200 {
        term.draw(|f| ui::render(f, &a)).unwrap();
        let screen = term.backend().to_string();
        snooze |= screen.contains(":snooze 5|10|15");
        resend |= screen.contains(":resend");
        key(&mut a, crossterm::event::KeyCode::Char('j'));
    }
    assert!(snooze && resend, "the help lists :snooze and :resend");
}

#[test]
fn a_rebound_modal_key_works_and_the_title_and_hint_line_say_so() {
    let mut a = app(empty_incident());
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("input_cancel".to_string(), vec!["ctrl-g".to_string()]);
    a.keymap = warroom::tui::keymap::Keymap::with_overrides(&keys).unwrap();
    key(&mut a, crossterm::event::KeyCode::Char('a'));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, &a)).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("Enter save · Ctrl-G cancel"), "{screen}");
    assert!(screen.contains("Ctrl-G back"), "{screen}");
    // Esc is no longer the cancel key there; Ctrl-G is.
    key(&mut a, crossterm::event::KeyCode::Esc);
    assert!(matches!(a.mode, warroom::tui::app::Mode::Input(_)));
    key_mod(
        &mut a,
        crossterm::event::KeyCode::Char('g'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    assert!(matches!(a.mode, warroom::tui::app::Mode::Normal));
}
