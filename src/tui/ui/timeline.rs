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
use crate::domain::time::{WithOffset, show_time};
use crate::tui::app::{AppState, Pane};
use crate::tui::keymap::Command;

const KIND_W: usize = 9;
const AUTHOR_W: usize = 10;

pub fn render(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let tv = &app.timeline;
    let mut extra = format!("{} entries", tv.rows.len());
    if let Some(k) = tv.kind_filter {
        extra.push_str(&format!(" · kind={k}"));
    }
    if !tv.text_filter.is_empty() {
        extra.push_str(&format!(" · /{}", tv.text_filter));
    }
    let block = pane_block(Pane::Timeline, focused, &extra);
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
    let end = (tv.cursor.offset + height).min(tv.rows.len());
    let width = inner.width as usize;
    let times: Vec<String> = (tv.cursor.offset..end)
        .map(|r| {
            show_time(
                app.incident.entries[tv.rows[r]].occurred_at,
                app.now,
                app.zone,
            )
        })
        .collect();
    let time_w = times.iter().map(|t| t.len()).max().unwrap_or(8);
    let lines: Vec<Line> = (tv.cursor.offset..end)
        .zip(times)
        .map(|(r, time)| {
            let e = &app.incident.entries[tv.rows[r]];
            row_line(e, time, time_w, width, r == tv.cursor.selected && focused)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn row_line(e: &Entry, time: String, time_w: usize, width: usize, selected: bool) -> Line<'_> {
    let backdated = e.logged_at - e.occurred_at > Duration::seconds(60);
    let pin = if e.pinned { "★" } else { " " };
    let first = e.text.lines().next().unwrap_or("");
    let more = e.text.contains('\n');
    let mut spans = vec![
        Span::styled(pin, theme::pin()),
        Span::raw(format!("{time:>time_w$}")),
        Span::styled(if backdated { "↶ " } else { "  " }, theme::dim()),
        Span::styled(format!("{:<KIND_W$}", e.kind.as_str()), theme::kind(e.kind)),
        Span::styled(format!("{:<AUTHOR_W$.AUTHOR_W$} ", e.author), theme::dim()),
        Span::raw(first),
    ];
    if more {
        spans.push(Span::styled(" …", theme::dim()));
    }
    let mut line = Line::from(spans);
    if selected {
        line = line.style(theme::selected());
        // Fill the row so the highlight spans the pane.
        let used: usize = line.width();
        if used < width {
            line.push_span(Span::raw(" ".repeat(width - used)));
        }
    }
    line
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
            app.keymap
                .hint(&[(Command::EditEntry, "edit"), (Command::TogglePin, "pin")]),
            app.keymap.first_key(Command::ClosePopup)
        ),
        lines,
        100,
        scroll,
    );
}
