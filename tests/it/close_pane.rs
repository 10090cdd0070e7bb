//! Closing in the console: the `:close` form, the read-only rule, `:reopen`, `:keytime`, and
//! `x` writing every report.

use crate::common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::closing::KeyTime;
use warroom::domain::event::EventBody;
use warroom::domain::incident::{Incident, Severity};
use warroom::tui::app::{Action, AppState, Effect, Mode, update};
use warroom::tui::panes::closing;
use warroom::tui::ui;

fn with_playbook() -> AppState {
    let inc =
        Incident::from_events(&[opening(mins(-33)), attach_cloud_mail(2, mins(-33))]).unwrap();
    app(inc)
}

fn command(a: &mut AppState, line: &str) -> Vec<Effect> {
    key(a, KeyCode::Char(':'));
    typed(a, line);
    key(a, KeyCode::Enter)
}

fn ctrl_s(a: &mut AppState) -> Vec<Effect> {
    key_mod(a, KeyCode::Char('s'), KeyModifiers::CONTROL)
}

fn frame(a: &AppState) -> String {
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

/// Acknowledges the appended events as the journal would; returns the effects that causes.
fn saved(a: &mut AppState, fx: &[Effect]) -> Vec<Effect> {
    update(
        a,
        Action::Journal {
            events: appends(fx),
            warnings: vec![],
        },
    )
}

#[test]
fn close_is_refused_with_required_steps_open_unless_a_reason_is_given() {
    let mut a = with_playbook();
    command(&mut a, "close");
    assert!(matches!(a.mode, Mode::Close(_)));
    typed(&mut a, "MX record fixed");
    key(&mut a, KeyCode::Enter); // to impact
    typed(&mut a, "mail late for 2h");
    key(&mut a, KeyCode::Tab); // root cause
    key(&mut a, KeyCode::Tab); // follow-ups
    typed(&mut a, "Add a second MX | bob | 2026-12-15");
    // No override reason: refused, nothing sent, the form stays with the reason field focused.
    assert!(ctrl_s(&mut a).is_empty());
    let Mode::Close(form) = &a.mode else {
        panic!("the form closed")
    };
    assert_eq!(form.focus, 4);
    let err = form.error.clone().unwrap();
    assert!(err.contains("required playbook steps are open"), "{err}");
    insta::assert_snapshot!(frame(&a));
    typed(&mut a, "vendor steps tracked in the ticket");
    let fx = key(&mut a, KeyCode::Enter);
    let evs = appends(&fx);
    // Closing says what it did: the status goes to resolved first (one logged change).
    assert_eq!(evs.len(), 2);
    assert_eq!(
        evs[0].body,
        EventBody::StatusSet {
            status: warroom::domain::incident::Status::Resolved
        }
    );
    let EventBody::Closed {
        summary,
        impact,
        follow_ups,
        override_reason,
        ..
    } = &evs[1].body
    else {
        panic!("{:?}", evs[0].body)
    };
    assert_eq!(summary, "MX record fixed");
    assert_eq!(impact, "mail late for 2h");
    assert_eq!(follow_ups[0].due.as_deref(), Some("2026-12-15"));
    assert_eq!(
        override_reason.as_deref(),
        Some("vendor steps tracked in the ticket")
    );
    assert!(matches!(a.mode, Mode::Normal));
    // Once the close is on disk, the reports are written.
    let after = saved(&mut a, &fx);
    assert!(after.contains(&Effect::Export), "{after:?}");
    assert!(a.incident.is_closed());
    assert!(frame(&a).contains("CLOSED"));
}

#[test]
fn the_form_wants_a_summary_and_readable_follow_ups() {
    let mut a = app(empty_incident());
    command(&mut a, "close");
    let Mode::Close(form) = &a.mode else { panic!() };
    assert_eq!(
        form.field_count(),
        4,
        "no override field without a playbook"
    );
    assert!(ctrl_s(&mut a).is_empty());
    let Mode::Close(form) = &a.mode else { panic!() };
    assert!(form.error.as_deref().unwrap().contains("summary"));
    typed(&mut a, "fixed");
    key(&mut a, KeyCode::BackTab); // follow-ups
    typed(&mut a, "no owner here");
    assert!(ctrl_s(&mut a).is_empty());
    let Mode::Close(form) = &a.mode else { panic!() };
    assert_eq!(form.focus, 3);
    assert!(
        form.error
            .as_deref()
            .unwrap()
            .contains("action | owner | due")
    );
    // Esc asks before throwing the text away.
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Confirm { .. }));
    key(&mut a, KeyCode::Char('n'));
    assert!(matches!(a.mode, Mode::Close(_)));
}

fn closed_app() -> AppState {
    let mut a = app(empty_incident());
    command(&mut a, "close");
    typed(&mut a, "done");
    let fx = ctrl_s(&mut a);
    saved(&mut a, &fx);
    assert!(a.incident.is_closed());
    a
}

#[test]
fn a_closed_incident_is_read_only_until_reopened_and_the_reopen_is_logged() {
    let mut a = closed_app();
    assert!(key(&mut a, KeyCode::Char('a')).is_empty());
    assert!(matches!(a.mode, Mode::Normal));
    assert!(a.flash.as_ref().unwrap().text.contains(":reopen"));
    let fx = command(&mut a, "sev 1");
    assert!(fx.is_empty());
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(i.error.as_deref().unwrap().contains("closed"));
    key(&mut a, KeyCode::Esc);
    assert!(command(&mut a, "keytime mitigated 13:50").is_empty());
    key(&mut a, KeyCode::Esc);

    let fx = command(&mut a, "reopen queues again");
    saved(&mut a, &fx);
    assert!(!a.incident.is_closed());
    assert_eq!(
        a.incident.entries.last().unwrap().text,
        "reopened: queues again"
    );
    let fx = command(&mut a, "sev 1");
    saved(&mut a, &fx);
    assert_eq!(a.incident.severity, Severity::Sev1);
    // Reopening an open incident says there is nothing to reopen.
    assert!(command(&mut a, "reopen").is_empty());
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(i.error.as_deref().unwrap().contains("not closed"));
}

#[test]
fn keytime_sets_a_key_time_and_the_status_bar_shows_durations() {
    let mut a = app(empty_incident());
    let fx = command(&mut a, "keytime mitigated 13:50");
    let evs = saved_events(&mut a, fx);
    assert!(matches!(
        evs[0].body,
        EventBody::KeyTimeSet {
            which: KeyTime::Mitigated,
            ..
        }
    ));
    // Opened at 13:30, mitigated at 13:50.
    let screen = frame(&a);
    assert!(screen.contains("T+00:33:00 (TTM 20m)"), "{screen}");
    let fx = command(&mut a, "keytime started -1h");
    saved(&mut a, &fx);
    assert_eq!(a.incident.started_at, mins(-60));
    assert!(
        frame(&a).contains("T+01:00:00 (TTD 27m TTM 47m)"),
        "{}",
        frame(&a)
    );
    assert!(command(&mut a, "keytime never 13:00").is_empty());
}

fn saved_events(a: &mut AppState, fx: Vec<Effect>) -> Vec<warroom::domain::event::Event> {
    ack(a, fx)
}

#[test]
fn x_writes_four_reports_into_exports() {
    let dir = tempfile::tempdir().unwrap();
    let data = warroom::store::DataDir::new(dir.path());
    let id = data
        .create("EXO down", Severity::Sev2, "alice", now(), false)
        .unwrap();
    let inc = data.load(&id).unwrap().incident;
    let mut a = app(inc);
    let fx = key(&mut a, KeyCode::Char('x'));
    assert_eq!(fx, [Effect::Export]);
    // What the event loop does with the effect.
    let result = closing::export_now(&data.journal_path(&id), a.zone, now());
    let paths = result.clone().unwrap();
    assert_eq!(paths.len(), 4);
    let mut exts: Vec<String> = std::fs::read_dir(data.exports_dir(&id))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .extension()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    exts.sort();
    assert_eq!(exts, ["csv", "html", "json", "md"]);
    update(&mut a, Action::Exported(result));
    let flash = a.flash.clone().unwrap();
    assert!(!flash.error);
    assert!(
        flash
            .text
            .contains(&data.exports_dir(&id).display().to_string()),
        "{}",
        flash.text
    );
    // :export does the same from any pane.
    key(&mut a, KeyCode::Char('1'));
    assert_eq!(command(&mut a, "export"), [Effect::Export]);
}

/// The read-only guard comes from the command tables: every `:` command and key marked as a
/// change is refused on a closed incident, with the same message; the others still work.
#[test]
fn the_command_tables_drive_the_read_only_guard() {
    let mut a = closed_app();
    for line in [
        "title x",
        "sev 1",
        "status resolved",
        "role scribe dana",
        "ack",
        "snooze 5",
        "resend",
        "keytime mitigated -1m",
        "close",
    ] {
        assert!(command(&mut a, line).is_empty(), "{line}");
        let Mode::Input(i) = &a.mode else {
            panic!("{line}: {:?}", a.mode)
        };
        assert_eq!(i.error.as_deref(), Some(closing::CLOSED), "{line}");
        key(&mut a, KeyCode::Esc);
    }
    for k in ['a', 'e', 'd', 'p', 'u', 'U', 'S'] {
        a.flash = None;
        assert!(key(&mut a, KeyCode::Char(k)).is_empty(), "{k}");
        assert!(matches!(a.mode, Mode::Normal), "{k}: {:?}", a.mode);
        assert_eq!(a.flash.as_ref().unwrap().text, closing::CLOSED, "{k}");
    }
    // Not changes: the help, the filter, the export.
    command(&mut a, "help");
    assert!(matches!(a.mode, Mode::Help { .. }));
    key(&mut a, KeyCode::Esc);
    assert_eq!(command(&mut a, "export"), vec![Effect::Export]);
}
