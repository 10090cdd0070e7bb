//! A playbook step's `run` in the console (offered behind a confirmation that shows the exact
//! command, its output kept as evidence linked to the step) and `:ticket`, offered when the
//! step that opens a vendor ticket is ticked.

use crate::common;

use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::EventBody;
use warroom::domain::evidence::EvidenceKind;
use warroom::domain::incident::Incident;
use warroom::tui::app::{Action, AppState, Effect, Mode, Pane, update};
use warroom::tui::panes::playbook;
use warroom::tui::ui;

const SNAPSHOT_STEP: &str = "snapshot-mail-config";

fn pane_on(step: &str) -> AppState {
    pane_with(step, Vec::new())
}

fn pane_with(step: &str, more: Vec<warroom::domain::event::Event>) -> AppState {
    let mut events = vec![opening(mins(-33)), attach_cloud_mail(2, mins(-33))];
    events.extend(more);
    let inc = Incident::from_events(&events).unwrap();
    let mut a = app(inc);
    a.catalog = builtin_catalog();
    key(&mut a, KeyCode::Char('2'));
    assert_eq!(a.focus, Pane::Playbook);
    let ids: Vec<String> = playbook::step_positions(&a)
        .into_iter()
        .map(|(p, s, st)| a.incident.playbooks[p].sections[s].steps[st].id.clone())
        .collect();
    a.steps.selected = ids.iter().position(|i| i == step).unwrap();
    a
}

fn frame(app: &AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, app)).unwrap();
    term.backend().to_string()
}

fn run_effect(fx: &[Effect]) -> &warroom::evidence::run::EvidenceRun {
    match fx {
        [Effect::RunEvidence(r)] => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn r_shows_the_exact_command_and_runs_nothing_until_yes() {
    let mut a = pane_on(SNAPSHOT_STEP);
    // The hint line offers the key on a step with a command.
    assert!(frame(&a).contains("r run"), "{}", frame(&a));
    let fx = key(&mut a, KeyCode::Char('r'));
    assert!(fx.is_empty(), "nothing runs before the yes: {fx:?}");
    assert!(matches!(a.mode, Mode::ConfirmRun(_)));
    let screen = frame(&a);
    assert!(
        screen.contains("pwsh -NoProfile -NonInteractive -Command 'Get-TransportRule"),
        "{screen}"
    );
    insta::assert_snapshot!("step_run_confirmation", screen);

    // Any other key: back, nothing run.
    let fx = key(&mut a, KeyCode::Char('n'));
    assert!(fx.is_empty());
    assert!(matches!(a.mode, Mode::Normal));

    key(&mut a, KeyCode::Char('r'));
    let fx = key(&mut a, KeyCode::Char('y'));
    let run = run_effect(&fx);
    let step = a
        .incident
        .playbook("cloud-mail-outage")
        .unwrap()
        .step(SNAPSHOT_STEP)
        .unwrap();
    assert_eq!(run.argv, step.run);
    assert_eq!(
        run.step.as_deref(),
        Some("cloud-mail-outage/snapshot-mail-config")
    );
    assert!(matches!(a.mode, Mode::Normal));
    assert!(a.flash.as_ref().unwrap().text.starts_with("running pwsh"));
}

#[test]
fn the_output_becomes_evidence_linked_to_the_step() {
    let mut a = pane_on(SNAPSHOT_STEP);
    key(&mut a, KeyCode::Char('r'));
    let fx = key(&mut a, KeyCode::Char('y'));
    let mut run = run_effect(&fx).clone();
    // What the effect runner does, with a stand-in for pwsh (not installed here).
    run.argv = vec![
        "sh".into(),
        "-c".into(),
        "echo '[{\"Name\":\"Block exe\"}]'".into(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt
        .block_on(warroom::evidence::run::run(dir.path(), &run, now()))
        .map(Box::new)
        .map_err(|e| e.to_string());
    let fx = update(&mut a, Action::EvidenceRan(result));
    let evs = ack(&mut a, fx);
    let EventBody::EvidenceAdded(e) = &evs[0].body else {
        panic!("{evs:?}")
    };
    assert_eq!(e.kind, EvidenceKind::Command);
    assert_eq!(
        e.step.as_deref(),
        Some("cloud-mail-outage/snapshot-mail-config")
    );
    assert_eq!(
        e.note,
        "playbook step: Snapshot transport rules, connectors and spam policies"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(&e.file)).unwrap(),
        "[{\"Name\":\"Block exe\"}]\n"
    );
    let entry = a.incident.entries.last().unwrap();
    assert_eq!(
        entry.about.as_deref(),
        Some("cloud-mail-outage/snapshot-mail-config")
    );
    assert!(
        entry.text.starts_with("evidence: ran sh -c"),
        "{}",
        entry.text
    );
    assert_eq!(a.incident.custody.files().len(), 2);

    // A command that cannot start keeps nothing and says why.
    let fx = update(
        &mut a,
        Action::EvidenceRan(Err(
            "`pwsh` was not found: install it, or give its full path".into(),
        )),
    );
    assert!(fx.is_empty());
    let f = a.flash.as_ref().unwrap();
    assert!(
        f.error && f.text.contains("`pwsh` was not found"),
        "{}",
        f.text
    );
}

#[test]
fn a_step_without_a_command_says_so_and_the_popup_offers_run_too() {
    let mut a = pane_on("confirm-provider-incident");
    let fx = key(&mut a, KeyCode::Char('r'));
    assert!(fx.is_empty());
    assert!(matches!(a.mode, Mode::Normal));
    assert!(a.flash.as_ref().unwrap().text.contains("no command to run"));
    assert!(!frame(&a).contains("r run"));

    // From the step's popup: the confirmation, then back to the popup.
    let mut a = pane_on(SNAPSHOT_STEP);
    key(&mut a, KeyCode::Enter);
    assert!(matches!(a.mode, Mode::StepDetail { .. }));
    let screen = frame(&a);
    assert!(screen.contains("r run"), "{screen}");
    assert!(screen.contains("Command"), "{screen}");
    key(&mut a, KeyCode::Char('r'));
    assert!(matches!(a.mode, Mode::ConfirmRun(_)));
    let fx = key(&mut a, KeyCode::Char('y'));
    run_effect(&fx);
    assert!(matches!(a.mode, Mode::StepDetail { .. }));
}

#[test]
fn evidence_and_tickets_are_allowed_on_a_closed_incident() {
    let closed = ev(
        90,
        mins(-1),
        "carol",
        EventBody::Closed {
            summary: "done".into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: Vec::new(),
            override_reason: Some("test".into()),
        },
    );
    let mut a = pane_with(SNAPSHOT_STEP, vec![closed]);
    assert!(a.incident.is_closed());
    key(&mut a, KeyCode::Char('r'));
    let fx = key(&mut a, KeyCode::Char('y'));
    run_effect(&fx);
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "ticket MS-2611300042 Microsoft");
    let fx = key(&mut a, KeyCode::Enter);
    let evs = ack(&mut a, fx);
    let EventBody::TicketRecorded(t) = &evs[0].body else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (t.reference.as_str(), t.provider.as_str()),
        ("MS-2611300042", "Microsoft")
    );
    assert_eq!(a.incident.custody.tickets.len(), 1);
    // Other changes stay refused.
    key(&mut a, KeyCode::Char(' '));
    assert!(a.flash.as_ref().unwrap().text.contains("closed"));
}

#[test]
fn ticking_the_vendor_ticket_step_offers_ticket_on_the_command_line() {
    let mut a = pane_on("open-vendor-ticket");
    let fx = key(&mut a, KeyCode::Char(' '));
    ack(&mut a, fx);
    let Mode::Input(input) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert_eq!(input.field.lines().join("\n"), "ticket ");
    typed(&mut a, "12345678 Microsoft 365");
    let fx = key(&mut a, KeyCode::Enter);
    let evs = ack(&mut a, fx);
    let EventBody::TicketRecorded(t) = &evs[0].body else {
        panic!("{evs:?}")
    };
    assert_eq!(t.reference, "12345678");
    assert_eq!(t.provider, "Microsoft 365");
    let last = a.incident.entries.last().unwrap();
    assert_eq!(last.text, "support case with Microsoft 365: 12345678");
    // Any other step ticked opens nothing.
    let mut a = pane_on("confirm-provider-incident");
    key(&mut a, KeyCode::Char(' '));
    assert!(matches!(a.mode, Mode::Normal));
    // :ticket needs the reference.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "ticket");
    key(&mut a, KeyCode::Enter);
    let Mode::Input(input) = &a.mode else {
        panic!("{:?}", a.mode)
    };
    assert!(
        input
            .error
            .as_ref()
            .unwrap()
            .contains("needs its reference")
    );
}
