//! The playbook pane: `update()` for every step operation, and a frame snapshot with a fixed clock.

use crate::common;

use chrono::Duration;
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::EventBody;
use warroom::domain::incident::{EntryKind, Incident};
use warroom::domain::playbook::{StepAction, StepStatus};
use warroom::tui::app::{Action, AppState, Mode, Pane, update};
use warroom::tui::keymap::Command;
use warroom::tui::panes::playbook;
use warroom::tui::ui;

fn pane() -> AppState {
    let inc =
        Incident::from_events(&[opening(mins(-33)), attach_cloud_mail(2, mins(-33))]).unwrap();
    let mut a = app(inc);
    a.catalog = builtin_catalog();
    key(&mut a, KeyCode::Char('2'));
    assert_eq!(a.focus, Pane::Playbook);
    a
}

fn state(a: &AppState, step: &str) -> StepStatus {
    a.incident.progress.state("cloud-mail-outage", step).status
}

#[test]
fn space_ticks_and_unticks_with_timeline_entries() {
    let mut a = pane();
    let fx = key(&mut a, KeyCode::Char(' '));
    ack(&mut a, fx);
    assert_eq!(state(&a, "confirm-provider-incident"), StepStatus::Done);
    let last = a.incident.entries.last().unwrap();
    assert_eq!(last.kind, EntryKind::Step);
    assert_eq!(
        last.text,
        "done: Confirm the provider incident and record its id"
    );
    assert_eq!(last.author, "carol");
    assert_eq!(
        last.about.as_deref(),
        Some("cloud-mail-outage/confirm-provider-incident")
    );
    // Unticking is its own event and entry, never an erasure.
    let fx = key(&mut a, KeyCode::Char(' '));
    ack(&mut a, fx);
    assert_eq!(state(&a, "confirm-provider-incident"), StepStatus::Todo);
    let steps: Vec<_> = a
        .incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Step)
        .collect();
    assert_eq!(steps.len(), 2);
    assert!(steps[1].text.starts_with("reopened: "), "{}", steps[1].text);
}

#[test]
fn doing_starts_the_check_back_which_rings_and_is_acknowledged() {
    let mut a = pane();
    key(&mut a, KeyCode::Char('j')); // subscribe-provider-updates: check back every 15m
    let fx = key(&mut a, KeyCode::Char('w'));
    ack(&mut a, fx);
    assert_eq!(state(&a, "subscribe-provider-updates"), StepStatus::Doing);
    assert!(playbook::expired_check_backs(&a).is_empty());
    update(&mut a, Action::Tick(now() + Duration::minutes(15)));
    let ringing = playbook::expired_check_backs(&a);
    assert_eq!(ringing.len(), 1);
    assert_eq!(ringing[0].1.id, "subscribe-provider-updates");
    // The status bar says so until it is acknowledged.
    let screen = frame(&mut a);
    assert!(
        screen.contains("check back: Follow the provider"),
        "{screen}"
    );
    let fx = key(&mut a, KeyCode::Char('c'));
    let evs = ack(&mut a, fx);
    assert!(matches!(
        &evs[0].body,
        EventBody::StepChanged {
            action: StepAction::AckCheckBack,
            ..
        }
    ));
    assert!(playbook::expired_check_backs(&a).is_empty());
    assert!(!frame(&mut a).contains("check back:"));
    // :ack acknowledges every ringing timer.
    update(&mut a, Action::Tick(now() + Duration::minutes(31)));
    assert_eq!(playbook::expired_check_backs(&a).len(), 1);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "ack");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    assert!(playbook::expired_check_backs(&a).is_empty());
}

#[test]
fn skip_asks_for_a_reason() {
    let mut a = pane();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j')); // collect-local-logs
    key(&mut a, KeyCode::Char('s'));
    assert!(matches!(a.mode, Mode::Input(_)));
    // An empty reason is refused and the input stays open.
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(i.error.is_some());
    typed(&mut a, "no relay of our own");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    let st = a
        .incident
        .progress
        .state("cloud-mail-outage", "collect-local-logs");
    assert_eq!(st.status, StepStatus::Skipped);
    assert_eq!(st.reason.as_deref(), Some("no relay of our own"));
    assert!(
        a.incident
            .entries
            .last()
            .unwrap()
            .text
            .contains("reason: no relay of our own")
    );
    // A skipped step cannot be skipped again: untick first.
    key(&mut a, KeyCode::Char('s'));
    assert!(matches!(a.mode, Mode::Normal));
    assert!(a.flash.as_ref().unwrap().text.contains("untick"));
}

#[test]
fn owner_and_note() {
    let mut a = pane();
    key(&mut a, KeyCode::Char('o'));
    typed(&mut a, "alice");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    let st = a
        .incident
        .progress
        .state("cloud-mail-outage", "confirm-provider-incident");
    assert_eq!(st.owner.as_deref(), Some("alice"));
    assert!(a.incident.entries.last().unwrap().text.contains("alice"));
    key(&mut a, KeyCode::Char('n'));
    typed(&mut a, "EX1234567 since 13:05 UTC");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    let e = a.incident.entries.last().unwrap();
    assert_eq!(e.kind, EntryKind::Note);
    assert_eq!(
        e.text,
        "Confirm the provider incident and record its id: EX1234567 since 13:05 UTC"
    );
    assert_eq!(
        e.about.as_deref(),
        Some("cloud-mail-outage/confirm-provider-incident")
    );
}

#[test]
fn refused_changes_send_nothing() {
    let mut a = pane();
    // Acknowledging a check-back on a step that is not in progress.
    key(&mut a, KeyCode::Char('j'));
    assert!(key(&mut a, KeyCode::Char('c')).is_empty());
    assert!(a.flash.as_ref().unwrap().error);
    // A step without a check-back.
    key(&mut a, KeyCode::Char('g'));
    assert!(key(&mut a, KeyCode::Char('c')).is_empty());
}

#[test]
fn attach_another_playbook_from_the_picker() {
    let mut a = pane();
    key(&mut a, KeyCode::Char('A'));
    let Mode::Picker { items, .. } = &a.mode else {
        panic!("{:?}", a.mode)
    };
    // The attached one is not offered again.
    assert_eq!(items.len(), 2);
    key(&mut a, KeyCode::Char('j'));
    let fx = key(&mut a, KeyCode::Enter);
    let evs = ack(&mut a, fx);
    let EventBody::PlaybookAttached { playbook, source } = &evs[0].body else {
        panic!()
    };
    assert_eq!(playbook, "post-incident-review");
    assert!(source.contains("[[sections]]"));
    assert_eq!(a.incident.playbooks.len(), 2);
    assert!(
        a.incident
            .entries
            .last()
            .unwrap()
            .text
            .starts_with("playbook attached: Post-incident review")
    );
}

#[test]
fn navigation_and_detail() {
    let mut a = pane();
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(a.steps.selected, 17);
    key(&mut a, KeyCode::Char('g'));
    assert_eq!(a.steps.selected, 0);
    key(&mut a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::StepDetail { .. }));
    let screen = frame(&mut a);
    assert!(screen.contains("Required"), "{screen}");
}

#[test]
fn step_changes_for_unknown_steps_are_ignored_on_replay() {
    let mut inc =
        Incident::from_events(&[opening(mins(-33)), attach_cloud_mail(2, mins(-33))]).unwrap();
    let bogus = ev(
        3,
        now(),
        "x",
        EventBody::StepChanged {
            playbook: "cloud-mail-outage".into(),
            step: "no-such-step".into(),
            action: StepAction::SetStatus {
                status: StepStatus::Done,
                reason: None,
            },
        },
    );
    assert!(!inc.apply(&bogus));
    // A jump the rules forbid (skipped without a reason) is ignored too.
    let bad = ev(
        4,
        now(),
        "x",
        EventBody::StepChanged {
            playbook: "cloud-mail-outage".into(),
            step: "notify-stakeholders".into(),
            action: StepAction::SetStatus {
                status: StepStatus::Skipped,
                reason: None,
            },
        },
    );
    assert!(!inc.apply(&bad));
    assert_eq!(inc.ignored_events, 2);
}

fn frame(app: &mut AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, app)).unwrap();
    term.backend().to_string()
}

#[test]
fn pane_snapshot_with_mixed_states_a_skip_and_an_overdue_step() {
    let step = |n: u128, at_min: i64, step: &str, action: StepAction| {
        ev(
            n,
            mins(at_min),
            "alice",
            EventBody::StepChanged {
                playbook: "cloud-mail-outage".into(),
                step: step.into(),
                action,
            },
        )
    };
    let set = |s: StepStatus| StepAction::SetStatus {
        status: s,
        reason: None,
    };
    let inc = Incident::from_events(&[
        opening(mins(-33)),
        attach_cloud_mail(2, mins(-33)),
        step(3, -30, "confirm-provider-incident", set(StepStatus::Done)),
        step(4, -28, "subscribe-provider-updates", set(StepStatus::Doing)),
        step(
            5,
            -27,
            "trace-message-flow",
            StepAction::Assign {
                owner: Some("bob".into()),
            },
        ),
        step(
            6,
            -25,
            "collect-local-logs",
            StepAction::SetStatus {
                status: StepStatus::Skipped,
                reason: Some("no on-premises relay".into()),
            },
        ),
        step(7, -20, "notify-stakeholders", set(StepStatus::Done)),
        step(8, -5, "open-alternate-channels", set(StepStatus::Doing)),
    ])
    .unwrap();
    let mut a = app(inc);
    update(&mut a, Action::Command(Command::FocusPlaybook));
    update(&mut a, Action::Command(Command::Zoom));
    update(&mut a, Action::Command(Command::Down));
    // trace-message-flow was due at T+20m (13:50): 13 minutes overdue at 14:03.
    let timing = a
        .incident
        .progress
        .timing(
            &a.incident.playbooks[0],
            "trace-message-flow",
            a.incident.started_at,
        )
        .unwrap();
    assert!(timing.is_overdue(now()));
    insta::assert_snapshot!(frame(&mut a));
}

/// Opens the step popup on the `n`th step (0-based) of the pane.
fn popup_on(a: &mut AppState, n: usize) {
    for _ in 0..n {
        key(a, KeyCode::Char('j'));
    }
    key(a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::StepDetail { .. }), "{:?}", a.mode);
}

fn popup_step(a: &AppState) -> String {
    let Mode::StepDetail { step, .. } = &a.mode else {
        panic!("the step popup closed: {:?}", a.mode)
    };
    step.step.clone()
}

#[test]
fn step_popup_space_and_x_tick_the_step_shown_and_the_popup_stays() {
    let mut a = pane();
    popup_on(&mut a, 0);
    let fx = key(&mut a, KeyCode::Char(' '));
    ack(&mut a, fx);
    assert_eq!(state(&a, "confirm-provider-incident"), StepStatus::Done);
    assert_eq!(popup_step(&a), "confirm-provider-incident");
    assert!(frame(&mut a).contains("done"));
    // x is the other key of the same command: it unticks.
    let fx = key(&mut a, KeyCode::Char('x'));
    ack(&mut a, fx);
    assert_eq!(state(&a, "confirm-provider-incident"), StepStatus::Todo);
    assert_eq!(popup_step(&a), "confirm-provider-incident");
}

#[test]
fn step_popup_w_marks_doing_and_c_acknowledges_the_check_back() {
    let mut a = pane();
    popup_on(&mut a, 1); // subscribe-provider-updates: check back every 15m
    let fx = key(&mut a, KeyCode::Char('w'));
    ack(&mut a, fx);
    assert_eq!(state(&a, "subscribe-provider-updates"), StepStatus::Doing);
    assert_eq!(popup_step(&a), "subscribe-provider-updates");
    update(&mut a, Action::Tick(now() + Duration::minutes(15)));
    assert_eq!(playbook::expired_check_backs(&a).len(), 1);
    let fx = key(&mut a, KeyCode::Char('c'));
    let evs = ack(&mut a, fx);
    assert!(matches!(
        &evs[0].body,
        EventBody::StepChanged {
            action: StepAction::AckCheckBack,
            ..
        }
    ));
    assert!(playbook::expired_check_backs(&a).is_empty());
    assert_eq!(popup_step(&a), "subscribe-provider-updates");
}

#[test]
fn step_popup_s_asks_for_the_reason_and_skips_the_step_shown() {
    let mut a = pane();
    popup_on(&mut a, 3); // collect-local-logs
    key(&mut a, KeyCode::Char('s'));
    assert!(matches!(a.mode, Mode::Input(_)), "{:?}", a.mode);
    typed(&mut a, "no relay of our own");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    let st = a
        .incident
        .progress
        .state("cloud-mail-outage", "collect-local-logs");
    assert_eq!(st.status, StepStatus::Skipped);
    assert_eq!(st.reason.as_deref(), Some("no relay of our own"));
}

#[test]
fn step_popup_o_assigns_the_step_shown() {
    let mut a = pane();
    popup_on(&mut a, 2); // trace-message-flow
    key(&mut a, KeyCode::Char('o'));
    assert!(matches!(a.mode, Mode::Input(_)), "{:?}", a.mode);
    // The field starts with the current owner; clear it and type another.
    for _ in 0..40 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "bob");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    let st = a
        .incident
        .progress
        .state("cloud-mail-outage", "trace-message-flow");
    assert_eq!(st.owner.as_deref(), Some("bob"));
}

#[test]
fn step_popup_n_adds_a_note_about_the_step_shown() {
    let mut a = pane();
    popup_on(&mut a, 0);
    key(&mut a, KeyCode::Char('n'));
    assert!(matches!(a.mode, Mode::Input(_)), "{:?}", a.mode);
    typed(&mut a, "MO1094411 opened by Microsoft");
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    let last = a.incident.entries.last().unwrap();
    assert_eq!(last.kind, EntryKind::Note);
    assert!(
        last.text.ends_with(": MO1094411 opened by Microsoft"),
        "{}",
        last.text
    );
    assert_eq!(
        last.about.as_deref(),
        Some("cloud-mail-outage/confirm-provider-incident")
    );
}

#[test]
fn step_popup_keys_follow_the_keymap_and_scroll_and_esc_still_work() {
    let mut a = pane();
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("step_doing".to_string(), vec!["W".to_string()]);
    a.keymap = warroom::tui::keymap::Keymap::with_overrides(&keys).unwrap();
    popup_on(&mut a, 0);
    assert!(frame(&mut a).contains("W doing"));
    // The old key does nothing to the step now (it closes the popup, like any unbound key).
    assert!(key(&mut a, KeyCode::Char('w')).is_empty());
    assert!(matches!(a.mode, Mode::Normal));
    key(&mut a, KeyCode::Enter);
    let fx = key_mod(
        &mut a,
        KeyCode::Char('W'),
        crossterm::event::KeyModifiers::SHIFT,
    );
    ack(&mut a, fx);
    assert_eq!(state(&a, "confirm-provider-incident"), StepStatus::Doing);
    key(&mut a, KeyCode::Char('j'));
    let Mode::StepDetail { scroll, .. } = &a.mode else {
        panic!()
    };
    assert_eq!(scroll.top(), 1);
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Normal));
}

#[test]
fn step_popup_keys_are_refused_while_the_incident_is_closed() {
    let mut a = pane();
    let fx = {
        key(&mut a, KeyCode::Char(':'));
        typed(&mut a, "close");
        key(&mut a, KeyCode::Enter);
        typed(&mut a, "done");
        key(&mut a, KeyCode::Tab);
        key(&mut a, KeyCode::Tab);
        key(&mut a, KeyCode::Tab);
        key(&mut a, KeyCode::Tab);
        typed(&mut a, "required steps handed to the review");
        key_mod(
            &mut a,
            KeyCode::Char('s'),
            crossterm::event::KeyModifiers::CONTROL,
        )
    };
    ack(&mut a, fx);
    assert!(a.incident.is_closed(), "{:?}", a.mode);
    a.mode = Mode::Normal;
    popup_on(&mut a, 0);
    for c in [' ', 'x', 'w', 's', 'o', 'n', 'c'] {
        a.flash = None;
        assert!(key(&mut a, KeyCode::Char(c)).is_empty(), "{c}");
        assert!(
            a.flash.as_ref().unwrap().text.contains("closed"),
            "{c}: {:?}",
            a.flash
        );
        assert!(!matches!(a.mode, Mode::Input(_)), "{c}");
    }
    assert_eq!(state(&a, "confirm-provider-incident"), StepStatus::Todo);
}
