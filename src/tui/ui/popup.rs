//! Popups: one-line inputs, the entry editor and confirmations.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme;
use crate::domain::incident::EntryKind;
use crate::tui::keymap::Command;
use crate::tui::layout;
use crate::tui::state::{AppState, Confirm, EditState, InputPurpose, InputState};

pub fn render_input(frame: &mut Frame, area: Rect, app: &AppState, input: &InputState) {
    let k = &app.keymap;
    use Command::{InputCancel, InputKind, InputSubmit};
    let save = k.hint(&[(InputSubmit, "save"), (InputCancel, "cancel")]);
    let (title, hint) = match &input.purpose {
        InputPurpose::AddEntry => (
            format!(
                " Add {} · {} ",
                input.kind,
                k.hint(&[
                    (InputKind, "kind"),
                    (InputSubmit, "save"),
                    (InputCancel, "cancel")
                ])
            ),
            "[-4m | 14:32] [action: | decision: | comms: | note:] what happened".to_string(),
        ),
        InputPurpose::Filter => (
            format!(
                " Filter timeline · {} ",
                k.hint(&[(InputSubmit, "keep"), (InputCancel, "clear")])
            ),
            "text or author to match".to_string(),
        ),
        InputPurpose::Command => (
            format!(
                " Command · {} ",
                k.hint(&[(InputSubmit, "run"), (InputCancel, "cancel")])
            ),
            crate::tui::commands::hint(),
        ),
        InputPurpose::TraceQuery => (
            format!(
                " Trace query · {} ",
                k.hint(&[(InputSubmit, "run"), (InputCancel, "cancel")])
            ),
            crate::domain::trace_query::QUERY_HINT.to_string(),
        ),
        InputPurpose::SkipReason(t) => (
            format!(" Skip {} · {save} ", step_title(app, t)),
            "why this step does not apply (it goes into the timeline and the report)".to_string(),
        ),
        InputPurpose::Owner(t) => (
            format!(" Owner of {} · {save} ", step_title(app, t)),
            "a name or a role; empty gives the step back to its default owner".to_string(),
        ),
        InputPurpose::StepNote(t) => (
            format!(" Note on {} · {save} ", step_title(app, t)),
            "what was found or done; it goes into the timeline, linked to the step".to_string(),
        ),
    };
    let width = area.width.saturating_sub(10).min(110);
    let rect = layout::centered(area, width, 6);
    let block = popup_block(&title, rect.width).border_style(theme::border(true));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [field, msg] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    frame.render_widget(&input.field, field);
    let msg_line = match &input.error {
        Some(e) => Line::styled(e.clone(), theme::error()),
        None => Line::styled(hint, theme::dim()),
    };
    frame.render_widget(Paragraph::new(msg_line).wrap(Wrap { trim: true }), msg);
}

fn step_title(app: &AppState, t: &crate::tui::state::StepRef) -> String {
    let title = app
        .incident
        .playbook(&t.playbook)
        .and_then(|p| p.step(&t.step))
        .map(|s| s.title.clone())
        .unwrap_or_else(|| t.step.clone());
    let mut short: String = title.chars().take(40).collect();
    if short.len() < title.len() {
        short.push('…');
    }
    format!("\"{short}\"")
}

/// The playbook picker.
pub fn render_picker(
    frame: &mut Frame,
    area: Rect,
    app: &AppState,
    items: &[usize],
    selected: usize,
) {
    let rect = layout::centered(area, 80, (items.len() as u16 + 4).min(area.height));
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let pb = &app.catalog[i].0;
            let line = Line::from(format!(
                " {:<24} {} ({} steps)",
                pb.id,
                pb.name,
                pb.step_count()
            ));
            if n == selected {
                line.style(theme::selected())
            } else {
                line
            }
        })
        .collect();
    let block = popup_block(
        &format!(
            " Attach a playbook · {} choose · {} ",
            app.keymap.pair(Command::PickerDown, Command::PickerUp),
            app.keymap.hint(&[
                (Command::PickerChoose, "attach"),
                (Command::PickerCancel, "cancel")
            ])
        ),
        rect.width,
    )
    .border_style(theme::border(true));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn render_edit(frame: &mut Frame, area: Rect, app: &AppState, edit: &EditState) {
    let width = area.width.saturating_sub(10).min(110);
    let rect = layout::centered(area, width, 14);
    let block = popup_block(
        &format!(
            " Edit entry · {} ",
            app.keymap.hint(&[
                (Command::EditorNext, "next field"),
                (Command::EditorSave, "save"),
                (Command::EditorNewline, "new line"),
                (Command::EditorCancel, "cancel"),
            ])
        ),
        rect.width,
    )
    .border_style(theme::border(true));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let [time_row, kind_row, text_row, err_row] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(inner);
    let label = |i: usize, s: &'static str| {
        let style = if edit.focus == i {
            theme::key()
        } else {
            theme::dim()
        };
        Span::styled(format!("{s:<7}"), style)
    };
    let split = |r: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Length(7), Constraint::Min(1)]).areas(r)
    };
    let [l0, f0] = split(time_row);
    frame.render_widget(Paragraph::new(label(0, "Time")), l0);
    frame.render_widget(&edit.time, f0);
    let [l1, f1] = split(kind_row);
    frame.render_widget(Paragraph::new(label(1, "Kind")), l1);
    let kinds: Vec<Span> = EntryKind::ALL
        .iter()
        .flat_map(|k| {
            let style = if *k == edit.kind {
                theme::kind(*k).add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                theme::dim()
            };
            [Span::styled(k.as_str(), style), Span::raw(" ")]
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(kinds)), f1);
    let [l2, f2] = split(text_row);
    frame.render_widget(Paragraph::new(label(2, "Text")), l2);
    frame.render_widget(&edit.text, f2);
    if let Some(e) = &edit.error {
        frame.render_widget(
            Paragraph::new(Span::styled(e.clone(), theme::error())),
            err_row,
        );
    } else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "time: -5m, 14:32 or 2026-11-30 14:32:05 · kind: ←/→",
                theme::dim(),
            )),
            err_row,
        );
    }
}

pub fn render_confirm(frame: &mut Frame, area: Rect, app: &AppState, what: Confirm) {
    let question = match what {
        Confirm::Quit => {
            if app.unsaved.is_empty() {
                "Changes are still being saved. Quit anyway? (y/n)".to_string()
            } else {
                format!(
                    "{} change(s) could NOT be saved (:retry tries again). Quit and lose them? (y/n)",
                    app.unsaved.len()
                )
            }
        }
        Confirm::Discard => "Discard what you typed? (y/n)".to_string(),
        Confirm::ResolveStatuspage => {
            let open: Vec<String> = crate::tui::panes::updates::open_statuspage(app)
                .into_iter()
                .map(|(ch, inc)| format!("{ch} ({inc})"))
                .collect();
            format!(
                "Resolve the Statuspage incident on {} too? (y/n)",
                open.join(", ")
            )
        }
    };
    // As wide as the question, at most the screen less a margin; a longer one wraps.
    let width = (Line::from(question.as_str()).width() as u16 + 2)
        .min(area.width.saturating_sub(6))
        .max(10);
    let rows = super::wrap::wrap_line(&Line::from(question), width as usize - 2, 0);
    let rect = layout::centered(area, width, rows.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(rows).block(
            Block::bordered()
                .border_style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
        ),
        rect,
    );
}

/// A popup's bordered block with its title, `Name · key what · … · key back`, fitted to the
/// popup's width: the parts that don't fit on the top border go on the bottom one (left), so
/// no advertised key is cut off on a narrow terminal.
pub fn popup_block(title: &str, width: u16) -> Block<'static> {
    let room = width.saturating_sub(4) as usize;
    let parts: Vec<&str> = title.trim().split(" · ").collect();
    let cols = |s: &str| Span::raw(s).width();
    let mut top = String::new();
    let mut rest: Vec<&str> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let add = if i == 0 { cols(part) } else { cols(part) + 3 };
        if i == 0 || (rest.is_empty() && cols(&top) + add <= room) {
            if i > 0 {
                top.push_str(" · ");
            }
            top.push_str(part);
        } else {
            rest.push(part);
        }
    }
    let mut block = Block::bordered().title(Line::from(format!(" {top} ")));
    if !rest.is_empty() {
        block = block.title_bottom(Line::from(format!(" {} ", rest.join(" · "))).left_aligned());
    }
    block
}

/// A centred, bordered, scrollable text popup (entry detail, step detail, health item, message
/// chain, help): at most `max_width` wide, leaving a margin around it. Long lines wrap (under
/// their own leading spaces); when the text is taller than the popup, the bottom border says
/// how much more there is and the scroll stops at the last line.
pub fn render_scrolled(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'_>>,
    max_width: u16,
    scroll: u16,
    app: &AppState,
) {
    let rect = layout::centered(
        area,
        area.width.saturating_sub(6).min(max_width),
        area.height.saturating_sub(4),
    );
    render_scrolled_in(frame, rect, title, lines, scroll, app, theme::border(true));
}

/// [`render_scrolled`] in a given place, with its own border style.
pub fn render_scrolled_in(
    frame: &mut Frame,
    rect: Rect,
    title: &str,
    lines: Vec<Line<'_>>,
    scroll: u16,
    app: &AppState,
    border: Style,
) {
    let inner_w = rect.width.saturating_sub(2) as usize;
    let inner_h = rect.height.saturating_sub(2) as usize;
    let rows = wrap_for_popup(&lines, inner_w);
    app.popup_scroll_max.set(rows.len().saturating_sub(inner_h));
    let (scroll, below) = scroll_window(rows.len(), inner_h, scroll as usize);
    let mut block = popup_block(title, rect.width).border_style(border);
    if below > 0 || scroll > 0 {
        let mut s = String::from(" ");
        if scroll > 0 {
            s.push_str(&format!("↑ {}  ", app.keymap.first_key(Command::ScrollUp)));
        }
        if below > 0 {
            s.push_str(&format!(
                "↓ {}: {below} more line(s) ",
                app.keymap.first_key(Command::ScrollDown)
            ));
        }
        block = block.title_bottom(Line::from(s).right_aligned());
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(rows).block(block).scroll((scroll as u16, 0)),
        rect,
    );
}

/// Wraps popup text to `width`, each line under its own leading spaces.
pub fn wrap_for_popup(lines: &[Line<'_>], width: usize) -> Vec<Line<'static>> {
    lines
        .iter()
        .flat_map(|l| {
            let lead = l.spans.first().map_or(0, |s| {
                s.content.len() - s.content.trim_start_matches(' ').len()
            });
            super::wrap::wrap_line(l, width, lead)
        })
        .collect()
}

/// The first row shown of `total` rows in `room` rows when asked to scroll by `scroll` (it
/// stops at the last page), and how many rows are left below.
pub fn scroll_window(total: usize, room: usize, scroll: usize) -> (usize, usize) {
    let scroll = scroll.min(total.saturating_sub(room));
    (scroll, total.saturating_sub(scroll + room))
}
