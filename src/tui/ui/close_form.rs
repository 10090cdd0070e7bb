//! The `:close` form: summary, impact, root cause, follow-ups and, while required playbook
//! steps are open, the reason to close anyway.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::theme;
use crate::tui::keymap::Command;
use crate::tui::layout;
use crate::tui::state::AppState;
use crate::tui::views::{CloseForm, FIELDS};

pub fn render(frame: &mut Frame, area: Rect, app: &AppState, form: &CloseForm) {
    let n = form.field_count();
    let width = area.width.saturating_sub(10).min(110);
    let rect = layout::centered(area, width, if n == 5 { 27 } else { 23 });
    let block = super::popup::popup_block(
        &format!(
            " Close the incident · {} ",
            app.keymap.hint(&[
                (Command::FormNext, "next field"),
                (Command::FormEnter, "next / close"),
                (Command::FormNewline, "new line"),
                (Command::FormSubmit, "close"),
                (Command::FormCancel, "cancel"),
            ])
        ),
        rect.width,
    )
    .border_style(theme::border(true));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let mut rows = vec![
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(3),
    ];
    if n == 5 {
        rows.push(Constraint::Length(1));
        rows.push(Constraint::Length(3));
    }
    rows.push(Constraint::Length(1));
    rows.push(Constraint::Length(3));
    let areas = Layout::vertical(rows).split(inner);
    let label = |i: usize| {
        let style = if form.focus == i {
            theme::key()
        } else {
            theme::dim()
        };
        Span::styled(format!("{:<11}", FIELDS[i]), style)
    };
    let split = |r: Rect| -> [Rect; 2] {
        Layout::horizontal([Constraint::Length(11), Constraint::Min(1)]).areas(r)
    };
    for i in 0..4 {
        let [l, f] = split(areas[i]);
        frame.render_widget(Paragraph::new(label(i)), l);
        frame.render_widget(&form.fields[i], f);
    }
    let mut next = 4;
    if n == 5 {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "{} required playbook step(s) open: say below why you close anyway (it is logged)",
                    form.required_open.len()
                ),
                theme::error(),
            )),
            areas[4],
        );
        let [l, f] = split(areas[5]);
        frame.render_widget(Paragraph::new(label(4)), l);
        frame.render_widget(&form.fields[4], f);
        next = 6;
    }
    let status = if form.status_after == app.incident.status {
        format!("{} (kept)", form.status_after)
    } else {
        format!("{} (now {})", form.status_after, app.incident.status)
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("{:<11}", "Status"), theme::dim()),
            Span::raw(status),
            Span::styled(
                format!(" · {} another", app.keymap.first_key(Command::FormStatus)),
                theme::dim(),
            ),
            // A detection marker earlier than the detected time offers its time.
            Span::styled(
                crate::domain::closing::detection_offer(&app.incident)
                    .map(|at| {
                        format!(
                            " · detected {} offered by a detection marker (:keytime detected sets another)",
                            app.zone.to_wall(at).format("%H:%M:%S")
                        )
                    })
                    .unwrap_or_default(),
                theme::marker(),
            ),
        ])),
        areas[next],
    );
    next += 1;
    let msg = match &form.error {
        Some(e) => Line::styled(e.clone(), theme::error()),
        None => Line::styled(
            "follow-ups: one a line, action | owner | due (due optional) · closing writes every report format into exports/",
            theme::dim(),
        ),
    };
    frame.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), areas[next]);
}
