//! The playbook pane: each attached playbook's sections and steps, with state, owner, due time
//! and countdown, overdue steps in red, required ones marked, progress per section and overall.

use chrono::{DateTime, Duration, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{pane_block, theme};
use crate::domain::playbook::{Progress, StepStatus};
use crate::domain::time::{WithOffset, format_duration};
use crate::tui::keymap::Command;
use crate::tui::pane::Pane;
use crate::tui::state::{AppState, StepRef};

/// `▰▰▰▱▱▱ 3/6`
fn bar(p: &Progress, width: usize) -> String {
    let filled = (p.complete() * width).checked_div(p.total).unwrap_or(width);
    format!(
        "{}{} {}/{}",
        "▰".repeat(filled),
        "▱".repeat(width - filled),
        p.complete(),
        p.total
    )
}

/// `in 4m`, `5m over`, from a countdown.
fn countdown(d: Duration) -> String {
    let rounded = Duration::seconds(d.num_seconds().abs() / 60 * 60);
    let t = if rounded.is_zero() {
        "<1m".to_string()
    } else {
        format_duration(rounded)
    };
    if d < Duration::zero() {
        format!("{t} over")
    } else {
        format!("in {t}")
    }
}

fn status_mark(s: StepStatus) -> (&'static str, Style) {
    match s {
        StepStatus::Todo => ("[ ]", Style::new()),
        StepStatus::Doing => (
            "[~]",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        StepStatus::Done => ("[x]", Style::new().fg(Color::Green)),
        StepStatus::Skipped => ("[-]", theme::dim()),
    }
}

fn wall(at: DateTime<Utc>, app: &AppState) -> String {
    app.zone.to_wall(at).format("%H:%M").to_string()
}

/// A line of the pane before widths are settled.
enum Row<'a> {
    Header(Line<'a>),
    Step {
        mark: &'static str,
        mark_style: Style,
        required: bool,
        title: String,
        title_style: Style,
        owner: String,
        right: String,
        right_style: Style,
        ringing: bool,
        selected: bool,
        /// The step under the cursor (kept in view even when the pane is not focused).
        current: bool,
    },
}

pub fn render(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let inc = &app.incident;
    let mut overall = Progress::default();
    for pb in &inc.playbooks {
        let o = inc.progress.summary(pb).overall;
        overall.total += o.total;
        overall.done += o.done;
        overall.skipped += o.skipped;
        overall.required_open += o.required_open;
    }
    let extra = if inc.playbooks.is_empty() {
        String::new()
    } else {
        format!(
            "{} · {}% · {} required open",
            bar(&overall, 10),
            overall.percent(),
            overall.required_open
        )
    };
    let block = pane_block(Pane::Playbook, focused, &extra, rect);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if inc.playbooks.is_empty() {
        let msg = format!(
            "No playbook is attached to this incident. Press {} here to attach one (built-ins: cloud-mail-outage, phishing-surge, post-incident-review; your own go in the config folder's playbooks/).",
            app.keymap.keys_of(Command::AttachPlaybook)
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let width = inner.width as usize;
    let mut rows: Vec<Row> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0usize;
    let mut n = 0usize;
    let flash_on = app.now.timestamp() % 2 == 0;
    for pb in &inc.playbooks {
        let summary = inc.progress.summary(pb);
        if inc.playbooks.len() > 1 {
            rows.push(Row::Header(Line::styled(
                format!("{}  {}", pb.name, bar(&summary.overall, 10)),
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            )));
        }
        for (sec, sp) in pb.sections.iter().zip(&summary.sections) {
            rows.push(Row::Header(Line::from(vec![
                Span::styled(
                    format!("{} ", sec.title),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::styled(bar(&sp.progress, 6), theme::dim()),
            ])));
            for step in &sec.steps {
                let state = inc.progress.state(&pb.id, &step.id);
                let timing = inc.progress.timing(pb, &step.id, inc.started_at);
                let overdue = timing.is_some_and(|t| t.is_overdue(app.now));
                let ringing = timing.is_some_and(|t| t.check_back_expired(app.now));
                let (mark, mark_style) = status_mark(state.status);
                let owner = state.effective_owner(step).unwrap_or("");
                let mut right = String::new();
                if let Some(t) = timing {
                    if let Some(cb) = t.check_back_remaining(app.now) {
                        right.push_str(&format!(
                            "⏰{} ",
                            if cb <= Duration::zero() {
                                "now".into()
                            } else {
                                countdown(cb).trim_start_matches("in ").to_string()
                            }
                        ));
                    }
                    if let (Some(due), false) = (t.due_at(), state.status.is_complete()) {
                        right.push_str(&format!("{} {}", wall(due, app), countdown(due - app.now)));
                    } else if let Some(done) =
                        state.done_at.filter(|_| state.status == StepStatus::Done)
                    {
                        right.push_str(&format!("done {}", wall(done, app)));
                    }
                }
                let mut title = step.title.clone();
                if state.status == StepStatus::Skipped
                    && let Some(r) = &state.reason
                {
                    title = format!("{title} — skipped: {r}");
                }
                rows.push(Row::Step {
                    mark,
                    mark_style,
                    required: step.required,
                    title,
                    title_style: match state.status {
                        StepStatus::Skipped => theme::dim(),
                        _ if overdue => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                        _ => Style::new(),
                    },
                    owner: owner.to_string(),
                    right,
                    right_style: if overdue {
                        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
                    } else {
                        theme::dim()
                    },
                    ringing: ringing && flash_on,
                    selected: n == app.steps.selected && focused,
                    current: n == app.steps.selected,
                });
                n += 1;
            }
        }
    }
    let right_w = rows
        .iter()
        .map(|r| match r {
            Row::Step { right, .. } => Span::raw(right.as_str()).width(),
            Row::Header(_) => 0,
        })
        .max()
        .unwrap_or(0);
    const OWNER_W: usize = 10;
    let title_w = width
        .saturating_sub(3 + 1 + 1 + OWNER_W + 2 + right_w)
        .max(8);
    for row in rows {
        match row {
            Row::Header(line) => lines.push(line),
            Row::Step {
                mark,
                mark_style,
                required,
                title,
                title_style,
                owner,
                right,
                right_style,
                ringing,
                selected,
                current,
            } => {
                let mut shown: String = title.chars().take(title_w).collect();
                if title.chars().count() > title_w {
                    shown.pop();
                    shown.push('…');
                }
                let pad = right_w.saturating_sub(Span::raw(right.as_str()).width());
                let mut line = Line::from(vec![
                    Span::styled(mark, mark_style),
                    Span::styled(
                        if required { "*" } else { " " },
                        Style::new().fg(Color::Red),
                    ),
                    Span::raw(" "),
                    Span::styled(format!("{shown:<title_w$}"), title_style),
                    Span::styled(format!(" {owner:<OWNER_W$.OWNER_W$} "), theme::dim()),
                    Span::raw(" ".repeat(pad)),
                    Span::styled(right, right_style),
                ]);
                if ringing && flash_on {
                    line = line.style(Style::new().bg(Color::Yellow).fg(Color::Black));
                }
                if selected {
                    line = line.style(theme::selected());
                }
                if current {
                    selected_line = lines.len();
                }
                lines.push(line);
            }
        }
    }
    let height = inner.height as usize;
    let offset = super::first_shown(selected_line, height);
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

/// A step's full detail.
pub fn render_detail(frame: &mut Frame, area: Rect, app: &AppState, target: &StepRef, scroll: u16) {
    let inc = &app.incident;
    let Some(pb) = inc.playbook(&target.playbook) else {
        return;
    };
    let Some(step) = pb.step(&target.step) else {
        return;
    };
    let state = inc.progress.state(&pb.id, &step.id);
    let label = Style::new().add_modifier(Modifier::BOLD);
    let row = |k: &'static str, v: String| {
        Line::from(vec![Span::styled(format!("{k:<11}"), label), Span::raw(v)])
    };
    let mut lines = vec![
        Line::styled(step.title.clone(), label),
        Line::from(""),
        row("Playbook", format!("{} ({})", pb.name, pb.id)),
        row(
            "State",
            match (&state.status, &state.reason) {
                (StepStatus::Skipped, Some(r)) => format!("skipped: {r}"),
                (s, _) => s.as_str().to_string(),
            },
        ),
        row(
            "Owner",
            state.effective_owner(step).unwrap_or("-").to_string(),
        ),
        row(
            "Required",
            if step.required {
                "yes: the incident cannot close while it is open"
            } else {
                "no"
            }
            .to_string(),
        ),
    ];
    if let Some(due) = step.due_at(inc.started_at) {
        lines.push(row(
            "Due",
            format!(
                "{} (T+{})",
                WithOffset(due, app.zone),
                format_duration(step.due.unwrap_or_default())
            ),
        ));
    }
    if let Some(cb) = step.check_back {
        lines.push(row(
            "Check back",
            format!("every {} while in progress", format_duration(cb)),
        ));
    }
    if let (Some(at), Some(by)) = (state.changed_at, &state.changed_by) {
        lines.push(row(
            "Changed",
            format!("{} by {by}", WithOffset(at, app.zone)),
        ));
    }
    if !step.run.is_empty() {
        lines.push(row(
            "Command",
            format!(
                "{} ({} runs it, after a confirmation)",
                crate::net::process::display_argv(&step.run),
                app.keymap.first_key(Command::RunStep)
            ),
        ));
    }
    if step.ticket {
        lines.push(row(
            "Ticket",
            "ticking it offers :ticket REF [PROVIDER] for the case number".to_string(),
        ));
    }
    lines.push(Line::from(""));
    lines.extend(step.detail.lines().map(|l| Line::from(l.to_string())));
    let mut keys = vec![
        (Command::ToggleDone, "done"),
        (Command::StartStep, "doing"),
        (Command::SkipStep, "skip"),
        (Command::OwnerStep, "owner"),
        (Command::NoteStep, "note"),
        (Command::AckCheckBack, "checked"),
    ];
    if !step.run.is_empty() {
        keys.push((Command::RunStep, "run"));
    }
    super::popup::render_scrolled(
        frame,
        area,
        &format!(
            "Step · {} · {} back",
            app.keymap.hint(&keys),
            app.keymap.first_key(Command::ClosePopup)
        ),
        lines,
        100,
        scroll,
        app,
    );
}
