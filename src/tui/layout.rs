//! Where everything goes. Pure functions of the terminal size (and, when narrow, of the focused
//! pane), shared by drawing and by mouse hit-testing so the two always agree.
//!
//! ```text
//! 160 columns and more          120-159 (30+ rows)          below 120 (or 30 rows)
//! ┌ 1 ─┐┌ 2 ─┐┏ 4 Timeline ┓    ┌ 1 Health ─┐┌ 2 Playbook ┐  ┏ focused pane ━━━━━━━━━┓
//! │    ││    │┃             ┃    └───────────┘└────────────┘  ┃                       ┃
//! └────┘└────┘┃             ┃    ┌ 3 Trace ──┐┏ 4 Timeline ┓  ┗━━━━━━━━━━━━━━━━━━━━━━━┛
//! ┌ 3 Trace ──┐┃             ┃    │           │┃            ┃  ─ 1 Health · summary ───
//! └───────────┘┗━━━━━━━━━━━━━┛    └───────────┘┗━━━━━━━━━━━━┛  one line of it
//!  hint line: keys for the focused pane, or the last message   (a strip per other pane)
//!  status bar: SEV2 · Investigating · title · T+00:42:10 · 14:03:05 UTC · 15:03 local · ?=help
//! ```
//!
//! A drill adds a banner line on top.

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

/// From this width the timeline gets a full-height column of its own.
pub const WIDE: u16 = 160;
/// Below this width (or [`SHORT`] height) the focused pane takes the room and the other three
/// shrink to strips showing their title (which carries each pane's summary) and one line.
pub const NARROW: u16 = 120;
pub const SHORT: u16 = 30;
/// Rows of an unfocused pane's strip in the narrow layout: its title line and one line.
pub const STRIP: u16 = 2;

/// Which arrangement a terminal size gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrangement {
    /// Focused pane on top, the three others as strips below.
    Focus,
    /// Two by two.
    Grid,
    /// Health and playbook side by side over trace on the left, the timeline full height on
    /// the right.
    Columns,
}

pub fn arrangement(area: Rect) -> Arrangement {
    if area.width >= WIDE {
        Arrangement::Columns
    } else if area.width < NARROW || area.height < SHORT {
        Arrangement::Focus
    } else {
        Arrangement::Grid
    }
}

/// Every visible pane and its rectangle. `focus` matters only when the terminal is narrow
/// (the focused pane then takes the room) and when zoomed.
pub fn panes(area: Rect, focus: Pane, zoom: Option<Pane>, banner: bool) -> Vec<(Pane, Rect)> {
    let body = chrome(area, banner).body;
    if let Some(p) = zoom {
        return vec![(p, body)];
    }
    let halves = |r: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(r)
    };
    match arrangement(area) {
        Arrangement::Focus => {
            let others: Vec<Pane> = Pane::ALL.into_iter().filter(|p| *p != focus).collect();
            let mut rows = vec![Constraint::Min(1)];
            rows.extend(others.iter().map(|_| Constraint::Length(STRIP)));
            let rects = Layout::vertical(rows).split(body);
            let mut out = vec![(focus, rects[0])];
            out.extend(others.into_iter().zip(rects.iter().skip(1).copied()));
            out
        }
        Arrangement::Grid => {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(body);
            let [health, playbook] = halves(top);
            let [trace, timeline] = halves(bottom);
            vec![
                (Pane::Health, health),
                (Pane::Playbook, playbook),
                (Pane::Trace, trace),
                (Pane::Timeline, timeline),
            ]
        }
        Arrangement::Columns => {
            let [left, timeline] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            let [top, trace] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(left);
            let [health, playbook] = halves(top);
            vec![
                (Pane::Health, health),
                (Pane::Playbook, playbook),
                (Pane::Trace, trace),
                (Pane::Timeline, timeline),
            ]
        }
    }
}

/// Whether a pane's rectangle is a strip (title line and one line, no box).
pub fn is_strip(rect: Rect) -> bool {
    rect.height <= STRIP
}

/// The rectangle of one pane, if it is visible.
pub fn pane_rect(
    area: Rect,
    pane: Pane,
    focus: Pane,
    zoom: Option<Pane>,
    banner: bool,
) -> Option<Rect> {
    panes(area, focus, zoom, banner)
        .into_iter()
        .find(|(p, _)| *p == pane)
        .map(|(_, r)| r)
}

/// The pane under a cell.
pub fn pane_at(
    area: Rect,
    column: u16,
    row: u16,
    focus: Pane,
    zoom: Option<Pane>,
    banner: bool,
) -> Option<Pane> {
    panes(area, focus, zoom, banner)
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
