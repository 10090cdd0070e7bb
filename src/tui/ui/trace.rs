//! The message-trace pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{pane_block, render_notice, theme};
use crate::tui::app::{AppState, Pane};

pub fn render(frame: &mut Frame, rect: Rect, _app: &AppState, focused: bool) {
    let lines = vec![
        Line::from(
            "Message-trace queries over Exchange message-tracking logs, Postfix logs and Exchange Online, with counts per delivery status.",
        ),
        Line::from(""),
        Line::styled(
            "Not built yet: no trace sources in this version.",
            theme::dim(),
        ),
    ];
    render_notice(frame, rect, pane_block(Pane::Trace, focused, ""), lines);
}
