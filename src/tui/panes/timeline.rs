//! The timeline pane's part of `update`: moving through the entries, adding, editing, deleting,
//! pinning and undoing, filtering; and the entry editor.

use chrono::{DateTime, Duration, Utc};
use crossterm::event::KeyEvent;

use crate::domain::event::EventBody;
use crate::domain::incident::{EntryKind, entry_text};
use crate::domain::time::{Zone, check_typed_time, looks_like_time, parse_when};
use crate::tui::action::Effect;
use crate::tui::cursor::ListCursor;
use crate::tui::keymap::{Command, Context};
use crate::tui::state::{
    AppState, Confirm, EditState, InputPurpose, Mode, line_field, multiline_field, open_input,
    text_of,
};

/// What was typed after `a`, understood.
#[derive(Debug, Clone, PartialEq)]
pub struct QuickEntry {
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    pub text: String,
    /// Said about a typed time that is accepted but looks odd (long before the opening).
    pub warning: Option<String>,
}

/// Splits what was typed after `a`: an optional leading time (`-4m`, `14:32`, `now`), an
/// optional kind prefix (`action:`), and the text. A typed time is checked by the rule for
/// typed times against `now` and the incident's opening; text over the entry limit is refused.
pub fn parse_quick_entry(
    input: &str,
    default_kind: EntryKind,
    now: DateTime<Utc>,
    opened: DateTime<Utc>,
    zone: Zone,
) -> Result<QuickEntry, String> {
    let mut rest = input.trim();
    let mut at = now;
    if let Some(first) = rest.split_whitespace().next()
        && looks_like_time(first)
    {
        // "2026-11-30 14:32 text" has the time in two tokens.
        let two: Vec<&str> = rest.splitn(3, char::is_whitespace).collect();
        if two.len() >= 2
            && first.len() == 10
            && let Ok(t) = parse_when(&format!("{} {}", two[0], two[1]), now, zone)
        {
            at = t;
            rest = two.get(2).copied().unwrap_or("").trim();
        } else {
            at = parse_when(first, now, zone).map_err(|e| e.to_string())?;
            rest = rest[first.len()..].trim_start();
        }
    } else if let Some(first) = rest.split_whitespace().next()
        && first.len() == 10
        && first.chars().filter(|c| *c == '-').count() == 2
    {
        let two: Vec<&str> = rest.splitn(3, char::is_whitespace).collect();
        if two.len() >= 2
            && let Ok(t) = parse_when(&format!("{} {}", two[0], two[1]), now, zone)
        {
            at = t;
            rest = two.get(2).copied().unwrap_or("").trim();
        }
    }
    let mut kind = default_kind;
    if let Some((head, tail)) = rest.split_once(':')
        && let Ok(k) = head.trim().parse::<EntryKind>()
        && EntryKind::TYPED.contains(&k)
    {
        kind = k;
        rest = tail.trim_start();
    }
    let text = entry_text(rest)?;
    if text.is_empty() {
        return Err("the entry has no text: type what happened after the time".into());
    }
    let warning = check_typed_time(at, now, Some(opened), zone).map_err(|e| e.to_string())?;
    Ok(QuickEntry {
        at,
        kind,
        text,
        warning,
    })
}

pub fn edit_key(
    app: &mut AppState,
    mut edit: Box<EditState>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    match app.keymap.lookup(&key, &[Context::Editor]) {
        Some(Command::EditorCancel) => Mode::Confirm {
            what: Confirm::Discard,
            back: Box::new(Mode::Edit(edit)),
        },
        Some(Command::EditorNext) => {
            edit.focus = (edit.focus + 1) % 3;
            Mode::Edit(edit)
        }
        Some(Command::EditorPrev) => {
            edit.focus = (edit.focus + 2) % 3;
            Mode::Edit(edit)
        }
        Some(Command::EditorSave) => save_edit(app, edit, fx),
        Some(Command::EditorNewline) if edit.focus == 2 => {
            edit.text.insert_newline();
            Mode::Edit(edit)
        }
        Some(Command::EditorNewline) => save_edit(app, edit, fx),
        Some(cmd @ (Command::EditorKindNext | Command::EditorKindPrev)) if edit.focus == 1 => {
            let all = EntryKind::ALL;
            let i = all.iter().position(|k| *k == edit.kind).unwrap_or(0);
            let step = if cmd == Command::EditorKindPrev {
                all.len() - 1
            } else {
                1
            };
            edit.kind = all[(i + step) % all.len()];
            Mode::Edit(edit)
        }
        _ => {
            match edit.focus {
                0 => {
                    edit.time.input(key);
                }
                2 => {
                    edit.text.input(key);
                }
                _ => {}
            }
            edit.error = None;
            Mode::Edit(edit)
        }
    }
}

fn save_edit(app: &mut AppState, mut edit: Box<EditState>, fx: &mut Vec<Effect>) -> Mode {
    let Some(old) = app.incident.entry(edit.entry).cloned() else {
        app.flash("that entry is gone", true);
        return Mode::Normal;
    };
    let when = text_of(&edit.time);
    let occurred_at = match parse_when(&when, app.now, app.zone) {
        Ok(t) => t,
        Err(e) => {
            edit.error = Some(e.to_string());
            edit.focus = 0;
            return Mode::Edit(edit);
        }
    };
    let text = match entry_text(&text_of(&edit.text)) {
        Ok(t) => t,
        Err(e) => {
            edit.error = Some(e);
            edit.focus = 2;
            return Mode::Edit(edit);
        }
    };
    if text.is_empty() {
        edit.error = Some(format!(
            "the text is empty: to remove the entry, press {} on it",
            app.keymap.first_key(Command::DeleteEntry)
        ));
        return Mode::Edit(edit);
    }
    // Times typed to the second; keep the old sub-second part when the second is unchanged.
    let moved = occurred_at.timestamp() != old.occurred_at.timestamp();
    // Only a time that was typed is checked (an entry from elsewhere keeps its own).
    let mut warning = None;
    if moved {
        match check_typed_time(occurred_at, app.now, Some(app.incident.opened_at), app.zone) {
            Ok(w) => warning = w,
            Err(e) => {
                edit.error = Some(e.to_string());
                edit.focus = 0;
                return Mode::Edit(edit);
            }
        }
    }
    let body = EventBody::EntryEdited {
        entry: old.id,
        text: (text != old.text).then_some(text),
        occurred_at: moved.then_some(occurred_at),
        kind: (edit.kind != old.kind).then_some(edit.kind),
    };
    if let EventBody::EntryEdited {
        text: None,
        occurred_at: None,
        kind: None,
        ..
    } = body
    {
        app.flash("nothing changed", false);
        return Mode::Normal;
    }
    if let EventBody::EntryEdited {
        text: t,
        occurred_at: o,
        kind: k,
        entry,
    } = &body
    {
        app.undo.push(EventBody::EntryEdited {
            entry: *entry,
            text: t.as_ref().map(|_| old.text.clone()),
            occurred_at: o.map(|_| old.occurred_at),
            kind: k.map(|_| old.kind),
        });
    }
    app.timeline.follow = false;
    fx.push(app.append(body));
    if let Some(w) = warning {
        app.flash(w, false);
    }
    Mode::Normal
}

/// Enter in the add-entry input: the entry as typed (see [`parse_quick_entry`]), or why not.
pub fn add_entry(
    app: &mut AppState,
    text: &str,
    kind: EntryKind,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    let opened = app.incident.opened_at;
    let q = parse_quick_entry(text, kind, app.now, opened, app.zone)?;
    let ev = app.event(EventBody::EntryAdded {
        occurred_at: q.at,
        kind: q.kind,
        text: q.text,
        step: None,
    });
    app.pending.insert(ev.id);
    app.undo.push(EventBody::EntryDeleted { entry: ev.id });
    app.timeline.follow = q.at >= app.now - Duration::seconds(5);
    fx.push(Effect::Append(ev));
    if let Some(w) = q.warning {
        app.flash(w, false);
    }
    Ok(())
}

/// The timeline's commands (when it has the focus, or from the entry popup).
pub fn command(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    match cmd {
        c if c.is_list_move() => {
            app.move_cursor(cmd);
        }
        Command::Open => {
            if let Some(e) = app.selected_entry() {
                app.mode = Mode::Detail {
                    entry: e.id,
                    scroll: ListCursor::default(),
                };
            }
        }
        Command::AddEntry => open_input(app, InputPurpose::AddEntry, ""),
        Command::EditEntry => {
            if let Some(e) = app.selected_entry() {
                let wall = app.zone.to_wall(e.occurred_at);
                app.mode = Mode::Edit(Box::new(EditState {
                    entry: e.id,
                    time: line_field(&wall.format("%Y-%m-%d %H:%M:%S").to_string()),
                    kind: e.kind,
                    text: multiline_field(&e.text),
                    focus: 2,
                    error: None,
                }));
            } else {
                app.flash("nothing to edit: the timeline is empty", false);
            }
        }
        Command::DeleteEntry => {
            if let Some(e) = app.selected_entry() {
                let id = e.id;
                fx.push(app.append(EventBody::EntryDeleted { entry: id }));
                app.undo.push(EventBody::EntryRestored { entry: id });
                let undo = app.keymap.first_key(Command::Undo);
                app.flash(format!("entry deleted: {undo} undoes"), false);
            }
        }
        Command::TogglePin => {
            if let Some(e) = app.selected_entry() {
                let (id, pinned) = (e.id, !e.pinned);
                fx.push(app.append(EventBody::EntryPinned { entry: id, pinned }));
                app.undo.push(EventBody::EntryPinned {
                    entry: id,
                    pinned: !pinned,
                });
            }
        }
        Command::Undo => match app.undo.pop() {
            Some(body) => {
                let what = match &body {
                    EventBody::EntryRestored { .. } => "restored the deleted entry",
                    EventBody::EntryDeleted { .. } => "removed the added entry",
                    EventBody::EntryPinned { .. } => "pin undone",
                    EventBody::EntryMarked { .. } => "marker undone",
                    EventBody::EntryEdited { .. } => "edit undone",
                    _ => "undone",
                };
                fx.push(app.append(body));
                app.flash(what, false);
            }
            None => app.flash("nothing to undo in this session", false),
        },
        Command::Filter => {
            let current = app.timeline.text_filter.clone();
            open_input(app, InputPurpose::Filter, &current);
        }
        Command::CycleKind => {
            // Each kind, then the marked entries (when there are any), then all again.
            let all = EntryKind::ALL;
            let any_marked = !app.incident.markers.is_empty();
            let tv = &mut app.timeline;
            (tv.kind_filter, tv.marked_only) = match (tv.kind_filter, tv.marked_only) {
                (_, true) => (None, false),
                (None, false) => (Some(all[0]), false),
                (Some(k), false) => match all
                    .iter()
                    .position(|x| *x == k)
                    .and_then(|i| all.get(i + 1))
                {
                    Some(next) => (Some(*next), false),
                    None => (None, any_marked),
                },
            };
            app.rebuild_rows(true);
        }
        Command::CycleMarker => super::markers::cycle(app, fx),
        _ => {}
    }
}
