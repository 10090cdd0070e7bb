//! `update`: the one place where the console's behaviour lives. It does no I/O: what must
//! happen outside comes back as [`Effect`]s. It dispatches: to the pane that has the focus, to
//! the popup or input that has the keyboard ([`super::modal`]), to the `:` table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::action::{Action, Effect};
use super::cursor::ListCursor;
use super::keymap::{Command, Context};
use super::layout;
use super::pane::Pane;
use super::panes::{closing, health, playbook, timeline, trace, updates};
use super::state::{AppState, InputPurpose, Mode, NOT_SAVED, open_input, refused_while_closed};
use crate::domain::text::sanitize;

/// The key contexts in force, most specific first.
pub fn contexts(app: &AppState) -> Vec<Context> {
    match app.focus {
        Pane::Timeline => vec![Context::Timeline, Context::List, Context::Global],
        Pane::Playbook => vec![Context::Playbook, Context::List, Context::Global],
        Pane::Health => vec![Context::Health, Context::List, Context::Global],
        Pane::Trace => vec![Context::Trace, Context::List, Context::Global],
    }
}

/// Translates a key into an action for the current mode.
pub fn key_to_action(app: &AppState, key: KeyEvent) -> Option<Action> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::ForceQuit);
    }
    match app.mode {
        Mode::Normal => app.keymap.lookup(&key, &contexts(app)).map(Action::Command),
        _ => Some(Action::Key(key)),
    }
}

/// Applies an action. The only place the console's state changes.
pub fn update(app: &mut AppState, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mode_before = std::mem::discriminant(&app.mode);
    let layout_before = (app.focus, app.zoom());
    dispatch(app, action, &mut fx);
    if (app.focus, app.zoom()) != layout_before {
        // The timeline's window has another height now (a strip of one row becomes a pane, or
        // the other way): its first row is worked out again, so it fills what it has.
        app.settle_scroll();
    }
    if std::mem::discriminant(&app.mode) != mode_before {
        // Another popup (or none): how far it scrolls is known once a frame has drawn it.
        app.popup_scroll_max.set(usize::MAX);
    }
    fx
}

fn dispatch(app: &mut AppState, action: Action, fx: &mut Vec<Effect>) {
    match action {
        Action::Tick(now) => {
            app.now = now;
            super::panes::trace::tick(app, fx);
            if app.flash.as_ref().is_some_and(|f| f.until <= now) {
                app.flash = None;
            }
        }
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
            app.settle_scroll();
        }
        Action::Journal { events, warnings } => {
            let had_unsaved = !app.unsaved.is_empty();
            // All at once: events that arrived late (another console's) refold only once.
            app.incident.apply_all(&events);
            for ev in &events {
                let ours = app.pending.remove(&ev.id);
                app.unsaved.retain(|(u, _)| u.id != ev.id);
                if ours {
                    super::panes::closing::saved(app, ev, fx);
                }
            }
            if had_unsaved && app.unsaved.is_empty() {
                // What had failed is on disk now: the NOT SAVED message goes.
                if app
                    .flash
                    .as_ref()
                    .is_some_and(|f| f.text.starts_with(NOT_SAVED))
                {
                    app.flash("saved: the changes that had failed are on disk now", false);
                }
            }
            if !warnings.is_empty() {
                app.flash(warnings.join("; "), true);
                app.warnings.extend(warnings);
            }
            app.rebuild_rows(false);
        }
        Action::SaveFailed { event, error } => {
            app.pending.remove(&event.id);
            app.flash(format!("{NOT_SAVED}: {error}. :retry sends it again"), true);
            app.unsaved.retain(|(u, _)| u.id != event.id);
            app.unsaved.push((*event, error));
        }
        Action::HealthPolled(snap) => super::panes::health::polled(app, *snap, fx),
        Action::TraceBatch { request, msgs } => super::panes::trace::batch(app, request, msgs),
        Action::TraceDone {
            request,
            error,
            cancelled,
        } => super::panes::trace::finished(app, request, error, cancelled),
        Action::TraceChain { key, result } => super::panes::trace::chain_loaded(app, &key, result),
        Action::TraceEvidenceSaved {
            query,
            summary,
            saved,
        } => super::panes::trace::evidence_saved(app, query, &summary, saved, fx),
        Action::Exported(result) => super::panes::closing::exported(app, result),
        Action::EvidenceRan(result) => super::panes::evidence::ran(app, result, fx),
        Action::ReviewEdited {
            template,
            before,
            result,
        } => super::panes::review::edited(app, template, &before, result, fx),
        Action::UpdateResults { request, report } => {
            super::panes::updates::results(app, request, report, fx)
        }
        Action::Team(status) => app.team = Some(status),
        Action::ForceQuit => {
            app.quit = true;
            fx.push(Effect::Quit);
        }
        Action::Command(cmd) => run_command(app, cmd, fx),
        Action::Key(key) => super::modal::key_in_mode(app, key, fx),
        Action::Paste(text) => paste(app, &text),
        Action::Click { column, row } => {
            if matches!(app.mode, Mode::Normal) {
                let area = Rect::new(0, 0, app.width, app.height);
                if let Some(p) = layout::pane_at(
                    area,
                    column,
                    row,
                    app.focus,
                    app.zoom(),
                    app.banner.is_some(),
                ) {
                    app.focus = p;
                }
            }
        }
        Action::Scroll(delta) => {
            if matches!(app.mode, Mode::Normal) {
                let cmd = if delta > 0 {
                    Command::Down
                } else {
                    Command::Up
                };
                for _ in 0..delta.unsigned_abs() {
                    run_command(app, cmd, fx);
                }
            }
        }
    }
}

/// Runs a bound command: the global ones here, the others in the focused pane's module.
pub(crate) fn run_command(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    if refused_while_closed(app, cmd) {
        return;
    }
    match cmd {
        Command::Quit => app.ask_to_quit(fx),
        Command::FocusNext => app.focus = app.focus.step(1),
        Command::FocusPrev => app.focus = app.focus.step(-1),
        Command::FocusHealth => app.focus = Pane::Health,
        Command::FocusPlaybook => app.focus = Pane::Playbook,
        Command::FocusTrace => app.focus = Pane::Trace,
        Command::FocusTimeline => app.focus = Pane::Timeline,
        Command::Zoom => {
            app.zoomed = !app.zoomed;
            app.settle_scroll();
        }
        Command::Help => {
            app.mode = Mode::Help {
                scroll: ListCursor::default(),
            }
        }
        Command::CommandLine => open_input(app, InputPurpose::Command, ""),
        Command::ComposeUpdate => updates::open_composer(app),
        Command::SnoozeUpdate => updates::open_snooze(app),
        Command::Export => closing::export(app, fx),
        _ => match app.focus {
            Pane::Timeline => timeline::command(app, cmd, fx),
            Pane::Playbook => playbook::command(app, cmd, fx),
            Pane::Health => health::command(app, cmd, fx),
            Pane::Trace => trace::command(app, cmd, fx),
        },
    }
}

/// The most of one paste that is kept: well over an entry's limit, so that an entry made too
/// long by a paste is refused with the limit rather than cut to fit.
const PASTE_CAP: usize = 16 * crate::domain::incident::ENTRY_MAX;

fn paste(app: &mut AppState, text: &str) {
    let clean = sanitize(text, PASTE_CAP);
    match &mut app.mode {
        Mode::Input(i) => {
            i.field.insert_str(clean.replace('\n', " "));
        }
        Mode::Edit(e) => match e.focus {
            0 => {
                e.time.insert_str(clean.replace('\n', " "));
            }
            2 => {
                e.text.insert_str(&clean);
            }
            _ => {}
        },
        Mode::Close(form) => super::panes::closing::paste(form, text),
        Mode::Composer(c) if c.focus == super::views::ComposerFocus::Text => {
            c.text.insert_str(&clean);
            c.edited = true;
        }
        Mode::Normal if app.focus == Pane::Timeline => {
            // Pasting on the timeline starts an entry with that text.
            open_input(app, InputPurpose::AddEntry, &clean.replace('\n', " "));
        }
        _ => {}
    }
}
