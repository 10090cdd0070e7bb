//! The status bar and the hint line above it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::domain::time::{Zone, format_elapsed};
use crate::tui::app::{AppState, Mode, Pane};
use crate::tui::keymap::Command;

/// `SEV2 · Investigating · title · T+00:42:10 · 14:03:05 UTC · 15:03 local · ?=help`
pub fn render(frame: &mut Frame, rect: Rect, app: &AppState) {
    let inc = &app.incident;
    let bar = Style::new().bg(Color::Indexed(236)).fg(Color::White);
    let sep = Span::styled(" · ", bar.fg(Color::Gray));
    let elapsed = app.now - app.started;
    let mut spans = vec![
        Span::styled(
            format!(" {} ", inc.severity.label()),
            theme::severity(inc.severity),
        ),
        Span::styled(" ", bar),
        Span::styled(inc.status.label(), bar.add_modifier(Modifier::BOLD)),
        sep.clone(),
    ];
    if inc.is_closed() {
        spans.insert(
            3,
            Span::styled(
                " CLOSED",
                bar.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            ),
        );
    }
    if inc.drill {
        spans.push(Span::styled(
            "DRILL ",
            bar.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
    }
    let ringing = crate::tui::panes::playbook::expired_check_backs(app);
    if let Some((_, step)) = ringing.first() {
        let more = if ringing.len() > 1 {
            format!(" +{}", ringing.len() - 1)
        } else {
            String::new()
        };
        let style = if app.now.timestamp() % 2 == 0 {
            bar.fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            bar.fg(Color::Yellow).add_modifier(Modifier::BOLD)
        };
        let mut title: String = step.title.chars().take(32).collect();
        if title.len() < step.title.len() {
            title.push('…');
        }
        spans.push(Span::styled(
            format!("⏰ check back: {title}{more} (c / :ack)"),
            style,
        ));
        spans.push(sep.clone());
    }
    spans.push(Span::styled(inc.title.clone(), bar));
    spans.push(sep.clone());
    spans.push(Span::styled(
        format!("T+{}", format_elapsed(elapsed)),
        bar.add_modifier(Modifier::BOLD),
    ));
    if let Some(d) = &app.durations {
        spans.push(Span::styled(format!(" ({d})"), bar.fg(Color::Gray)));
    }
    if let Some(clock) = super::composer::clock_span(app, bar) {
        spans.push(sep.clone());
        spans.push(clock);
    }
    spans.push(sep.clone());
    spans.push(Span::styled(
        format!("{} UTC", app.now.format("%H:%M:%S")),
        bar,
    ));
    let local = match app.zone {
        Zone::Named(tz) if tz == chrono_tz::UTC => None,
        z => Some((z.to_wall(app.now).format("%H:%M").to_string(), z)),
    };
    if let Some((t, z)) = local {
        spans.push(sep.clone());
        let name = match z {
            Zone::Local => "local".to_string(),
            Zone::Named(tz) => tz.name().to_string(),
        };
        spans.push(Span::styled(format!("{t} {name}"), bar));
    }
    if !app.pending.is_empty() {
        spans.push(sep.clone());
        spans.push(Span::styled("saving…", bar.fg(Color::Yellow)));
    }
    if !app.unsaved.is_empty() {
        spans.push(sep.clone());
        spans.push(Span::styled(
            format!("{} NOT SAVED (:retry)", app.unsaved.len()),
            bar.fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(sep);
    spans.push(Span::styled(
        format!(
            "{}=help",
            app.keymap
                .keys_of(Command::Help)
                .split('/')
                .next()
                .unwrap_or("?")
        ),
        bar,
    ));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used < rect.width as usize {
        spans.push(Span::styled(" ".repeat(rect.width as usize - used), bar));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), rect);
}

/// The line above the status bar: the last message, or the keys that matter now.
pub fn render_hint(frame: &mut Frame, rect: Rect, app: &AppState) {
    if let Some(f) = &app.flash {
        let style = if f.error {
            theme::error()
        } else {
            Style::new().fg(Color::Green)
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!(" {}", f.text), style)),
            rect,
        );
        return;
    }
    let k = |c: Command| app.keymap.keys_of(c);
    let pairs: Vec<(String, &str)> = match (&app.mode, app.focus) {
        (Mode::Normal, Pane::Timeline) => vec![
            (k(Command::AddEntry), "add"),
            (k(Command::EditEntry), "edit"),
            (k(Command::DeleteEntry), "delete"),
            (k(Command::Undo), "undo"),
            (k(Command::TogglePin), "pin"),
            (k(Command::Filter), "filter"),
            (k(Command::CycleKind), "kind"),
            (k(Command::Open), "open"),
            (k(Command::CommandLine), "command"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (Mode::Normal, Pane::Playbook) => vec![
            (k(Command::ToggleDone), "done"),
            (k(Command::StartStep), "doing"),
            (k(Command::SkipStep), "skip"),
            (k(Command::OwnerStep), "owner"),
            (k(Command::NoteStep), "note"),
            (k(Command::AckCheckBack), "checked"),
            (k(Command::Open), "detail"),
            (k(Command::AttachPlaybook), "attach"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (Mode::Normal, Pane::Trace) => vec![
            (k(Command::TraceQuery), "query"),
            (k(Command::TraceRerun), "again"),
            (k(Command::Open), "chain"),
            (k(Command::TraceCancel), "stop"),
            (k(Command::TraceKeep), "keep as evidence"),
            (k(Command::TraceBreakdown), "breakdown"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Quit), "quit"),
        ],
        (Mode::Normal, Pane::Health) => vec![
            (k(Command::PollNow), "poll now"),
            (k(Command::Open), "item"),
            (k(Command::Zoom), "zoom"),
            (k(Command::Help), "help"),
            (k(Command::Quit), "quit"),
        ],
        (mode, _) => vec![
            (
                mode.cancel_command()
                    .map(|c| app.keymap.first_key(c))
                    .unwrap_or_else(|| "Esc".into()),
                "back",
            ),
            ("Ctrl-C".to_string(), "quit"),
        ],
    };
    let mut spans = vec![Span::raw(" ")];
    for (keys, what) in pairs {
        spans.push(Span::styled(keys, theme::key()));
        spans.push(Span::styled(format!(" {what}  "), theme::dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), rect);
}
