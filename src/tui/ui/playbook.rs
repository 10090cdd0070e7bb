//! The playbook pane.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{pane_block, render_notice, theme};
use crate::tui::app::{AppState, Pane};

pub fn render(frame: &mut Frame, rect: Rect, _app: &AppState, focused: bool) {
    let lines = vec![
        Line::from(
            "The response playbook's checklist: steps to tick, skip, assign and time, each change logged in the timeline.",
        ),
        Line::from(""),
        Line::styled("Not built yet: no playbooks in this version.", theme::dim()),
    ];
    render_notice(frame, rect, pane_block(Pane::Playbook, focused, ""), lines);
}
