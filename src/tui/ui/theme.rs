//! Colours and styles in one place, and the themes.
//!
//! Everything is drawn in the default palette; the rest is applied to the finished frame, cell
//! by cell ([`apply`]): on a terminal that announces fewer than 256 colours (a Linux console,
//! plain `screen` or `xterm`) the few extended colours become their nearest of the sixteen
//! basic ANSI ones; `high-contrast` brightens the dim colours; `mono` drops every colour and
//! keeps the modifiers. Colour never carries meaning alone: levels, severities, statuses and
//! kinds are also words or symbols, focus is a thick border, selection is reversed, alarms are
//! bold; in `mono` a coloured background becomes reversed video.

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

pub use crate::config::Theme;
use crate::domain::incident::{EntryKind, Severity};
pub use crate::tui::look::Look;

/// Turns a frame drawn in the default palette into `look`.
pub fn apply(buf: &mut Buffer, look: Look) {
    if look.basic_colors && look.theme != Theme::Mono {
        for cell in &mut buf.content {
            cell.fg = basic(cell.fg);
            cell.bg = basic(cell.bg);
        }
    }
    match look.theme {
        Theme::Default => {}
        Theme::HighContrast => {
            for cell in &mut buf.content {
                cell.fg = bright(cell.fg);
                if matches!(cell.bg, Color::DarkGray | Color::Indexed(232..=243)) {
                    cell.bg = Color::Black;
                }
            }
        }
        Theme::Mono => {
            for cell in &mut buf.content {
                if cell.fg == Color::DarkGray {
                    cell.modifier.insert(Modifier::DIM);
                }
                if !matches!(cell.bg, Color::Reset) {
                    cell.modifier.toggle(Modifier::REVERSED);
                }
                cell.fg = Color::Reset;
                cell.bg = Color::Reset;
                cell.underline_color = Color::Reset;
            }
        }
    }
}

/// The nearest of the sixteen basic ANSI colours (the basic ones are left alone).
pub fn basic(c: Color) -> Color {
    const NAMED: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    // The usual VGA values of the sixteen.
    const RGB: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (170, 0, 0),
        (0, 170, 0),
        (170, 170, 0),
        (0, 0, 170),
        (170, 0, 170),
        (0, 170, 170),
        (170, 170, 170),
        (85, 85, 85),
        (255, 85, 85),
        (85, 255, 85),
        (255, 255, 85),
        (85, 85, 255),
        (255, 85, 255),
        (85, 255, 255),
        (255, 255, 255),
    ];
    let nearest = |(r, g, b): (u8, u8, u8)| {
        let d = |(x, y, z): (u8, u8, u8)| {
            let sq = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
            sq(r, x) + sq(g, y) + sq(b, z)
        };
        let i = (0..16).min_by_key(|&i| d(RGB[i])).unwrap_or(0);
        NAMED[i]
    };
    match c {
        Color::Indexed(n @ 0..=15) => NAMED[n as usize],
        Color::Indexed(n @ 16..=231) => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let n = n - 16;
            nearest((level(n / 36), level(n / 6 % 6), level(n % 6)))
        }
        // The grey ramp: dark greys stay grey rather than turning black, so a grey bar is
        // still a bar.
        Color::Indexed(n) => match n {
            232..=243 => Color::DarkGray,
            244..=251 => Color::Gray,
            _ => Color::White,
        },
        Color::Rgb(r, g, b) => nearest((r, g, b)),
        other => other,
    }
}

/// The bright form of a foreground colour (dim grey becomes light grey, and so on).
fn bright(c: Color) -> Color {
    match c {
        Color::DarkGray => Color::Gray,
        Color::Gray => Color::White,
        Color::Red => Color::LightRed,
        Color::Green => Color::LightGreen,
        Color::Yellow => Color::LightYellow,
        Color::Blue => Color::LightCyan,
        Color::Magenta => Color::LightMagenta,
        Color::Cyan => Color::LightCyan,
        other => other,
    }
}

pub fn border(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::DarkGray)
    }
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn error() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn key() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// The status bar's background and text.
pub fn status_bar() -> Style {
    Style::new().bg(Color::Indexed(236)).fg(Color::White)
}

/// The update clock in its last five minutes (amber).
pub fn soon() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Indexed(214))
        .add_modifier(Modifier::BOLD)
}

pub fn kind(k: EntryKind) -> Style {
    let c = match k {
        EntryKind::Note => Color::Gray,
        EntryKind::Action => Color::Green,
        EntryKind::Decision => Color::Magenta,
        EntryKind::Comms => Color::Blue,
        EntryKind::Incident => Color::Yellow,
        EntryKind::Health => Color::LightRed,
        EntryKind::Trace => Color::Cyan,
        EntryKind::Step => Color::LightGreen,
    };
    Style::new().fg(c)
}

pub fn severity(s: Severity) -> Style {
    let base = Style::new().add_modifier(Modifier::BOLD);
    match s {
        Severity::Sev1 => base.fg(Color::White).bg(Color::Red),
        Severity::Sev2 => base.fg(Color::Black).bg(Color::LightRed),
        Severity::Sev3 => base.fg(Color::Black).bg(Color::Yellow),
        Severity::Sev4 => base.fg(Color::Black).bg(Color::Gray),
    }
}

pub fn pin() -> Style {
    Style::new().fg(Color::Yellow)
}

/// A timeline marker's tag (`DET`, `DIAG`, `FIX`, `KEY`).
pub fn marker() -> Style {
    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn no_color_forces_mono_unless_empty_and_term_decides_the_colours() {
        let os = |s: &'static str| Some(OsStr::new(s));
        let look = |nc, term, ct| Look::for_terminal(Theme::HighContrast, nc, term, ct);
        assert_eq!(
            look(None, os("xterm-256color"), None).theme,
            Theme::HighContrast
        );
        assert_eq!(
            look(os(""), os("xterm-256color"), None).theme,
            Theme::HighContrast
        );
        assert_eq!(look(os("1"), os("xterm-256color"), None).theme, Theme::Mono);
        assert!(!look(None, os("xterm-256color"), None).basic_colors);
        assert!(!look(None, os("xterm"), os("truecolor")).basic_colors);
        for t in ["linux", "screen", "xterm", "vt100"] {
            assert!(look(None, os(t), None).basic_colors, "{t}");
        }
        assert!(look(None, None, None).basic_colors);
    }

    #[test]
    fn extended_colours_degrade_to_the_basic_sixteen() {
        assert_eq!(basic(Color::Indexed(236)), Color::DarkGray);
        assert_eq!(basic(Color::Indexed(214)), Color::Yellow);
        assert_eq!(basic(Color::Indexed(196)), Color::Red);
        assert_eq!(basic(Color::Indexed(4)), Color::Blue);
        assert_eq!(basic(Color::Rgb(250, 250, 250)), Color::White);
        assert_eq!(basic(Color::Cyan), Color::Cyan);
    }

    #[test]
    fn mono_keeps_modifiers_and_reverses_backgrounds() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        buf[(0, 0)].set_style(severity(Severity::Sev1));
        buf[(1, 0)].set_style(dim());
        buf[(2, 0)].set_style(selected());
        apply(
            &mut buf,
            Look {
                theme: Theme::Mono,
                basic_colors: false,
            },
        );
        for cell in &buf.content {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
        assert!(
            buf[(0, 0)]
                .modifier
                .contains(Modifier::BOLD | Modifier::REVERSED)
        );
        assert!(buf[(1, 0)].modifier.contains(Modifier::DIM));
        assert!(buf[(2, 0)].modifier.contains(Modifier::REVERSED));
    }
}
