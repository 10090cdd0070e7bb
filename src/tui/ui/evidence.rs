//! The confirmation before a playbook step's command runs: the exact command, as it will run
//! (no shell), and where its output goes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::net::process::display_argv;
use crate::tui::keymap::Command;
use crate::tui::layout;
use crate::tui::state::{AppState, RunConfirm};

pub fn render_confirm_run(frame: &mut Frame, area: Rect, app: &AppState, c: &RunConfirm) {
    let title = app
        .incident
        .playbook(&c.step.playbook)
        .and_then(|p| p.step(&c.step.step))
        .map(|s| s.title.clone())
        .unwrap_or_else(|| c.step.step.clone());
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let lines = vec![
        Line::from(vec![
            Span::raw("Run the command of the step "),
            Span::styled(title, bold),
        ]),
        Line::from(""),
        Line::styled(
            format!("  {}", display_argv(&c.argv)),
            Style::new().fg(Color::Yellow),
        ),
        Line::from(""),
        Line::from(format!(
            "It runs on this machine, without a shell, for at most {} seconds; its output",
            crate::evidence::run::DEFAULT_TIMEOUT.as_secs()
        )),
        Line::from("and error are kept in the incident's evidence/ folder, with their SHA-256."),
        Line::from(""),
        Line::from(format!(
            "{} runs it · any other key cancels",
            app.keymap.keys_of(Command::ConfirmYes)
        )),
    ];
    let width = (lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 4)
        .min(area.width.saturating_sub(4))
        .max(20);
    let rows = super::wrap::wrap_lines(&lines, width as usize - 2);
    let rect = layout::centered(area, width, (rows.len() as u16 + 2).min(area.height));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(rows).block(
            Block::bordered()
                .title(" Run and keep as evidence? ")
                .border_style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
        ),
        rect,
    );
}
