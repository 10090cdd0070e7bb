//! The message-trace pane: the query, progress, counts per status, a sparkline of deferrals and
//! failures per 5 minutes, and the rows (received, sender, recipient, subject, status, reply).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, Wrap};

use super::{pane_block, theme};
use crate::domain::time::{WithOffset, show_time};
use crate::domain::trace::{TraceEvent, TraceRow, TraceStatus};
use crate::tui::keymap::Command;
use crate::tui::layout;
use crate::tui::pane::Pane;
use crate::tui::state::AppState;
use crate::tui::views::TraceMode;

pub fn status_style(s: TraceStatus) -> Style {
    match s {
        TraceStatus::Delivered => Style::new().fg(Color::Green),
        TraceStatus::Pending => Style::new().fg(Color::Yellow),
        TraceStatus::Failed => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        TraceStatus::Quarantined | TraceStatus::FilteredAsSpam => Style::new().fg(Color::Magenta),
        TraceStatus::Expanded => Style::new().fg(Color::Blue),
        TraceStatus::Unknown => Style::new().fg(Color::Gray),
    }
}

fn human_bytes(b: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if b as f64 >= 1024.0 * MIB {
        format!("{:.1} GiB", b as f64 / (1024.0 * MIB))
    } else {
        format!("{:.1} MiB", b as f64 / MIB)
    }
}

pub fn render(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let tv = &app.trace;
    let state = if tv.running {
        let pct = (tv.done * 100).checked_div(tv.total).unwrap_or(0);
        format!(
            "running {pct}% ({} of {})",
            human_bytes(tv.done),
            human_bytes(tv.total)
        )
    } else if tv.cancelled {
        "stopped".to_string()
    } else if tv.query.is_some() && tv.mode == TraceMode::Breakdown {
        format!(
            "{} rows · {} groups by {}",
            tv.rows.len(),
            tv.breakdown.as_ref().map_or(0, |b| b.groups.len()),
            tv.group_by
        )
    } else if tv.query.is_some() {
        format!("{} rows", tv.rows.len())
    } else {
        String::new()
    };
    let block = pane_block(Pane::Trace, focused, &state, rect);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if app.trace_sources.is_empty() {
        let msg = format!(
            "No trace sources are configured. Add [[trace.sources]] to the config file: kind = \"exchange-logs\" with the folder of MSGTRK logs, or kind = \"postfix\" with a path such as /var/log/mail.log*; then press {} here to query. `warroom trace --exchange-logs DIR` works without a config.",
            app.keymap.first_key(Command::TraceQuery)
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    if tv.query.is_none() {
        let msg = format!(
            "Press {} to query the {} trace source(s): e.g. from:alerts@fabrikam.com since:2h, or status:pending to see what is stuck.",
            app.keymap.keys_of(Command::TraceQuery),
            app.trace_sources.len()
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    // In a strip, only the counts.
    let [qline, counts, spark, table] = if layout::is_strip(rect) {
        let none = Rect::new(inner.x, inner.y, 0, 0);
        [none, inner, none, none]
    } else {
        Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Min(1),
        ])
        .areas(inner)
    };
    let mut q = vec![Span::styled("/", theme::key()), Span::raw(tv.text.clone())];
    for (source, budget) in &app.trace_budgets {
        q.push(Span::styled(
            format!("  [{source}: {budget}]"),
            theme::dim(),
        ));
    }
    if let Some(e) = &tv.error {
        q.push(Span::styled(format!("  {e}"), theme::error()));
    } else if !tv.warnings.is_empty() {
        q.push(Span::styled(
            format!("  {} warning(s): {}", tv.warnings.len(), tv.warnings[0]),
            Style::new().fg(Color::Yellow),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(q)), qline);
    let mut c: Vec<Span> = Vec::new();
    for s in TraceStatus::ALL {
        let n = tv.summary.by_status.get(&s).copied().unwrap_or(0);
        if n > 0
            || matches!(
                s,
                TraceStatus::Delivered | TraceStatus::Pending | TraceStatus::Failed
            )
        {
            c.push(Span::styled(format!("{} {n}", s.as_str()), status_style(s)));
            c.push(Span::raw("  "));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(c)), counts);
    // Deferrals and failures per bucket across the whole window; buckets merged so it fits.
    let b = &tv.summary.buckets;
    let data: Vec<u64> = b
        .deferrals
        .iter()
        .zip(&b.failures)
        .map(|(d, f)| u64::from(*d + *f))
        .collect();
    let [label, line] =
        Layout::horizontal([Constraint::Length(16), Constraint::Min(1)]).areas(spark);
    let width = (line.width as usize).max(1);
    // Merge buckets when there are more than columns; widen them when there are fewer.
    let per = data.len().div_ceil(width).max(1);
    let merged: Vec<u64> = data.chunks(per).map(|c| c.iter().sum()).collect();
    let stretch = (width / merged.len().max(1)).max(1);
    let shown: Vec<u64> = merged
        .iter()
        .flat_map(|v| std::iter::repeat_n(*v, stretch))
        .collect();
    let peak = merged.iter().copied().max().unwrap_or(0);
    let minutes = b.width_secs * per as i64 / 60;
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(format!("defer+fail/{minutes}m"), theme::dim()),
            Line::styled(format!("peak {peak}"), theme::dim()),
        ]),
        label,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&shown)
            .style(Style::new().fg(Color::Red)),
        line,
    );
    if tv.mode == TraceMode::Breakdown {
        render_breakdown(frame, table, app, focused);
    } else {
        render_rows(frame, table, app, focused);
    }
}

/// What an empty result list says: still searching, or nothing found.
fn nothing_yet(running: bool) -> Line<'static> {
    Line::styled(
        if running {
            "searching…"
        } else {
            "no message matches"
        },
        theme::dim(),
    )
}

/// The breakdown: one line a group, largest first, with counts per status and delays.
fn render_breakdown(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let tv = &app.trace;
    if rect.height == 0 {
        return;
    }
    let w = rect.width as usize;
    // count (7), then delivered, pending, failed, other (quarantined + spam + expanded +
    // unknown), p50, p95, max (8 each), a space before each.
    let nums = 8 + 7 * 9;
    let key_w = w.saturating_sub(nums).max(10);
    let header = Line::styled(
        format!(
            "{:<key_w$} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            tv.group_by.as_str(),
            "count",
            "delivrd",
            "pending",
            "failed",
            "other",
            "p50 s",
            "p95 s",
            "max s"
        ),
        theme::dim().add_modifier(Modifier::UNDERLINED),
    );
    let mut lines = vec![header];
    let groups = tv.breakdown.as_ref().map_or(&[][..], |b| &b.groups[..]);
    if groups.is_empty() {
        lines.push(nothing_yet(tv.running));
    }
    let room = rect.height.saturating_sub(1) as usize;
    let offset = super::first_shown(tv.group_cursor.selected, room);
    let secs = |d: Option<f64>| d.map_or("-".to_string(), |d| format!("{d:.1}"));
    for (i, g) in groups.iter().enumerate().skip(offset).take(room) {
        let n = |s: TraceStatus| g.by_status.get(&s).copied().unwrap_or(0);
        let other =
            g.count - n(TraceStatus::Delivered) - n(TraceStatus::Pending) - n(TraceStatus::Failed);
        let key: String = if g.key.chars().count() > key_w {
            let mut k: String = g.key.chars().take(key_w.saturating_sub(1)).collect();
            k.push('…');
            k
        } else {
            g.key.clone()
        };
        let mut line = Line::from(vec![
            Span::raw(format!("{key:<key_w$} {:>7} ", g.count)),
            Span::styled(
                format!("{:>8} ", n(TraceStatus::Delivered)),
                status_style(TraceStatus::Delivered),
            ),
            Span::styled(
                format!("{:>8} ", n(TraceStatus::Pending)),
                status_style(TraceStatus::Pending),
            ),
            Span::styled(
                format!("{:>8} ", n(TraceStatus::Failed)),
                status_style(TraceStatus::Failed),
            ),
            Span::styled(
                format!("{other:>8} "),
                status_style(TraceStatus::Quarantined),
            ),
            Span::styled(
                format!(
                    "{:>8} {:>8} {:>8}",
                    secs(g.delay_p50_s),
                    secs(g.delay_p95_s),
                    secs(g.delay_max_s)
                ),
                theme::dim(),
            ),
        ]);
        if i == tv.group_cursor.selected && focused {
            line = line.style(theme::selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), rect);
}

fn render_rows(frame: &mut Frame, rect: Rect, app: &AppState, focused: bool) {
    let tv = &app.trace;
    if rect.height == 0 {
        return;
    }
    let w = rect.width as usize;
    let sender_w = (w / 5).clamp(10, 28);
    let rcpt_w = sender_w;
    let status_w = 11;
    let time_w = 8;
    let rest = w.saturating_sub(time_w + 1 + sender_w + 1 + rcpt_w + 1 + status_w + 1);
    let subject_w = rest / 2;
    let header = Line::styled(
        format!(
            "{:<time_w$} {:<sender_w$} {:<rcpt_w$} {:<status_w$} {:<subject_w$} reply",
            "received", "sender", "recipient", "status", "subject"
        ),
        theme::dim().add_modifier(Modifier::UNDERLINED),
    );
    let mut lines = vec![header];
    if tv.rows.is_empty() {
        lines.push(nothing_yet(tv.running));
    }
    let room = rect.height.saturating_sub(1) as usize;
    let offset = super::first_shown(tv.cursor.selected, room);
    for (i, r) in tv.rows.iter().enumerate().skip(offset).take(room) {
        let cut = |s: &str, n: usize| -> String {
            let mut out: String = s.chars().take(n).collect();
            if s.chars().count() > n && n > 0 {
                out.pop();
                out.push('…');
            }
            format!("{out:<n$}")
        };
        let when = show_time(r.received, app.now, app.zone);
        let when = if when.len() > time_w {
            when[when.len() - time_w..].to_string()
        } else {
            when
        };
        let mut line = Line::from(vec![
            Span::styled(format!("{when:<time_w$} "), theme::dim()),
            Span::raw(cut(&r.sender, sender_w)),
            Span::raw(" "),
            Span::raw(cut(&r.recipient, rcpt_w)),
            Span::raw(" "),
            Span::styled(cut(r.status.as_str(), status_w), status_style(r.status)),
            Span::raw(" "),
            Span::raw(cut(&r.subject, subject_w)),
            Span::raw(" "),
            Span::styled(r.reply.clone(), theme::dim()),
        ]);
        if i == tv.cursor.selected && focused {
            line = line.style(theme::selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), rect);
}

/// The whole event chain of one message.
pub fn render_chain(
    frame: &mut Frame,
    area: Rect,
    app: &AppState,
    row: &TraceRow,
    events: Option<&Result<Vec<TraceEvent>, String>>,
    scroll: u16,
) {
    let label = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::styled(row.subject.clone(), label),
        Line::from(format!("{} → {}", row.sender, row.recipient)),
        Line::from(vec![
            Span::raw("status "),
            Span::styled(row.status.as_str(), status_style(row.status)),
            Span::raw(format!("  {}", row.reply)),
        ]),
        Line::from(format!(
            "message id {}  ·  source {}",
            row.message_id, row.source
        )),
        Line::from(""),
    ];
    match events {
        None => lines.push(Line::styled("reading the logs…", theme::dim())),
        Some(Err(e)) => lines.push(Line::styled(e.clone(), theme::error())),
        Some(Ok(evs)) if evs.is_empty() => {
            lines.push(Line::styled("no events found", theme::dim()))
        }
        Some(Ok(evs)) => {
            for e in evs {
                lines.push(Line::from(vec![
                    Span::styled(WithOffset(e.time, app.zone).to_string(), theme::dim()),
                    Span::raw("  "),
                    Span::styled(format!("{:<10}", e.event), label),
                    Span::raw(format!(" {}  ", e.server)),
                    Span::styled(e.recipients.join(", "), theme::dim()),
                ]));
                if !e.detail.is_empty() {
                    lines.push(Line::from(format!("    {}", e.detail)));
                }
                lines.push(Line::styled(
                    format!("    {}:{}", e.file.display(), e.line),
                    theme::dim(),
                ));
            }
        }
    }
    super::popup::render_scrolled(
        frame,
        area,
        &format!(
            "Message chain · {} scroll · any other key closes",
            app.keymap.pair(Command::ScrollDown, Command::ScrollUp)
        ),
        lines,
        130,
        scroll,
        app,
    );
}
