//! Closing, reopening and exporting in the console: the `:close` form, `:reopen`, `:keytime`,
//! `x` / `:export`, and the read-only rule for a closed incident.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use crate::domain::closing::{FollowUp, KeyTime, key_times, required_open, required_open_text};
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::Incident;
use crate::domain::text::{BODY_CAP, FIELD_CAP, sanitize, sanitize_line};
use crate::domain::time::{Zone, parse_when};
use crate::export::{ExportOptions, write_all};
use crate::store::journal::Reader;
use crate::tui::action::Effect;
use crate::tui::keymap::{Command, Context};
use crate::tui::state::{AppState, Confirm, Mode};
use crate::tui::views::{CloseForm, field};

pub use crate::tui::state::CLOSED;

fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}

/// Opens the close form, starting from what an earlier close said.
pub fn open_form(app: &mut AppState) {
    if app.incident.is_closed() {
        app.flash("the incident is closed already: :reopen REASON first", true);
        return;
    }
    let (summary, impact, root_cause, follow_ups) = match &app.incident.closing {
        Some(c) => (
            c.summary.clone(),
            c.impact.clone(),
            c.root_cause.clone(),
            c.follow_ups
                .iter()
                .map(|f| match &f.due {
                    Some(d) => format!("{} | {} | {d}", f.action, f.owner),
                    None => format!("{} | {}", f.action, f.owner),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        None => Default::default(),
    };
    app.mode = Mode::Close(Box::new(CloseForm {
        fields: [
            field(&summary),
            field(&impact),
            field(&root_cause),
            field(&follow_ups),
            field(""),
        ],
        focus: 0,
        required_open: required_open(&app.incident),
        error: None,
        status_after: crate::domain::closing::STATUS_AT_CLOSE,
    }));
}

/// A key in the close form.
pub fn form_key(
    app: &mut AppState,
    mut form: Box<CloseForm>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    let n = form.field_count();
    match app.keymap.lookup(&key, &[Context::Form]) {
        Some(Command::FormCancel) => Mode::Confirm {
            what: Confirm::Discard,
            back: Box::new(Mode::Close(form)),
        },
        Some(Command::FormNext) => {
            form.focus = (form.focus + 1) % n;
            Mode::Close(form)
        }
        Some(Command::FormPrev) => {
            form.focus = (form.focus + n - 1) % n;
            Mode::Close(form)
        }
        Some(Command::FormSubmit) => submit(app, form, fx),
        Some(Command::FormStatus) => {
            let all = crate::domain::incident::Status::ALL;
            let i = all
                .iter()
                .position(|s| *s == form.status_after)
                .unwrap_or(0);
            form.status_after = all[(i + 1) % all.len()];
            Mode::Close(form)
        }
        Some(Command::FormNewline) => {
            form.fields[form.focus].insert_newline();
            Mode::Close(form)
        }
        Some(Command::FormEnter) if form.focus + 1 < n => {
            form.focus += 1;
            Mode::Close(form)
        }
        Some(Command::FormEnter) => submit(app, form, fx),
        _ => {
            form.fields[form.focus].input(key);
            form.error = None;
            Mode::Close(form)
        }
    }
}

/// Pasted text goes into the focused field.
pub fn paste(form: &mut CloseForm, text: &str) {
    form.fields[form.focus].insert_str(sanitize(text, BODY_CAP));
}

/// Checks the form and sends the close. The reports are written once it is on disk.
fn submit(app: &mut AppState, mut form: Box<CloseForm>, fx: &mut Vec<Effect>) -> Mode {
    let summary = sanitize(text_of(&form.fields[0]).trim(), BODY_CAP);
    if summary.is_empty() {
        form.error = Some("the summary is empty: say in a sentence or two what happened".into());
        form.focus = 0;
        return Mode::Close(form);
    }
    let mut follow_ups = Vec::new();
    for line in text_of(&form.fields[3]).lines() {
        if line.trim().is_empty() {
            continue;
        }
        match FollowUp::parse(line) {
            Ok(f) => follow_ups.push(f),
            Err(e) => {
                form.error = Some(e);
                form.focus = 3;
                return Mode::Close(form);
            }
        }
    }
    // The steps may have changed since the form opened (another console).
    let open = required_open(&app.incident);
    let reason = sanitize_line(&text_of(&form.fields[4]), FIELD_CAP);
    if !open.is_empty() && reason.is_empty() {
        form.required_open = open.clone();
        form.error = Some(format!(
            "cannot close: {}. Finish or skip them in the playbook pane, or give the reason to close anyway",
            required_open_text(&open)
        ));
        form.focus = 4;
        return Mode::Close(form);
    }
    // Closing says what it did: the status it leaves, logged just before the close.
    let status =
        crate::domain::closing::status_change_at_close(&app.incident, Some(form.status_after));
    if let Some(status) = status {
        fx.push(app.append(EventBody::StatusSet { status }));
    }
    fx.push(app.append(EventBody::Closed {
        summary,
        impact: sanitize(text_of(&form.fields[1]).trim(), BODY_CAP),
        root_cause: sanitize(text_of(&form.fields[2]).trim(), BODY_CAP),
        follow_ups,
        override_reason: (!open.is_empty()).then_some(reason),
    }));
    let said = match status {
        Some(s) => format!("status {} → {s}", app.incident.status),
        None => format!("status {} kept", app.incident.status),
    };
    app.flash(
        format!("closing… {said}; the reports are written once it is saved"),
        false,
    );
    Mode::Normal
}

/// `:close`, `:reopen`, `:keytime`, `:export`.
pub fn command_line(
    app: &mut AppState,
    cmd: &str,
    arg: &str,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    match cmd {
        "close" => {
            open_form(app);
            Ok(())
        }
        "reopen" => {
            if !app.incident.is_closed() {
                return Err("the incident is not closed: there is nothing to reopen".into());
            }
            let reason = sanitize_line(arg, FIELD_CAP);
            fx.push(app.append(EventBody::Reopened {
                reason: (!reason.is_empty()).then_some(reason),
            }));
            Ok(())
        }
        "keytime" => keytime(app, arg, fx),
        "export" => {
            export(app, fx);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `:keytime` lists the key times; `:keytime mitigated 14:32` sets one.
fn keytime(app: &mut AppState, arg: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    let usage = "e.g. :keytime mitigated 14:32 (started, detected, acknowledged, mitigated, resolved; -5m, 14:32 or 2026-11-30 14:32)";
    if arg.trim().is_empty() {
        let list: Vec<String> = key_times(&app.incident)
            .iter()
            .map(|k| {
                let at =
                    k.at.map(|a| app.zone.to_wall(a).format("%H:%M").to_string())
                        .unwrap_or_else(|| "–".into());
                format!("{} {at}{}", k.which, if k.set { "" } else { "?" })
            })
            .collect();
        app.flash(
            format!("{} (? proposed) · {usage}", list.join(" · ")),
            false,
        );
        return Ok(());
    }
    let (which, when) = arg
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("say which key time and when: {usage}"))?;
    let which: KeyTime = which.parse().map_err(|e| format!("{e} ({usage})"))?;
    let at = parse_when(when, app.now, app.zone).map_err(|e| e.to_string())?;
    let warning =
        crate::domain::time::check_typed_time(at, app.now, Some(app.incident.opened_at), app.zone)
            .map_err(|e| e.to_string())?;
    fx.push(app.append(EventBody::KeyTimeSet { which, time: at }));
    if let Some(w) = warning {
        app.flash(w, false);
    }
    Ok(())
}

/// `x` / `:export`: every format into the incident's `exports/` folder.
pub fn export(app: &mut AppState, fx: &mut Vec<Effect>) {
    app.flash("writing the reports…", false);
    fx.push(Effect::Export);
}

/// One of our own events is on disk: a close also writes the reports.
pub fn saved(app: &mut AppState, ev: &Event, fx: &mut Vec<Effect>) {
    if matches!(ev.body, EventBody::Closed { .. }) && app.incident.is_closed() {
        export(app, fx);
        // A public Statuspage incident should not stay open after ours is closed: offer to
        // resolve it.
        if matches!(app.mode, Mode::Normal) && !super::updates::open_statuspage(app).is_empty() {
            app.mode = Mode::Confirm {
                what: Confirm::ResolveStatuspage,
                back: Box::new(Mode::Normal),
            };
        }
    }
}

/// The reports were written (or not).
pub fn exported(app: &mut AppState, result: Result<Vec<PathBuf>, String>) {
    match result {
        Ok(paths) => {
            let dir = paths
                .first()
                .and_then(|p| p.parent())
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            let names: Vec<String> = paths
                .iter()
                .filter_map(|p| p.extension().and_then(|e| e.to_str()).map(str::to_string))
                .collect();
            let what = if app.incident.is_closed() {
                "incident closed; reports"
            } else {
                "reports"
            };
            app.flash(
                format!("{what} ({}) written to {dir}", names.join(", ")),
                false,
            );
        }
        Err(e) => app.flash(format!("reports NOT written: {e}"), true),
    }
}

/// Reads the journal at `journal_path` and writes every report format into the `exports/`
/// folder beside it. Runs off the console's loop (it reads and writes files).
pub fn export_now(
    journal_path: &Path,
    zone: Zone,
    now: DateTime<Utc>,
) -> Result<Vec<PathBuf>, String> {
    let mut reader = Reader::new(journal_path);
    let batch = reader.read_new().map_err(|e| e.to_string())?;
    let inc = Incident::from_events(&batch.events)
        .map_err(|e| format!("{}: {e}", journal_path.display()))?;
    let dir = journal_path
        .parent()
        .map(|p| p.join("exports"))
        .ok_or_else(|| format!("{} has no folder", journal_path.display()))?;
    let opts = ExportOptions {
        zone,
        pinned_only: false,
        generated_at: now,
    };
    write_all(&dir, &inc, &batch.events, &opts).map_err(|e| e.to_string())
}
