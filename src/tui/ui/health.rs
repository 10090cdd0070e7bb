//! The service-health pane: a row per source (level as colour and word, age of the last success,
//! the error if any, stale after three missed polls), then every item, newest first.

use chrono::Duration;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{pane_block, theme};
use crate::domain::health::Level;
use crate::domain::time::{WithOffset, show_time};
use crate::tui::keymap::Command;
use crate::tui::pane::Pane;
use crate::tui::panes::health::{is_stale, items, overall};
use crate::tui::state::AppState;

pub fn level_style(l: Level) -> Style {
    let c = match l {
        Level::Operational => Color::Green,
        Level::Maintenance => Color::Blue,
        Level::Unknown => Color::Gray,
        Level::Degraded => Color::Yellow,
        Level::PartialOutage => Color::LightRed,
        Level::MajorOutage => Color::Red,
    };
    let s = Style::new().fg(c);
    if l.is_problem() {
        s.add_modifier(Modifier::BOLD)
    } else {
        s
    }
}

/// `12s`, `4m`, `2h` ago.
fn age(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

pub fn render(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let extra = match overall(app) {
        Some(l) => format!("worst: {}", l.as_str()),
        None => String::new(),
    };
    let block = pane_block(Pane::Health, focused, &extra, rect);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if app.health_sources.is_empty() {
        let msg = "No health sources are configured. Add [[health.sources]] to the config file (kinds: graph for Microsoft 365 service health, statuspage, feed for RSS/Atom, google, smtp for a probe of your mail host); see assets/config.toml and `warroom feed --once` to test them.";
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let width = inner.width as usize;
    let name_w = app
        .health_sources
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 16);
    let mut lines: Vec<Line> = Vec::new();
    for src in &app.health_sources {
        let mut spans = vec![Span::styled(
            format!("{:<name_w$.name_w$} ", src.name),
            Style::new().add_modifier(Modifier::BOLD),
        )];
        match app.health.get(&src.name) {
            None => spans.push(Span::styled("● waiting for the first poll", theme::dim())),
            Some(snap) => {
                spans.push(Span::styled(
                    format!("● {:<14}", snap.level.as_str()),
                    level_style(snap.level),
                ));
                match snap.last_success {
                    Some(ok) => spans.push(Span::styled(
                        format!("{:>4} ago ", age(app.now - ok)),
                        theme::dim(),
                    )),
                    None => spans.push(Span::styled("never ok ", theme::dim())),
                }
                if is_stale(app, snap) {
                    spans.push(Span::styled(
                        "STALE ",
                        Style::new().fg(Color::Black).bg(Color::Yellow),
                    ));
                }
                if let Some(e) = &snap.last_error {
                    spans.push(Span::styled(e.clone(), theme::error()));
                }
            }
        }
        lines.push(Line::from(spans));
        if let Some(snap) = app.health.get(&src.name)
            && src.kind.queue().is_some()
        {
            lines.extend(super::queue_lines::lines(
                snap,
                app.queue_history.get(&src.name),
                name_w + 1,
                width,
            ));
        }
    }
    lines.push(Line::styled("─".repeat(width), theme::dim()));
    let list = items(app);
    if list.is_empty() {
        lines.push(Line::styled("No open items reported.", theme::dim()));
    }
    let header_rows = lines.len();
    let room = (inner.height as usize).saturating_sub(header_rows).max(1);
    let sel = app.health_list.selected.min(list.len().saturating_sub(1));
    let offset = super::first_shown(sel, room);
    for (n, (source, item)) in list.iter().enumerate().skip(offset).take(room) {
        let when = item
            .updated
            .or(item.started)
            .map(|t| show_time(t, app.now, app.zone))
            .unwrap_or_default();
        let resolved = item.resolved.is_some();
        let mut line = Line::from(vec![
            Span::styled(format!("{when:>8} "), theme::dim()),
            Span::styled(format!("{:<name_w$.name_w$} ", source), theme::dim()),
            Span::styled(format!("{:<14.14} ", item.id), Style::new()),
            Span::styled(
                format!(
                    "{:<20.20} ",
                    if resolved {
                        "resolved"
                    } else {
                        item.status.as_str()
                    }
                ),
                if resolved {
                    theme::dim()
                } else {
                    level_style(item.level)
                },
            ),
            Span::raw(item.title.clone()),
        ]);
        if n == sel && focused {
            line = line.style(theme::selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// One item with every update, newest first.
pub fn render_item(
    frame: &mut Frame,
    area: Rect,
    app: &AppState,
    source: &str,
    id: &str,
    scroll: u16,
) {
    let Some(item) = app
        .health
        .get(source)
        .and_then(|s| s.items.iter().find(|i| i.id == id))
    else {
        return;
    };
    let label = Style::new().add_modifier(Modifier::BOLD);
    let row = |k: &'static str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<10}"), label), Span::raw(v)])
    };
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| WithOffset(t, app.zone).to_string())
            .unwrap_or_else(|| "-".into())
    };
    let mut lines = vec![
        Line::styled(item.title.clone(), label),
        Line::from(""),
        row("Source", format!("{source} · {}", item.id)),
        row(
            "Service",
            item.service.clone().unwrap_or_else(|| "-".into()),
        ),
        Line::from(vec![
            Span::styled(format!("{:<10}", "Level"), label),
            Span::styled(item.level.as_str(), level_style(item.level)),
            Span::raw(format!("  ({})", item.status)),
        ]),
        row("Started", when(item.started)),
        row("Updated", when(item.updated)),
        row("Resolved", when(item.resolved)),
    ];
    for u in item.updates.iter().rev() {
        lines.push(Line::from(""));
        lines.push(Line::styled(WithOffset(u.at, app.zone).to_string(), label));
        lines.extend(u.text.lines().map(|l| Line::from(l.to_string())));
    }
    super::popup::render_scrolled(
        frame,
        area,
        &format!(
            "Health item · {} scroll · any other key closes",
            app.keymap.pair(Command::ScrollDown, Command::ScrollUp)
        ),
        lines,
        110,
        scroll,
        app,
    );
}
