//! Colours and styles in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::domain::incident::{EntryKind, Severity};

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
