//! The incident timeline pane and the entry detail view.
//!
//! Only the rows in the window are turned into lines, so a frame costs the same for 100 entries
//! as for 100,000.

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use uuid::Uuid;

use super::{pane_block, theme};
use crate::domain::incident::Entry;
use crate::domain::marker::Marker;
use crate::domain::time::{WithOffset, show_time};
use crate::tui::keymap::Command;
use crate::tui::pane::Pane;
use crate::tui::state::AppState;

const KIND_W: usize = 9;
const AUTHOR_W: usize = 10;

pub fn render(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let tv = &app.timeline;
    let mut extra = format!("{} entries", tv.rows.len());
    if let Some(k) = tv.kind_filter {
        extra.push_str(&format!(" · kind={k}"));
    }
    if tv.marked_only {
        extra.push_str(" · marked");
    }
    if !tv.text_filter.is_empty() {
        extra.push_str(&format!(" · /{}", tv.text_filter));
    }
    let block = pane_block(Pane::Timeline, focused, &extra, rect);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if inner.height == 0 {
        return;
    }
    if tv.rows.is_empty() {
        let msg = if app.incident.visible_entries().next().is_none() {
            format!(
                "No entries yet. Press {} to add one: \"-4m action: failed over MX\".",
                app.keymap.keys_of(crate::tui::keymap::Command::AddEntry)
            )
        } else {
            "No entry matches the filter. :nofilter clears it.".to_string()
        };
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let height = inner.height as usize;
    let width = inner.width as usize;
    let zoomed = app.zoom() == Some(Pane::Timeline);
    let columns = Columns::for_width(width);
    // Rows an entry takes: one, or (zoomed) its whole text wrapped under the text column.
    let build = |r: usize, time_w: usize| {
        let e = &app.incident.entries[tv.rows[r]];
        let time = columns.time(e, app);
        let selected = r == tv.cursor.selected && focused;
        if zoomed {
            let marker = app.incident.markers.get(&e.id).copied();
            let (line, indent) = row_line(e, marker, time, time_w, columns, None, true);
            let mut rows = super::wrap::wrap_line(&line, width, indent);
            if selected {
                for row in &mut rows {
                    highlight(row, width);
                }
            }
            rows
        } else {
            let marker = app.incident.markers.get(&e.id).copied();
            let (mut line, _) = row_line(e, marker, time, time_w, columns, Some(width), false);
            if selected {
                highlight(&mut line, width);
            }
            vec![line]
        }
    };
    // The first row shown: the view's offset, moved down as far as needed for the selected
    // entry to be in view (entries can take several rows when zoomed, and a strip has one).
    let selected = tv.cursor.selected.min(tv.rows.len() - 1);
    let mut first = tv.cursor.offset.min(selected);
    let time_w = |from: usize| -> usize {
        (from..(from + height).min(tv.rows.len()))
            .map(|r| columns.time(&app.incident.entries[tv.rows[r]], app).len())
            .max()
            .unwrap_or(5)
    };
    if zoomed {
        let w = time_w(first);
        let mut used: Vec<usize> = (first..=selected).map(|r| build(r, w).len()).collect();
        while first < selected && used.iter().sum::<usize>() > height {
            used.remove(0);
            first += 1;
        }
    } else if selected >= first + height {
        first = selected + 1 - height;
    }
    let w = time_w(first);
    let mut lines: Vec<Line> = Vec::new();
    for r in first..tv.rows.len() {
        if lines.len() >= height {
            break;
        }
        lines.extend(build(r, w));
    }
    lines.truncate(height);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The timeline's columns at a given width. Narrow panes get compact ones: `HH:MM`, the kind,
/// and the author only when it is not the kind (`health`, `trace`…), so the text keeps most of
/// the row; wide panes show seconds and an author column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Columns {
    Compact,
    Full,
}

/// From this inner width the timeline uses its full columns.
const FULL_FROM: usize = 100;

impl Columns {
    fn for_width(width: usize) -> Columns {
        if width >= FULL_FROM {
            Columns::Full
        } else {
            Columns::Compact
        }
    }

    fn time(self, e: &Entry, app: &AppState) -> String {
        let mut t = show_time(e.occurred_at, app.now, app.zone);
        if self == Columns::Compact {
            // Drop the seconds: `14:03`, `Nov 29 23:35`.
            t.truncate(t.len().saturating_sub(3));
        }
        t
    }
}

/// Reverses a row and fills it so the highlight spans the pane.
fn highlight(line: &mut Line<'_>, width: usize) {
    line.style = theme::selected();
    let used: usize = line.width();
    if used < width {
        line.push_span(Span::raw(" ".repeat(width - used)));
    }
}

/// One entry as a row, and where its text starts. `fit`: the row's width, to end a cut text
/// with `…`; `whole`: all of the text (to be wrapped), rather than its first line.
fn row_line(
    e: &Entry,
    marker: Option<Marker>,
    time: String,
    time_w: usize,
    columns: Columns,
    fit: Option<usize>,
    whole: bool,
) -> (Line<'_>, usize) {
    let backdated = e.logged_at - e.occurred_at > Duration::seconds(60);
    let pin = if e.pinned { "★" } else { " " };
    let mut spans = vec![
        Span::styled(pin, theme::pin()),
        Span::raw(format!("{time:>time_w$}")),
        Span::styled(if backdated { "↶ " } else { "  " }, theme::dim()),
    ];
    match columns {
        Columns::Full => {
            spans.push(Span::styled(
                format!("{:<KIND_W$}", e.kind.as_str()),
                theme::kind(e.kind),
            ));
            spans.push(Span::styled(
                format!("{:<AUTHOR_W$.AUTHOR_W$} ", e.author),
                theme::dim(),
            ));
        }
        Columns::Compact => {
            spans.push(Span::styled(
                format!("{:<KIND_W$}", e.kind.as_str()),
                theme::kind(e.kind),
            ));
            if e.author != e.kind.as_str() {
                let author: String = e.author.chars().take(AUTHOR_W).collect();
                spans.push(Span::styled(format!("{author} "), theme::dim()));
            }
        }
    }
    // The marker's small tag, before the text (every size).
    if let Some(m) = marker {
        spans.push(Span::styled(format!("{} ", m.tag()), theme::marker()));
    }
    let indent: usize = spans.iter().map(|s| s.width()).sum();
    if whole {
        spans.push(Span::raw(e.text.as_str()));
        return (Line::from(spans), indent);
    }
    let first = e.text.lines().next().unwrap_or("");
    let more = e.text.contains('\n');
    let room = fit.map_or(usize::MAX, |w| w.saturating_sub(indent));
    if Span::raw(first).width() > room || (more && Span::raw(first).width() + 2 > room) {
        // Cut to the room with an ellipsis; Enter opens the whole entry.
        let mut cut = String::new();
        let mut w = 0;
        for c in first.chars() {
            let cw = Span::raw(c.to_string()).width();
            if w + cw + 1 > room {
                break;
            }
            cut.push(c);
            w += cw;
        }
        spans.push(Span::raw(cut));
        spans.push(Span::styled("…", theme::dim()));
    } else {
        spans.push(Span::raw(first));
        if more {
            spans.push(Span::styled(" …", theme::dim()));
        }
    }
    (Line::from(spans), indent)
}

/// The full entry: all of its text, its times, and its edit history.
pub fn render_detail(frame: &mut Frame, area: Rect, app: &AppState, id: Uuid, scroll: u16) {
    let Some(e) = app.incident.entry(id) else {
        return;
    };
    let label = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Occurred  ", label),
            Span::raw(WithOffset(e.occurred_at, app.zone).to_string()),
        ]),
        Line::from(vec![
            Span::styled("Logged    ", label),
            Span::raw(format!(
                "{} by {}",
                WithOffset(e.logged_at, app.zone),
                e.author
            )),
        ]),
        Line::from(vec![
            Span::styled("Kind      ", label),
            Span::styled(e.kind.as_str(), theme::kind(e.kind)),
            Span::raw(if e.pinned { "   ★ pinned" } else { "" }),
            Span::styled(
                app.incident
                    .markers
                    .get(&e.id)
                    .map(|m| format!("   {} marked {m}", m.tag()))
                    .unwrap_or_default(),
                theme::marker(),
            ),
        ]),
        Line::from(""),
    ];
    lines.extend(e.text.lines().map(|l| Line::from(l.to_string())));
    if !e.history.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!("Edited {} time(s); earlier versions:", e.history.len()),
            label,
        ));
        for r in e.history.iter().rev() {
            lines.push(Line::styled(
                format!(
                    "  {} by {} — was {} at {}: {}",
                    show_time(r.at, app.now, app.zone),
                    r.by,
                    r.kind,
                    show_time(r.occurred_at, app.now, app.zone),
                    r.text.replace('\n', " ")
                ),
                theme::dim(),
            ));
        }
    }
    super::popup::render_scrolled(
        frame,
        area,
        &format!(
            "Entry · {} · {} back",
            app.keymap.hint(&[
                (Command::EditEntry, "edit"),
                (Command::TogglePin, "pin"),
                (Command::CycleMarker, "mark"),
            ]),
            app.keymap.first_key(Command::ClosePopup)
        ),
        lines,
        100,
        scroll,
        app,
    );
}
