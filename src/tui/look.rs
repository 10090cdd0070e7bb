//! How the frame is coloured: the configured theme, `NO_COLOR`, and what the terminal can show.
//! A leaf, so the state can hold it without importing the drawing code.

use std::ffi::OsStr;

use crate::config::Theme;

/// How the frame is coloured: the theme, and whether the terminal has only the basic colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Look {
    pub theme: Theme,
    pub basic_colors: bool,
}

impl Look {
    /// The look for a terminal: the configured theme, or `mono` when `NO_COLOR` is set to
    /// anything but the empty string (<https://no-color.org>); basic colours unless `TERM`
    /// names a 256-colour or direct-colour terminal or `COLORTERM` is set.
    pub fn for_terminal(
        configured: Theme,
        no_color: Option<&OsStr>,
        term: Option<&OsStr>,
        colorterm: Option<&OsStr>,
    ) -> Look {
        let theme = if no_color.is_some_and(|v| !v.is_empty()) {
            Theme::Mono
        } else {
            configured
        };
        let term = term.and_then(OsStr::to_str).unwrap_or("");
        let rich = term.contains("256color")
            || term.contains("direct")
            || colorterm.is_some_and(|v| !v.is_empty());
        Look {
            theme,
            basic_colors: !rich,
        }
    }

    /// [`Look::for_terminal`] from this process's environment.
    pub fn from_env(configured: Theme) -> Look {
        Look::for_terminal(
            configured,
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
            std::env::var_os("COLORTERM").as_deref(),
        )
    }
}
