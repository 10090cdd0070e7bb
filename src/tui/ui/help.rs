//! The help screen, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::theme;
use crate::tui::app::{AppState, COMMAND_HINT};

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
    lines.push(Line::styled("Text fields", head));
    for (k, h) in [
        (
            "Enter",
            "save (in the entry editor: Alt-Enter for a new line)",
        ),
        ("Tab", "add: cycle the kind; edit: next field"),
        ("Esc", "cancel (asks before dropping typed text)"),
        ("Ctrl-C", "quit at once, from anywhere"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {k:<18}"), theme::key()),
            Span::raw(h),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("Commands (:)", head));
    for part in COMMAND_HINT.split(" · ") {
        lines.push(Line::from(format!("  {part}")));
    }
    super::popup::render_scrolled(
        frame,
        area,
        "Help · j/k scroll · any other key closes",
        lines,
        100,
        scroll,
    );
}
