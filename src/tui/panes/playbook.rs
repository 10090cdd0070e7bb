//! The playbook pane's part of `update`: moving between steps, changing them, attaching
//! playbooks. Every change is validated against the step's rules before it is sent, so the
//! journal only gets changes that will fold.

use crossterm::event::KeyEvent;

use crate::domain::event::EventBody;
use crate::domain::playbook::{Playbook, Step, StepAction, StepChange, StepState};
use crate::domain::text::sanitize_line;
use crate::tui::action::Effect;
use crate::tui::cursor::{LIST_PAGE, ListCursor};
use crate::tui::keymap::{Command, Context};
use crate::tui::state::{AppState, InputPurpose, Mode, StepRef, open_input};

/// Every step of every attached playbook, in order: (playbook index, section index, step index).
pub fn step_positions(app: &AppState) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (pi, pb) in app.incident.playbooks.iter().enumerate() {
        for (si, sec) in pb.sections.iter().enumerate() {
            for sti in 0..sec.steps.len() {
                out.push((pi, si, sti));
            }
        }
    }
    out
}

/// The selected step, its playbook and its state.
pub fn selected(app: &AppState) -> Option<(&Playbook, &Step, &StepState)> {
    let (pi, si, sti) = *step_positions(app).get(app.steps.selected)?;
    let pb = &app.incident.playbooks[pi];
    let step = &pb.sections[si].steps[sti];
    Some((pb, step, app.incident.progress.state(&pb.id, &step.id)))
}

fn selected_ref(app: &AppState) -> Option<StepRef> {
    selected(app).map(|(pb, step, _)| StepRef {
        playbook: pb.id.clone(),
        step: step.id.clone(),
    })
}

pub fn navigate(app: &mut AppState, cmd: Command) {
    let n = step_positions(app).len();
    if n > 0 {
        app.steps.step(n, LIST_PAGE, cmd);
    }
}

pub fn open(app: &mut AppState) {
    if let Some(step) = selected_ref(app) {
        app.mode = Mode::StepDetail {
            step,
            scroll: ListCursor::default(),
        };
    }
}

/// Sends a change if the step's rules allow it, else says why not.
fn send(
    app: &mut AppState,
    target: &StepRef,
    action: StepAction,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    let state = app
        .incident
        .progress
        .state(&target.playbook, &target.step)
        .clone();
    let change = StepChange {
        playbook: target.playbook.clone(),
        step: target.step.clone(),
        action: action.clone(),
        at: app.now,
        by: app.author.clone(),
    };
    state.after(&change).map_err(|e| e.to_string())?;
    fx.push(app.append(EventBody::StepChanged {
        playbook: target.playbook.clone(),
        step: target.step.clone(),
        action,
    }));
    Ok(())
}

/// The playbook pane's commands.
pub fn command(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    match cmd {
        c if c.is_list_move() => navigate(app, cmd),
        Command::Open => open(app),
        _ => change(app, cmd, fx),
    }
}

/// A step command on the selected step, or attaching a playbook.
fn change(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    if cmd == Command::AttachPlaybook {
        let items: Vec<usize> = (0..app.catalog.len())
            .filter(|&i| app.incident.playbook(&app.catalog[i].0.id).is_none())
            .collect();
        if items.is_empty() {
            app.flash("every known playbook is attached already", false);
        } else {
            app.mode = Mode::Picker {
                items,
                cursor: ListCursor::default(),
            };
        }
        return;
    }
    let Some(target) = selected_ref(app) else {
        app.flash(
            format!(
                "no playbook attached: press {} to attach one",
                app.keymap.first_key(Command::AttachPlaybook)
            ),
            false,
        );
        return;
    };
    step_command(app, target, cmd, fx);
}

/// A step command on the given step: from the pane (the selected step) or from the step's
/// popup (the step it shows). The same rules either way; the closed-incident guard is the
/// caller's ([`crate::tui::state::refused_while_closed`]).
pub fn step_command(app: &mut AppState, target: StepRef, cmd: Command, fx: &mut Vec<Effect>) {
    let Some(pb) = app.incident.playbook(&target.playbook) else {
        return;
    };
    let Some(step) = pb.step(&target.step) else {
        return;
    };
    let has_check_back = step.check_back.is_some();
    let state = app.incident.progress.state(&target.playbook, &target.step);
    let status = state.status;
    let action = match cmd {
        Command::ToggleDone => {
            let c = StepChange::toggle_done(
                &target.playbook,
                &target.step,
                state,
                app.now,
                &app.author,
            );
            c.action
        }
        Command::StartStep => StepAction::SetStatus {
            status: crate::domain::playbook::StepStatus::Doing,
            reason: None,
        },
        Command::AckCheckBack => {
            if !has_check_back {
                app.flash("this step has no check-back timer", false);
                return;
            }
            StepAction::AckCheckBack
        }
        Command::SkipStep => {
            if status.is_complete() {
                app.flash(
                    format!(
                        "the step is complete: untick it first ({})",
                        app.keymap.first_key(Command::ToggleDone)
                    ),
                    false,
                );
            } else {
                open_input(app, InputPurpose::SkipReason(target), "");
            }
            return;
        }
        Command::OwnerStep => {
            let current = state.owner.clone().unwrap_or_default();
            open_input(app, InputPurpose::Owner(target), &current);
            return;
        }
        Command::NoteStep => {
            open_input(app, InputPurpose::StepNote(target), "");
            return;
        }
        Command::RunStep => {
            super::evidence::offer_run(app, target);
            return;
        }
        _ => return,
    };
    let ticked = matches!(
        action,
        StepAction::SetStatus {
            status: crate::domain::playbook::StepStatus::Done,
            ..
        }
    );
    match send(app, &target, action, fx) {
        Err(e) => app.flash(e, true),
        Ok(()) if ticked => super::evidence::offer_ticket(app, &target),
        Ok(()) => {}
    }
}

/// Enter in one of the step inputs.
pub fn submit_input(
    app: &mut AppState,
    purpose: &InputPurpose,
    text: &str,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    match purpose {
        InputPurpose::SkipReason(target) => {
            let reason = sanitize_line(text, 1024);
            if reason.is_empty() {
                return Err("say why the step does not apply (the review will ask)".into());
            }
            send(
                app,
                target,
                StepAction::SetStatus {
                    status: crate::domain::playbook::StepStatus::Skipped,
                    reason: Some(reason),
                },
                fx,
            )
        }
        InputPurpose::Owner(target) => {
            let owner = sanitize_line(text, 128);
            send(
                app,
                target,
                StepAction::Assign {
                    owner: (!owner.is_empty()).then_some(owner),
                },
                fx,
            )
        }
        InputPurpose::StepNote(target) => {
            let text = crate::domain::incident::entry_text(text)?;
            if text.is_empty() {
                return Err("the note is empty".into());
            }
            let title = app
                .incident
                .playbook(&target.playbook)
                .and_then(|p| p.step(&target.step))
                .map(|s| s.title.clone())
                .unwrap_or_default();
            fx.push(app.append(EventBody::EntryAdded {
                occurred_at: app.now,
                kind: crate::domain::incident::EntryKind::Note,
                text: format!("{title}: {text}"),
                step: Some(format!("{}/{}", target.playbook, target.step)),
            }));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Keys in the playbook picker.
pub fn picker_key(
    app: &mut AppState,
    items: Vec<usize>,
    mut cursor: ListCursor,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    match app.keymap.lookup(&key, &[Context::Picker]) {
        Some(cmd @ (Command::PickerDown | Command::PickerUp)) => {
            cursor.step(items.len(), LIST_PAGE, cmd);
            Mode::Picker { items, cursor }
        }
        Some(Command::PickerChoose) => {
            if let Some(&i) = items.get(cursor.selected) {
                let (pb, source) = &app.catalog[i];
                let body = EventBody::PlaybookAttached {
                    playbook: pb.id.clone(),
                    source: source.clone(),
                };
                fx.push(app.append(body));
            }
            Mode::Normal
        }
        _ => Mode::Normal,
    }
}

/// Steps whose check-back timer has run out: (playbook id, step).
pub fn expired_check_backs(app: &AppState) -> Vec<(&Playbook, &Step)> {
    let inc = &app.incident;
    inc.playbooks
        .iter()
        .flat_map(|pb| {
            inc.progress
                .check_backs_expired(pb, inc.started_at, app.now)
                .into_iter()
                .map(move |s| (pb, s))
        })
        .collect()
}

/// `:ack`: acknowledges every expired check-back. Returns how many.
pub fn ack_all(app: &mut AppState, fx: &mut Vec<Effect>) -> usize {
    let targets: Vec<StepRef> = expired_check_backs(app)
        .into_iter()
        .map(|(pb, s)| StepRef {
            playbook: pb.id.clone(),
            step: s.id.clone(),
        })
        .collect();
    let mut n = 0;
    for t in targets {
        if send(app, &t, StepAction::AckCheckBack, fx).is_ok() {
            n += 1;
        }
    }
    n
}
