//! `:handoff NAME` in the console and `warroom handoff NAME`: the commander role passes with a
//! brief, as one timeline entry.

use std::path::Path;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::EventBody;
use warroom::domain::incident::{EntryKind, Incident, Role};
use warroom::store::DataDir;
use warroom::tui::app::{AppState, Mode};
use warroom::tui::ui;

use crate::common::{self, *};

fn commanded() -> Incident {
    Incident::from_events(&[
        opening(mins(-33)),
        attach_cloud_mail(2, mins(-32)),
        ev(
            3,
            mins(-31),
            "alice",
            EventBody::RoleSet {
                role: Role::Commander,
                person: "alice".into(),
            },
        ),
        note(
            4,
            mins(-20),
            mins(-20),
            EntryKind::Decision,
            "fail over to the backup relay",
        ),
        note(
            5,
            mins(-10),
            mins(-10),
            EntryKind::Decision,
            "open a vendor ticket",
        ),
    ])
    .unwrap()
}

fn command(a: &mut AppState, line: &str) -> Vec<warroom::tui::app::Effect> {
    key(a, KeyCode::Char(':'));
    typed(a, line);
    key(a, KeyCode::Enter)
}

fn input_error(a: &AppState) -> String {
    let Mode::Input(i) = &a.mode else {
        panic!("the command line closed")
    };
    i.error.clone().unwrap_or_default()
}

#[test]
fn handoff_passes_the_role_with_a_brief_in_one_entry() {
    let mut a = common::app(commanded());
    let before = a.incident.entries.len();
    let fx = command(&mut a, "handoff bob");
    let evs = ack(&mut a, fx);
    assert_eq!(evs.len(), 1, "one event: {evs:?}");
    let EventBody::Handoff { to, from, brief } = &evs[0].body else {
        panic!("{:?}", evs[0].body)
    };
    assert_eq!((to.as_str(), from.as_str()), ("bob", "alice"));
    assert!(
        brief.contains(
            "open required steps (11): Confirm the provider incident and record its id; "
        ),
        "{brief}"
    );
    assert!(brief.contains("; and 7 more\n"), "{brief}");
    assert!(
        brief.contains("- 13:53 UTC open a vendor ticket (bob)"),
        "{brief}"
    );
    assert_eq!(a.incident.roles[&Role::Commander], "bob");
    assert_eq!(a.incident.entries.len(), before + 1);
    let e = a.incident.entries.last().unwrap();
    assert!(
        e.text
            .starts_with("commander handoff: alice → bob\nstatus investigating · SEV2")
    );

    // To the commander again: said, nothing written.
    let fx = command(&mut a, "handoff bob");
    assert!(appends(&fx).is_empty());
    assert!(
        input_error(&a).contains("already the commander"),
        "{}",
        input_error(&a)
    );
    key(&mut a, KeyCode::Esc);
    // No name: says how.
    let fx = command(&mut a, "handoff");
    assert!(appends(&fx).is_empty());
    assert!(
        input_error(&a).contains(":handoff bob"),
        "{}",
        input_error(&a)
    );
}

#[test]
fn handoff_is_refused_on_a_closed_incident() {
    let mut inc = commanded();
    inc.apply(&ev(
        9,
        mins(-1),
        "alice",
        EventBody::Closed {
            summary: "fixed".into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: vec![],
            override_reason: Some("tracked".into()),
        },
    ));
    let mut a = common::app(inc);
    let fx = command(&mut a, "handoff bob");
    assert!(appends(&fx).is_empty());
    assert!(input_error(&a).contains("closed"), "{}", input_error(&a));
    assert_eq!(a.incident.roles[&Role::Commander], "alice");
}

#[test]
fn the_handoff_entry_in_the_timeline() {
    let mut a = common::app(commanded());
    let fx = command(&mut a, "handoff bob");
    ack(&mut a, fx);
    // The entry's line, then the entry opened: the whole brief.
    assert!(
        a.selected_entry()
            .unwrap()
            .text
            .starts_with("commander handoff")
    );
    key(&mut a, KeyCode::Enter);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, &a)).unwrap();
    insta::assert_snapshot!(term.backend().to_string());
}

/// Runs the binary as alice on data dir `data`, with no config.
fn run(data: &Path, args: &[&str]) -> (bool, String, String) {
    common::run_warroom(data, Path::new("/dev/null"), args, &[])
}

#[test]
fn warroom_handoff_writes_one_event_and_refuses_a_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, id, err) = run(d, &["new", "--title", "EXO inbound delayed"]);
    assert!(ok, "{err}");
    let id = id.trim().to_string();
    let (ok, _, err) = run(d, &["set", "--role", "commander=alice"]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(d, &["handoff", "bob", "--incident", &id]);
    assert!(ok, "{err}");
    assert!(out.starts_with("commander handoff: alice → bob\n"), "{out}");
    assert!(out.contains("open required steps ("), "{out}");
    let data = DataDir::new(d);
    let (inc, events, _) = data.load_events(&id).unwrap();
    assert_eq!(inc.roles[&Role::Commander], "bob");
    let handoffs = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::Handoff { .. }))
        .count();
    assert_eq!(handoffs, 1);
    let (ok, _, err) = run(d, &["handoff", "bob"]);
    assert!(!ok);
    assert!(err.contains("bob is already the commander"), "{err}");
    assert_eq!(data.load_events(&id).unwrap().1.len(), events.len());
}
