//! Drawing. Every function here takes the state by shared reference: drawing cannot change it.

pub mod close_form;
pub mod composer;
pub mod evidence;
pub mod health;
pub mod help;
pub mod playbook;
pub mod popup;
pub mod queue_lines;
pub mod statusbar;
pub mod team;
pub mod theme;
pub mod timeline;
pub mod trace;
pub mod wrap;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use crate::tui::layout;
use crate::tui::pane::Pane;
use crate::tui::state::{AppState, Mode};

/// The first line of a list shown in `room` lines so that line `selected` is in view (the
/// list scrolls only once the selection goes past the bottom).
pub fn first_shown(selected: usize, room: usize) -> usize {
    (selected + 1).saturating_sub(room)
}

/// Draws the whole console, in the app's theme.
pub fn render(frame: &mut Frame, app: &AppState) {
    render_default(frame, app);
    theme::apply(frame.buffer_mut(), app.look);
}

fn render_default(frame: &mut Frame, app: &AppState) {
    let area = frame.area();
    if area.width < layout::MIN_WIDTH || area.height < layout::MIN_HEIGHT {
        render_too_small(frame, area);
        return;
    }
    let chrome = layout::chrome(area, app.banner.is_some());
    if let (Some(rect), Some(text)) = (chrome.banner, &app.banner) {
        frame.render_widget(
            Paragraph::new(format!(" {text} "))
                .alignment(Alignment::Center)
                .style(
                    Style::new()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                ),
            rect,
        );
    }
    for (pane, rect) in layout::panes(area, app.focus, app.zoom(), app.banner.is_some()) {
        let focused = pane == app.focus;
        match pane {
            Pane::Health => health::render(frame, rect, app, focused),
            Pane::Playbook => playbook::render(frame, rect, app, focused),
            Pane::Trace => trace::render(frame, rect, app, focused),
            Pane::Timeline => timeline::render(frame, rect, app, focused),
        }
    }
    statusbar::render_hint(frame, chrome.hint, app);
    statusbar::render(frame, chrome.status, app);
    match &app.mode {
        Mode::Normal => {}
        Mode::Help { scroll } => help::render(frame, area, app, scroll.top()),
        Mode::Detail { entry, scroll } => {
            timeline::render_detail(frame, area, app, *entry, scroll.top())
        }
        Mode::StepDetail { step, scroll } => {
            playbook::render_detail(frame, area, app, step, scroll.top())
        }
        Mode::Picker { items, cursor } => {
            popup::render_picker(frame, area, app, items, cursor.selected)
        }
        Mode::HealthItem {
            source,
            item,
            scroll,
        } => health::render_item(frame, area, app, source, item, scroll.top()),
        Mode::TraceChain {
            row,
            events,
            scroll,
        } => trace::render_chain(frame, area, app, row, events.as_ref(), scroll.top()),
        Mode::Input(input) => popup::render_input(frame, area, app, input),
        Mode::Edit(edit) => popup::render_edit(frame, area, app, edit),
        Mode::Close(form) => close_form::render(frame, area, app, form),
        Mode::Composer(c) => composer::render(frame, area, app, c),
        Mode::ConfirmSend(p) => {
            composer::render(frame, area, app, &p.composer);
            composer::render_confirm_send(frame, area, app, p);
        }
        Mode::Snooze { cursor } => composer::render_snooze(frame, area, app, cursor.selected),
        Mode::ConfirmRun(c) => {
            if let Mode::StepDetail { step, scroll } = c.back.as_ref() {
                playbook::render_detail(frame, area, app, step, scroll.top());
            }
            evidence::render_confirm_run(frame, area, app, c);
        }
        Mode::Who { scroll } => team::render_who(frame, area, app, scroll.top()),
        Mode::Confirm { what, back } => {
            match back.as_ref() {
                Mode::Composer(c) => composer::render(frame, area, app, c),
                Mode::Input(input) => popup::render_input(frame, area, app, input),
                Mode::Edit(edit) => popup::render_edit(frame, area, app, edit),
                Mode::Close(form) => close_form::render(frame, area, app, form),
                _ => {}
            }
            popup::render_confirm(frame, area, app, *what);
        }
    }
}

/// A bordered pane block with its number and title; in a strip (see [`layout::is_strip`]) only
/// the top line, so the strip keeps one line of content under its title.
pub fn pane_block(pane: Pane, focused: bool, extra: &str, rect: Rect) -> Block<'static> {
    let title = if extra.is_empty() {
        format!(" {} {} ", pane.number(), pane.title())
    } else {
        format!(" {} {} · {} ", pane.number(), pane.title(), extra)
    };
    let borders = if layout::is_strip(rect) {
        Borders::TOP
    } else {
        Borders::ALL
    };
    Block::new()
        .borders(borders)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme::border(focused))
        .title(Line::from(title))
}

/// Plain explanatory text in a pane (for panes with nothing to show yet).
pub fn render_notice(
    frame: &mut Frame,
    rect: Rect,
    block: Block<'static>,
    lines: Vec<Line<'static>>,
) {
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn render_too_small(frame: &mut Frame, area: Rect) {
    let lines = vec![
        Line::from(Span::styled("Terminal too small", theme::error())),
        Line::from(""),
        Line::from(format!(
            "This window is {}x{}; warroom needs at least {}x{}.",
            area.width,
            area.height,
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT
        )),
        Line::from("Enlarge the window or make the font smaller."),
        Line::from("Ctrl-C quits."),
    ];
    let h = lines.len() as u16;
    let rect = Rect::new(
        area.x,
        area.y + area.height.saturating_sub(h) / 2,
        area.width,
        h.min(area.height),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}
