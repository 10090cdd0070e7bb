//! The service-health pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{pane_block, render_notice, theme};
use crate::tui::app::{AppState, Pane};

pub fn render(frame: &mut Frame, rect: Rect, _app: &AppState, focused: bool) {
    let lines = vec![
        Line::from(
            "Live service health of Microsoft 365 (Graph), Statuspage sites, RSS/Atom status feeds, Google Workspace and SMTP probes.",
        ),
        Line::from(""),
        Line::styled(
            "Not built yet: no sources are polled in this version.",
            theme::dim(),
        ),
    ];
    render_notice(frame, rect, pane_block(Pane::Health, focused, ""), lines);
}
