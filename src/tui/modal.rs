//! Keys while a popup, an input, the editor, a form or a picker has the keyboard: looked up in
//! the keymap's modal contexts, then handed to the pane the popup belongs to.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Effect;
use super::cursor::ListCursor;
use super::keymap::{Command, Context};
use super::panes::timeline;
use super::state::{
    AppState, Confirm, InputPurpose, InputState, Mode, is_blank, refused_while_closed, text_of,
};

use crate::domain::incident::EntryKind;

/// The command a key means where a popup, input or form has the keyboard.
pub(crate) fn modal(app: &AppState, key: &KeyEvent, contexts: &[Context]) -> Option<Command> {
    app.keymap.lookup(key, contexts)
}

/// How far a popup scrolls for a command (`None`: not a scroll).
fn scroll_delta(cmd: Option<Command>) -> Option<i32> {
    match cmd? {
        Command::ScrollDown => Some(1),
        Command::ScrollUp => Some(-1),
        Command::ScrollPageDown => Some(10),
        Command::ScrollPageUp => Some(-10),
        _ => None,
    }
}

/// Selects the timeline row of entry `id`; false when the filters hide it.
fn select_entry(app: &mut AppState, id: uuid::Uuid) -> bool {
    let rows = &app.timeline.rows;
    let Some(row) = rows.iter().position(|&i| app.incident.entries[i].id == id) else {
        return false;
    };
    app.timeline.cursor.selected = row;
    app.settle_scroll();
    true
}

fn scrolled(app: &AppState, mut scroll: ListCursor, by: i32) -> ListCursor {
    scroll.scroll_by(by as isize, app.popup_scroll_max.get());
    scroll
}

pub fn key_in_mode(app: &mut AppState, key: KeyEvent, fx: &mut Vec<Effect>) {
    let mode = std::mem::replace(&mut app.mode, Mode::Normal);
    let popup = modal(app, &key, &[Context::Popup]);
    app.mode = match mode {
        Mode::Normal => Mode::Normal,
        Mode::Help { scroll } => match scroll_delta(popup) {
            Some(by) => Mode::Help {
                scroll: scrolled(app, scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::Detail { entry, scroll } => match (scroll_delta(popup), popup) {
            (Some(by), _) => Mode::Detail {
                entry,
                scroll: scrolled(app, scroll, by),
            },
            (None, Some(_)) => Mode::Normal,
            // The timeline's edit and pin work on the entry shown (selected first: another
            // console's entries may have moved the selection while the popup was open).
            (None, None) => match modal(app, &key, &[Context::Timeline]) {
                Some(Command::EditEntry | Command::TogglePin | Command::CycleMarker)
                    if !select_entry(app, entry) =>
                {
                    Mode::Detail { entry, scroll }
                }
                Some(Command::EditEntry) => {
                    if !refused_while_closed(app, Command::EditEntry) {
                        timeline::command(app, Command::EditEntry, fx);
                    }
                    std::mem::replace(&mut app.mode, Mode::Normal)
                }
                Some(cmd @ (Command::TogglePin | Command::CycleMarker)) => {
                    if !refused_while_closed(app, cmd) {
                        timeline::command(app, cmd, fx);
                    }
                    Mode::Detail { entry, scroll }
                }
                _ => Mode::Normal,
            },
        },
        Mode::TraceChain {
            row,
            events,
            scroll,
        } => match scroll_delta(popup) {
            Some(by) => Mode::TraceChain {
                row,
                events,
                scroll: scrolled(app, scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::Who { scroll } => match scroll_delta(popup) {
            Some(by) => Mode::Who {
                scroll: scrolled(app, scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::HealthItem {
            source,
            item,
            scroll,
        } => match scroll_delta(popup) {
            Some(by) => Mode::HealthItem {
                source,
                item,
                scroll: scrolled(app, scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::StepDetail { step, scroll } => match (scroll_delta(popup), popup) {
            (Some(by), _) => Mode::StepDetail {
                step,
                scroll: scrolled(app, scroll, by),
            },
            (None, Some(_)) => Mode::Normal,
            (None, None) => match modal(app, &key, &[Context::Playbook]) {
                // The keys the popup's title advertises: the pane's own step commands, on
                // the step shown. Done, doing and checked keep the popup open on the new
                // state; skip, owner and note open their input.
                Some(
                    cmd @ (Command::ToggleDone
                    | Command::StartStep
                    | Command::SkipStep
                    | Command::OwnerStep
                    | Command::NoteStep
                    | Command::AckCheckBack
                    | Command::RunStep),
                ) => {
                    app.mode = Mode::StepDetail {
                        step: step.clone(),
                        scroll,
                    };
                    if !refused_while_closed(app, cmd) {
                        super::panes::playbook::step_command(app, step, cmd, fx);
                    }
                    std::mem::replace(&mut app.mode, Mode::Normal)
                }
                _ => Mode::Normal,
            },
        },
        Mode::Picker { items, cursor } => {
            super::panes::playbook::picker_key(app, items, cursor, key, fx)
        }
        Mode::Confirm { what, back } => match modal(app, &key, &[Context::Confirm]) {
            Some(Command::ConfirmYes) => match what {
                Confirm::Quit => {
                    app.quit = true;
                    fx.push(Effect::Quit);
                    Mode::Normal
                }
                Confirm::Discard => Mode::Normal,
                Confirm::ResolveStatuspage => {
                    super::panes::updates::resolve_statuspage(app, fx);
                    Mode::Normal
                }
            },
            _ => *back,
        },
        Mode::Input(input) => input_key(app, input, key, fx),
        Mode::Edit(edit) => timeline::edit_key(app, edit, key, fx),
        Mode::Close(form) => super::panes::closing::form_key(app, form, key, fx),
        Mode::Composer(c) => super::panes::updates::composer_key(app, c, key, fx),
        Mode::ConfirmSend(p) => super::panes::updates::confirm_send_key(app, p, key, fx),
        Mode::Snooze { cursor } => super::panes::updates::snooze_key(app, cursor, key, fx),
        Mode::ConfirmRun(c) => super::panes::evidence::confirm_key(app, *c, key, fx),
    };
}

fn input_key(
    app: &mut AppState,
    mut input: Box<InputState>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    match modal(app, &key, &[Context::Input]) {
        Some(Command::InputCancel) => {
            if input.purpose == InputPurpose::Filter {
                app.timeline.text_filter.clear();
                app.rebuild_rows(true);
                return Mode::Normal;
            }
            if input.purpose == InputPurpose::AddEntry && !is_blank(&input.field) {
                return Mode::Confirm {
                    what: Confirm::Discard,
                    back: Box::new(Mode::Input(input)),
                };
            }
            Mode::Normal
        }
        Some(Command::InputKind) if input.purpose == InputPurpose::AddEntry => {
            let typed = EntryKind::TYPED;
            let i = typed.iter().position(|k| *k == input.kind).unwrap_or(0);
            input.kind = typed[(i + 1) % typed.len()];
            Mode::Input(input)
        }
        Some(Command::InputSubmit) => {
            let text = text_of(&input.field);
            match input.purpose {
                InputPurpose::AddEntry if app.incident.is_closed() => {
                    input.error = Some(super::state::CLOSED.into());
                    Mode::Input(input)
                }
                InputPurpose::AddEntry => match timeline::add_entry(app, &text, input.kind, fx) {
                    Ok(()) => Mode::Normal,
                    Err(e) => {
                        input.error = Some(e);
                        Mode::Input(input)
                    }
                },
                InputPurpose::Filter => {
                    app.timeline.text_filter = text.trim().to_string();
                    app.rebuild_rows(true);
                    Mode::Normal
                }
                InputPurpose::TraceQuery => match super::panes::trace::submit_query(app, &text, fx)
                {
                    Ok(()) => Mode::Normal,
                    Err(e) => {
                        input.error = Some(e);
                        Mode::Input(input)
                    }
                },
                InputPurpose::SkipReason(_)
                | InputPurpose::Owner(_)
                | InputPurpose::StepNote(_) => {
                    match super::panes::playbook::submit_input(app, &input.purpose, &text, fx) {
                        Ok(()) => Mode::Normal,
                        Err(e) => {
                            input.error = Some(e);
                            Mode::Input(input)
                        }
                    }
                }
                InputPurpose::Command => match super::commands::run_line(app, &text, fx) {
                    Ok(()) => std::mem::replace(&mut app.mode, Mode::Normal),
                    Err(e) => {
                        input.error = Some(e);
                        Mode::Input(input)
                    }
                },
            }
        }
        _ => {
            // One line only: Enter submits, so a newline never reaches the field.
            if key.code == KeyCode::Char('m') && key.modifiers.contains(KeyModifiers::CONTROL) {
                return Mode::Input(input);
            }
            input.field.input(key);
            input.error = None;
            if input.purpose == InputPurpose::Filter {
                app.timeline.text_filter = text_of(&input.field).trim().to_string();
                app.rebuild_rows(true);
            }
            Mode::Input(input)
        }
    }
}
