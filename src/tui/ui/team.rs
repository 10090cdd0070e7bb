//! Team mode on screen: the `:who` popup (who has the incident open, their role, and how long
//! since each console was last heard from). The status bar's part is in `statusbar.rs`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::popup::render_scrolled;
use crate::tui::state::AppState;

/// `seen 4s ago`, `seen 2m ago`.
pub fn seen_ago(now: chrono::DateTime<chrono::Utc>, seen: chrono::DateTime<chrono::Utc>) -> String {
    let s = (now - seen).num_seconds().max(0);
    if s < 120 {
        format!("seen {s}s ago")
    } else {
        format!("seen {}m ago", s / 60)
    }
}

/// The lines of the `:who` popup.
pub fn who_lines(app: &AppState) -> Vec<Line<'static>> {
    let Some(team) = &app.team else {
        return vec![Line::from("This incident is not shared with the team.")];
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::from(if team.online {
        format!("team: online · {} to share", team.to_share)
    } else {
        format!(
            "team: offline · {} to share{}",
            team.to_share,
            team.problem
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        )
    })];
    lines.push(Line::from(""));
    if team.here.is_empty() {
        lines.push(Line::from(if team.online {
            "nobody has it open (yet)"
        } else {
            "who is here is known again once the server answers"
        }));
    }
    for h in &team.here {
        let role = if h.role.is_empty() {
            "-"
        } else {
            h.role.as_str()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<16}", h.name), bold),
            Span::raw(format!(
                "{role:<12}{:<20}{}",
                h.host,
                seen_ago(app.now, h.seen)
            )),
        ]));
    }
    lines
}

pub fn render_who(frame: &mut Frame, area: Rect, app: &AppState, scroll: u16) {
    render_scrolled(
        frame,
        area,
        " Who is here ",
        who_lines(app),
        72,
        scroll,
        app,
    );
}
