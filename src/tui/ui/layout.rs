//! Where everything goes. Pure functions of the terminal size, shared by drawing and by mouse
//! hit-testing so the two always agree.
//!
//! ```text
//! ┌ DRILL banner (only for drills) ──────────────────────────────────────┐
//! ┌ 1 Health ───────────────────────┐┌ 2 Playbook ──────────────────────┐
//! │                                 ││                                  │
//! └─────────────────────────────────┘└──────────────────────────────────┘
//! ┌ 3 Trace ────────────────────────┐┌ 4 Timeline ──────────────────────┐
//! │                                 ││                                  │
//! └─────────────────────────────────┘└──────────────────────────────────┘
//!  hint line: keys for the focused pane, or the last message
//!  status bar: SEV2 · Investigating · title · T+00:42:10 · 14:03:05 UTC · 15:03 local · ?=help
//! ```

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::pane::Pane;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// The fixed rows around the panes.
pub struct Chrome {
    pub banner: Option<Rect>,
    pub body: Rect,
    pub hint: Rect,
    pub status: Rect,
}

pub fn chrome(area: Rect, banner: bool) -> Chrome {
    let [top, body, hint, status] = Layout::vertical([
        Constraint::Length(u16::from(banner)),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Chrome {
        banner: banner.then_some(top),
        body,
        hint,
        status,
    }
}

/// Every visible pane and its rectangle.
pub fn panes(area: Rect, zoom: Option<Pane>, banner: bool) -> Vec<(Pane, Rect)> {
    let body = chrome(area, banner).body;
    if let Some(p) = zoom {
        return vec![(p, body)];
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    let split = |r: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(r)
    };
    let [health, playbook] = split(top);
    let [trace, timeline] = split(bottom);
    vec![
        (Pane::Health, health),
        (Pane::Playbook, playbook),
        (Pane::Trace, trace),
        (Pane::Timeline, timeline),
    ]
}

/// The rectangle of one pane, if it is visible.
pub fn pane_rect(area: Rect, pane: Pane, zoom: Option<Pane>, banner: bool) -> Option<Rect> {
    panes(area, zoom, banner)
        .into_iter()
        .find(|(p, _)| *p == pane)
        .map(|(_, r)| r)
}

/// The pane under a cell.
pub fn pane_at(
    area: Rect,
    column: u16,
    row: u16,
    zoom: Option<Pane>,
    banner: bool,
) -> Option<Pane> {
    panes(area, zoom, banner)
        .into_iter()
        .find(|(_, r)| r.contains(ratatui::layout::Position::new(column, row)))
        .map(|(p, _)| p)
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}
