//! The one list cursor used by every list, picker and popup of the console: which row is selected
//! and which row the visible window starts at.

use super::keymap::Command;

/// How far a page moves in the lists whose window the drawing code works out (steps,
/// health items, trace rows, pickers).
pub const LIST_PAGE: usize = 10;

/// A cursor in a list of rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListCursor {
    /// The selected row.
    pub selected: usize,
    /// The first row shown.
    pub offset: usize,
}

impl ListCursor {
    /// Moves by a list command (up, down, page, top, bottom) in a list of `n` rows whose
    /// window shows `page` rows. Other commands leave it where it is.
    pub fn step(&mut self, n: usize, page: usize, cmd: Command) {
        if n == 0 {
            return;
        }
        let last = n as isize - 1;
        let cur = (self.selected as isize).min(last);
        let page = page.max(1) as isize;
        let next = match cmd {
            Command::Up | Command::PickerUp | Command::ChannelUp => cur - 1,
            Command::Down | Command::PickerDown | Command::ChannelDown => cur + 1,
            Command::PageUp => cur - page,
            Command::PageDown => cur + page,
            Command::Top => 0,
            Command::Bottom => last,
            _ => cur,
        };
        self.selected = next.clamp(0, last) as usize;
        self.settle(n, page as usize);
    }

    /// Scrolls a popup's text by `by` lines, its window start going no further than `max`
    /// (how far the text can scroll, as the popup was last drawn).
    pub fn scroll_by(&mut self, by: isize, max: usize) {
        self.offset = self
            .offset
            .saturating_add_signed(by)
            .min(max)
            .min(u16::MAX as usize);
        self.selected = self.offset;
    }

    /// The window start as a terminal row offset.
    pub fn top(&self) -> u16 {
        self.offset.min(u16::MAX as usize) as u16
    }

    /// Keeps the selection within `n` rows and the window (of `page` rows) around it.
    pub fn settle(&mut self, n: usize, page: usize) {
        let page = page.max(1);
        self.selected = self.selected.min(n.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        }
        if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(n.saturating_sub(page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_clamp_and_the_window_follows() {
        let mut c = ListCursor::default();
        c.step(100, 10, Command::Bottom);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.step(100, 10, Command::PageUp);
        assert_eq!((c.selected, c.offset), (89, 89));
        c.step(100, 10, Command::Top);
        assert_eq!((c.selected, c.offset), (0, 0));
        c.step(100, 10, Command::Up);
        assert_eq!(c.selected, 0);
        c.step(3, 10, Command::PageDown);
        assert_eq!((c.selected, c.offset), (2, 0));
        c.step(0, 10, Command::Down);
        assert_eq!(c.selected, 2, "an empty list leaves it");
    }
}
