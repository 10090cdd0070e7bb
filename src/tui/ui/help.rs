//! The help screen, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme;
use crate::tui::keymap::Command;
use crate::tui::state::AppState;

pub fn render(frame: &mut Frame, area: Rect, app: &AppState, scroll: u16) {
    let head = Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let mut lines: Vec<Line> = Vec::new();
    let mut last = None;
    for (ctx, keys, help) in app.keymap.help_rows() {
        if last != Some(ctx) {
            if last.is_some() {
                lines.push(Line::from(""));
            }
            lines.push(Line::styled(ctx.title(), head));
            last = Some(ctx);
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<18}"), theme::key()),
            Span::raw(help),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Anywhere, even in a text field", head));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<18}", "Ctrl-C"), theme::key()),
        Span::raw("quit at once"),
    ]));
    lines.push(Line::from(""));
    lines.push(Line::styled("Commands (:)", head));
    for c in crate::tui::commands::COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<18}", c.usage()), theme::key()),
            Span::raw(c.help),
        ]));
    }
    super::popup::render_scrolled(
        frame,
        area,
        &format!(
            "Help · {} scroll · any other key closes",
            app.keymap.pair(Command::ScrollDown, Command::ScrollUp)
        ),
        lines,
        100,
        scroll,
        app,
    );
}
