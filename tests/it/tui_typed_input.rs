//! `update()` tests of what a person types into the console: the 64 KiB entry limit in the add
//! and edit boxes (refused with the limit, never cut), the rule for typed times (add box, edit
//! box, `:keytime`), and `NOT SAVED` going once `:retry` has worked.

use crate::common;

use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use warroom::domain::event::EventBody;
use warroom::domain::incident::{ENTRY_MAX, EntryKind};
use warroom::tui::app::{Action, Effect, Mode, update};

fn input_error(a: &warroom::tui::app::AppState) -> String {
    match &a.mode {
        Mode::Input(i) => i.error.clone().unwrap_or_default(),
        Mode::Edit(e) => e.error.clone().unwrap_or_default(),
        other => panic!("no input open: {other:?}"),
    }
}

fn paste(a: &mut warroom::tui::app::AppState, text: &str) {
    update(a, Action::Paste(text.to_string()));
}

#[test]
fn an_entry_over_64_kib_is_refused_with_the_limit_not_cut() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    paste(&mut a, &"x".repeat(ENTRY_MAX + 1));
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let e = input_error(&a);
    assert!(
        e.contains("65,537 bytes") && e.contains("65,536 bytes (64 KiB)"),
        "{e}"
    );
    // The text is still there, whole, to be shortened.
    let Mode::Input(i) = &a.mode else { panic!() };
    assert_eq!(i.field.lines()[0].len(), ENTRY_MAX + 1);
    // A paste far over the limit is refused too, never stored cut.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Char('a'));
    paste(&mut a, &"y".repeat(10 * ENTRY_MAX));
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(input_error(&a).contains("the limit is 65,536 bytes"));
    // At the limit exactly, it is taken whole.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Char('a'));
    paste(&mut a, &"z".repeat(ENTRY_MAX));
    let fx = key(&mut a, KeyCode::Enter);
    let [Effect::Append(ev)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let EventBody::EntryAdded { text, .. } = &ev.body else {
        panic!()
    };
    assert_eq!(text.len(), ENTRY_MAX);
}

#[test]
fn the_edit_box_refuses_an_entry_over_64_kib() {
    let inc = warroom::domain::incident::Incident::from_events(&[
        opening(mins(-33)),
        note(2, mins(-30), mins(-30), EntryKind::Note, "short"),
    ])
    .unwrap();
    let mut a = app(inc);
    key(&mut a, KeyCode::Char('e'));
    paste(&mut a, &"x".repeat(ENTRY_MAX));
    assert!(key_mod(&mut a, KeyCode::Char('s'), KeyModifiers::CONTROL).is_empty());
    assert!(matches!(a.mode, Mode::Edit(_)));
    assert!(input_error(&a).contains("the limit is 65,536 bytes (64 KiB)"));
    assert_eq!(a.incident.entries[0].text, "short");
}

#[test]
fn typed_times_in_the_add_box() {
    // now() is 2026-11-30 14:03 UTC; the incident opened at 13:30.
    let add = |typed_text: &str| {
        let mut a = app(empty_incident());
        key(&mut a, KeyCode::Char('a'));
        typed(&mut a, typed_text);
        let fx = key(&mut a, KeyCode::Enter);
        (a, fx)
    };
    // Four minutes ahead is within the 5 minutes clocks may differ by.
    let (a, fx) = add("2026-11-30 14:07 clocks differ");
    assert_eq!(fx.len(), 1, "{:?}", a.mode);
    let (a, fx) = add("2026-11-30 14:09 from the future");
    assert!(fx.is_empty());
    let e = input_error(&a);
    assert!(
        e.contains("2026-11-30 14:09:00 +00:00 is in the future") && e.contains("5 minutes"),
        "{e}"
    );
    let (a, fx) = add("1999-12-31 23:00 the millennium bug");
    assert!(fx.is_empty());
    assert!(input_error(&a).contains("before the year 2000"));
    // Long before the opening: taken, with a word about it.
    let (a, fx) = add("2026-11-20 10:00 first symptom, as the vendor says");
    assert_eq!(fx.len(), 1);
    let flash = a.flash.as_ref().unwrap();
    assert!(
        !flash.error
            && flash
                .text
                .contains("more than 7 days before the incident was opened"),
        "{flash:?}"
    );
}

#[test]
fn typed_times_in_the_edit_box() {
    let inc = warroom::domain::incident::Incident::from_events(&[
        opening(mins(-33)),
        note(
            2,
            mins(-30),
            mins(-30),
            EntryKind::Note,
            "users report NDRs",
        ),
    ])
    .unwrap();
    let edit_time = |to: &str| {
        let mut a = app(inc.clone());
        key(&mut a, KeyCode::Char('e'));
        key(&mut a, KeyCode::Tab); // time
        for _ in 0..19 {
            key(&mut a, KeyCode::Backspace);
        }
        typed(&mut a, to);
        let fx = key(&mut a, KeyCode::Enter);
        (a, fx)
    };
    let (a, fx) = edit_time("2026-12-01 10:00");
    assert!(fx.is_empty());
    assert!(input_error(&a).contains("is in the future"));
    let (a, fx) = edit_time("1970-01-01 00:00");
    assert!(fx.is_empty());
    assert!(input_error(&a).contains("before the year 2000"));
    let (a, fx) = edit_time("2026-11-01 09:00");
    assert_eq!(fx.len(), 1);
    assert!(a.flash.as_ref().unwrap().text.contains("kept as typed"));
    // An edit of the text alone does not check the time it keeps.
    let mut a = app(inc.clone());
    key(&mut a, KeyCode::Char('e'));
    typed(&mut a, " (all regions)");
    assert_eq!(key(&mut a, KeyCode::Enter).len(), 1);
}

#[test]
fn typed_key_times() {
    let keytime = |arg: &str| {
        let mut a = app(empty_incident());
        key(&mut a, KeyCode::Char(':'));
        typed(&mut a, &format!("keytime {arg}"));
        let fx = key(&mut a, KeyCode::Enter);
        (a, fx)
    };
    let (a, fx) = keytime("mitigated 2026-11-30 14:20");
    assert!(fx.is_empty());
    assert!(input_error(&a).contains("is in the future"));
    let (a, fx) = keytime("started 1999-01-01 10:00");
    assert!(fx.is_empty());
    assert!(input_error(&a).contains("before the year 2000"));
    let (a, fx) = keytime("started 2026-11-01 10:00");
    assert_eq!(fx.len(), 1);
    assert!(a.flash.as_ref().unwrap().text.contains("more than 7 days"));
    let (_, fx) = keytime("detected -10m");
    assert_eq!(fx.len(), 1);
}

#[test]
fn not_saved_clears_once_retry_has_worked() {
    let mut a = app(empty_incident());
    key(&mut a, KeyCode::Char('a'));
    typed(&mut a, "on a full disk");
    let fx = key(&mut a, KeyCode::Enter);
    let Effect::Append(ev) = fx[0].clone() else {
        panic!()
    };
    let failed = |a: &mut warroom::tui::app::AppState| {
        update(
            a,
            Action::SaveFailed {
                event: Box::new(ev.clone()),
                error: "the disk is full".into(),
            },
        );
    };
    failed(&mut a);
    assert!(a.flash.as_ref().unwrap().text.starts_with("NOT SAVED"));
    assert_eq!(a.unsaved.len(), 1);
    // :retry; it fails again: still one change not saved, still said.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "retry");
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Append(ev.clone())]);
    // Until the journal has it, it is not saved.
    assert_eq!(a.unsaved.len(), 1);
    failed(&mut a);
    assert_eq!(a.unsaved.len(), 1);
    assert!(a.flash.as_ref().unwrap().text.starts_with("NOT SAVED"));
    // :retry again, and this time it is written: the message goes.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "retry");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    assert!(a.unsaved.is_empty() && a.pending.is_empty());
    let flash = a.flash.as_ref().unwrap();
    assert!(
        !flash.error && !flash.text.contains("NOT SAVED"),
        "{flash:?}"
    );
    assert_eq!(a.incident.entries.len(), 1);
}
