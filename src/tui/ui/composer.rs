//! Stakeholder updates on screen: the next-update clock in the status bar, the composer and the
//! snooze chooser.
//!
//! ```text
//! ┌ Stakeholder update · template internal (Ctrl-T next) · Tab channels · Esc cancel ┐
//! │[SEV2] Exchange Online: inbound mail delayed · Investigating                      │
//! │…the draft, editable…                                                             │
//! │──────────────────────────────────────────────────────────────────────────────────│
//! │ Channels · space tick · a all · Enter send                                        │
//! │ [x] ops-teams   teams                                                             │
//! │ [ ] ops-mail    smtp                                                              │
//! │ [x] status      statuspage  EXTERNAL                                              │
//! │       Email     partial_outage   (space cycles the component's status)            │
//! │ hint or error                                                                     │
//! └──────────────────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme;
use crate::domain::updates::Audience;
use crate::domain::updates::{ClockState, SNOOZE_CHOICES, countdown};
use crate::tui::keymap::Command;
use crate::tui::layout;
use crate::tui::panes::updates::current_clock;
use crate::tui::state::AppState;
use crate::tui::views::{ChannelRow, ComposerFocus, ComposerState, PendingSend};

/// The clock for the status bar: `next update in 07:50` (amber in the last five minutes),
/// `update OVERDUE 03:10` (red), or `no update cadence` when the severity has none.
pub fn clock_span(app: &AppState, bar: Style) -> Option<Span<'static>> {
    if app.incident.is_closed() {
        return None;
    }
    let Some(c) = current_clock(app) else {
        return Some(Span::styled("no update cadence", bar.fg(Color::Gray)));
    };
    let (text, style) = match c.state {
        ClockState::Plenty => (format!("next update in {}", countdown(c.remaining)), bar),
        ClockState::Soon => (
            format!("next update in {}", countdown(c.remaining)),
            theme::soon(),
        ),
        ClockState::Overdue => (
            format!("update OVERDUE {}", countdown(c.remaining)),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ),
    };
    Some(Span::styled(text, style))
}

pub fn render(frame: &mut Frame, area: Rect, app: &AppState, c: &ComposerState) {
    let width = area.width.saturating_sub(6).min(110);
    let height = area.height.saturating_sub(2).min(34);
    let rect = layout::centered(area, width, height);
    let title = format!(
        " Stakeholder update · template {} ({} next) · {} {} · {} cancel ",
        c.template,
        app.keymap.first_key(Command::ComposerTemplate),
        app.keymap.first_key(Command::ComposerSwitch),
        if c.focus == ComposerFocus::Text {
            "channels"
        } else {
            "text"
        },
        app.keymap.first_key(Command::ComposerCancel)
    );
    let block = super::popup::popup_block(&title, rect.width).border_style(theme::border(true));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let rows = c.rows();
    let list_h = (rows.len().clamp(1, 8) + 1) as u16;
    let [text_row, list_row, msg_row] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(list_h + 1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(&c.text, text_row);
    let list_block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme::border(c.focus == ComposerFocus::Channels))
        .title(Line::from(format!(
            " Channels · {} ",
            app.keymap.hint(&[
                (Command::ChannelToggle, "tick"),
                (Command::ChannelAll, "all"),
                (Command::ChannelSend, "send"),
            ])
        )));
    let list_inner = list_block.inner(list_row);
    frame.render_widget(list_block, list_row);
    let lines: Vec<Line> = if c.channels.is_empty() {
        vec![Line::styled(
            "no channels configured: add [[updates.channels]] to the config",
            theme::dim(),
        )]
    } else {
        let first = c
            .cursor
            .selected
            .saturating_sub(list_inner.height.saturating_sub(1) as usize);
        rows.iter()
            .enumerate()
            .skip(first)
            .map(|(i, row)| {
                let line = match *row {
                    ChannelRow::Channel(k) => {
                        let ch = &c.channels[k];
                        let mut spans = vec![Span::raw(format!(
                            " [{}] {:<20} {:<11}",
                            if ch.checked { "x" } else { " " },
                            ch.name,
                            ch.kind
                        ))];
                        if ch.audience == Audience::External {
                            spans.push(Span::styled(" EXTERNAL", theme::error()));
                        }
                        Line::from(spans)
                    }
                    ChannelRow::Component(k, j) => {
                        let (name, st) = &c.channels[k].components[j];
                        Line::from(format!("       {:<20} {}", name, st.as_str()))
                    }
                };
                if i == c.cursor.selected && c.focus == ComposerFocus::Channels {
                    line.style(theme::selected())
                } else {
                    line
                }
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), list_inner);
    let msg = match &c.error {
        Some(e) => Line::styled(e.clone(), theme::error()),
        None => {
            let due = current_clock(app)
                .map(|k| {
                    format!(
                        "due {} · ",
                        crate::updates::context::reader_time(k.due, app.now, app.zone)
                    )
                })
                .unwrap_or_default();
            Line::styled(
                format!(
                    "{due}edit freely; Enter in the text is a new line; sending records it in the timeline{}",
                    if c.audience == Audience::External {
                        " · drafted for an external audience"
                    } else {
                        ""
                    }
                ),
                theme::dim(),
            )
        }
    };
    frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), msg_row);
}

/// The confirmation before an update goes to external channels: the exact text, and which
/// external channels it will reach.
pub fn render_confirm_send(frame: &mut Frame, area: Rect, app: &AppState, p: &PendingSend) {
    let width = area.width.saturating_sub(10).min(100);
    let height = area.height.saturating_sub(6).min(30);
    let rect = layout::centered(area, width, height);
    let title = format!(
        " Send to EXTERNAL channel(s) {}? · {} send · any other key back · {} scroll ",
        p.external.join(", "),
        app.keymap.first_key(Command::ConfirmYes),
        app.keymap.pair(Command::ScrollDown, Command::ScrollUp)
    );
    let mut lines = vec![
        Line::styled(
            format!(
                "This exact text goes to {} (external: {}):",
                p.names.join(", "),
                p.external.join(", ")
            ),
            theme::error(),
        ),
        Line::raw(""),
    ];
    lines.extend(p.text.lines().map(|l| Line::raw(l.to_string())));
    super::popup::render_scrolled_in(
        frame,
        rect,
        &title,
        lines,
        p.scroll.top(),
        app,
        Style::new().fg(Color::Red),
    );
}

pub fn render_snooze(frame: &mut Frame, area: Rect, app: &AppState, selected: usize) {
    let rect = layout::centered(area, 44, SNOOZE_CHOICES.len() as u16 + 2);
    let lines: Vec<Line> = SNOOZE_CHOICES
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let line = Line::from(format!(" {}  snooze {m} minutes", i + 1));
            if i == selected {
                line.style(theme::selected())
            } else {
                line
            }
        })
        .collect();
    let block = Block::bordered()
        .title(Line::from(format!(
            " Next update · 1-3 or {} · {} ",
            app.keymap.first_key(Command::PickerChoose),
            app.keymap.first_key(Command::PickerCancel)
        )))
        .border_style(theme::border(true));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
