//! Evidence and support cases in the console: a playbook step's `run` offered behind a
//! confirmation that shows the exact command (its output kept as evidence for the step), and
//! `:ticket REF [PROVIDER]`, offered when the step that opens a vendor ticket is ticked.
//!
//! Both are allowed on a closed incident (evidence and case numbers often come after the
//! close): the keymap and the `:` table mark them as no change for the closed-incident guard.

use crossterm::event::KeyEvent;

use crate::domain::event::EventBody;
use crate::domain::evidence::{EvidenceAdded, TicketRecorded, evidence_text};
use crate::evidence::run::{DEFAULT_TIMEOUT, EvidenceRun};
use crate::tui::action::Effect;
use crate::tui::keymap::{Command, Context};
use crate::tui::state::{AppState, InputPurpose, Mode, RunConfirm, StepRef, open_input};

/// `r` on a step: the confirmation with the exact command, or why there is nothing to run.
/// Nothing runs until the person says yes.
pub fn offer_run(app: &mut AppState, target: StepRef) {
    let argv = app
        .incident
        .playbook(&target.playbook)
        .and_then(|p| p.step(&target.step))
        .map(|s| s.run.clone())
        .unwrap_or_default();
    if argv.is_empty() {
        app.flash(
            "this step has no command to run (a playbook step offers one with run = [\"program\", \"argument\", …])",
            false,
        );
        return;
    }
    let back = Box::new(std::mem::replace(&mut app.mode, Mode::Normal));
    app.mode = Mode::ConfirmRun(Box::new(RunConfirm {
        step: target,
        argv,
        back,
    }));
}

/// A key while the confirmation is shown: yes runs the command in the background, anything
/// else goes back without running it.
pub fn confirm_key(app: &mut AppState, c: RunConfirm, key: KeyEvent, fx: &mut Vec<Effect>) -> Mode {
    if app.keymap.lookup(&key, &[Context::Confirm]) != Some(Command::ConfirmYes) {
        app.flash("not run", false);
        return *c.back;
    }
    let title = app
        .incident
        .playbook(&c.step.playbook)
        .and_then(|p| p.step(&c.step.step))
        .map(|s| s.title.clone())
        .unwrap_or_default();
    let what = EvidenceRun {
        argv: c.argv,
        timeout: DEFAULT_TIMEOUT,
        note: format!("playbook step: {title}"),
        step: Some(format!("{}/{}", c.step.playbook, c.step.step)),
    };
    app.flash(
        format!(
            "running {} (at most {}s): its output will be kept as evidence",
            what.display(),
            what.timeout.as_secs()
        ),
        false,
    );
    fx.push(Effect::RunEvidence(Box::new(what)));
    *c.back
}

/// The step's command finished: its outputs are in the evidence folder; the event records
/// them (or the console says why nothing was kept).
pub fn ran(app: &mut AppState, result: Result<Box<EvidenceAdded>, String>, fx: &mut Vec<Effect>) {
    match result {
        Ok(added) => {
            let failed = added
                .command
                .as_ref()
                .is_some_and(|c| c.exit_code != Some(0));
            app.flash(evidence_text(&added), failed);
            fx.push(app.append(EventBody::EvidenceAdded(*added)));
        }
        Err(e) => app.flash(format!("the step's command was not run: {e}"), true),
    }
}

/// After a step marked `ticket = true` is ticked: the command line, ready for the case number.
pub fn offer_ticket(app: &mut AppState, target: &StepRef) {
    let is_ticket_step = app
        .incident
        .playbook(&target.playbook)
        .and_then(|p| p.step(&target.step))
        .is_some_and(|s| s.ticket);
    if is_ticket_step {
        open_input(app, InputPurpose::Command, "ticket ");
    }
}

/// `:ticket REF [PROVIDER]`.
pub fn ticket(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let (reference, provider) = arg
        .split_once(char::is_whitespace)
        .map(|(r, p)| (r, p.trim()))
        .unwrap_or((arg, ""));
    let t = TicketRecorded::typed(reference, provider, "")?;
    app.flash(crate::domain::evidence::ticket_text(&t), false);
    fx.push(app.append(EventBody::TicketRecorded(t)));
    Ok(())
}
