//! Closing says what it did: the status it leaves (resolved unless the closer picks another,
//! in the form or with `--status`), shown in the status bar and the reports; and the author of
//! a change is the account's login name when `$USER` is unset.

use std::path::Path;
use std::process::Command;

use crate::common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::EventBody;
use warroom::domain::incident::Status;
use warroom::store::DataDir;
use warroom::tui::app::Mode;
use warroom::tui::ui;

fn warroom(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
    c.args([
        "--data-dir",
        data.to_str().unwrap(),
        "--config",
        "/dev/null",
    ])
    .env_remove("WARROOM_CONFIG")
    .env("USER", "alice");
    c
}

fn run(mut c: Command, args: &[&str]) -> String {
    let out = c.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn new_incident(d: &Path) -> String {
    run(
        warroom(d),
        &[
            "new",
            "--title",
            "EXO inbound delayed",
            "--playbook",
            "none",
        ],
    )
    .trim()
    .to_string()
}

#[test]
fn closing_resolves_with_one_logged_change_by_the_closer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let mut c = warroom(d);
    c.env("USER", "bob");
    let out = run(c, &["close", "--summary", "MX fixed"]);
    assert!(out.contains("status: investigating → resolved"), "{out}");
    let (inc, events, _) = DataDir::new(d).load_events(&id).unwrap();
    assert_eq!(inc.status, Status::Resolved);
    let n = events.len();
    assert_eq!(
        events[n - 2].body,
        EventBody::StatusSet {
            status: Status::Resolved
        }
    );
    assert_eq!(events[n - 2].by, "bob");
    assert!(matches!(events[n - 1].body, EventBody::Closed { .. }));
    let sets = events
        .iter()
        .filter(|e| matches!(e.body, EventBody::StatusSet { .. }))
        .count();
    assert_eq!(sets, 1);
    let md = run(warroom(d), &["export", "--format", "md"]);
    assert!(md.contains("resolved · closed"), "{md}");
}

#[test]
fn status_investigating_keeps_it_and_the_reports_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let out = run(
        warroom(d),
        &["close", "--summary", "gave up", "--status", "investigating"],
    );
    assert!(out.contains("status: investigating (kept)"), "{out}");
    let (inc, events, _) = DataDir::new(d).load_events(&id).unwrap();
    assert_eq!(inc.status, Status::Investigating);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.body, EventBody::StatusSet { .. }))
    );
    let md = run(warroom(d), &["export", "--format", "md"]);
    assert!(md.contains("investigating · closed"), "{md}");
    let html = run(warroom(d), &["export", "--format", "html"]);
    assert!(html.contains("investigating · closed"), "{html}");
    let json: serde_json::Value =
        serde_json::from_str(&run(warroom(d), &["export", "--format", "json"])).unwrap();
    assert_eq!(json["incident"]["status"], "investigating");
    assert_eq!(json["incident"]["state"], "investigating · closed");
    // A status that is not one is refused, saying which are.
    let out = warroom(d)
        .args(["reopen"])
        .output()
        .and_then(|_| {
            warroom(d)
                .args(["close", "--summary", "x", "--status", "done"])
                .output()
        })
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("resolved"), "{err}");
}

#[test]
fn without_user_the_author_is_the_login_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut c = warroom(d);
    c.env_remove("USER").env("LOGNAME", "dana");
    let id = run(c, &["new", "--title", "x", "--playbook", "none"])
        .trim()
        .to_string();
    assert_eq!(
        DataDir::new(d).load(&id).unwrap().incident.opened_by,
        "dana"
    );
    // Neither USER nor LOGNAME: the passwd entry of the process's user.
    let mut c = warroom(d);
    c.env_remove("USER")
        .env_remove("LOGNAME")
        .env_remove("USERNAME");
    let id = run(c, &["new", "--title", "y", "--playbook", "none"])
        .trim()
        .to_string();
    let by = DataDir::new(d).load(&id).unwrap().incident.opened_by;
    assert_ne!(by, "unknown");
    assert!(!by.is_empty());
}

fn frame(a: &warroom::tui::app::AppState) -> String {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| ui::render(f, a)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[test]
fn the_close_form_picks_the_status_and_keeping_investigating_shows_it() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "close");
    key(&mut a, KeyCode::Enter);
    typed(&mut a, "fixed by the vendor");
    let Mode::Close(form) = &a.mode else { panic!() };
    assert_eq!(form.status_after, Status::Resolved);
    assert!(frame(&a).contains("resolved (now investigating)"));
    // alt-s cycles from resolved round to investigating: kept.
    key_mod(&mut a, KeyCode::Char('s'), KeyModifiers::ALT);
    let Mode::Close(form) = &a.mode else { panic!() };
    assert_eq!(form.status_after, Status::Investigating);
    assert!(frame(&a).contains("investigating (kept)"));
    let fx = key_mod(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let evs = ack(&mut a, fx);
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert!(matches!(evs[0].body, EventBody::Closed { .. }));
    assert!(a.incident.is_closed());
    assert!(frame(&a).contains("Investigating CLOSED"));
}
