//! The trace pane's part of `update`: running queries in the background (rows stream in as they
//! are found, a new query cancels the running one, Esc cancels), the event chain of a message,
//! and keeping a result as evidence in the timeline.

use crate::domain::event::EventBody;
use crate::domain::trace::{
    TraceEvent, TraceRow, TraceSourceConfig, TraceSourceKind, TraceSummary,
};
use crate::domain::trace_breakdown::GroupBy;
use crate::domain::trace_query::{describe, parse_query_line};
use crate::tui::action::Effect;
use crate::tui::action::TraceMsg;
use crate::tui::cursor::LIST_PAGE;
use crate::tui::cursor::ListCursor;
use crate::tui::keymap::Command;
use crate::tui::state::{AppState, InputPurpose, Mode, open_input};
use crate::tui::views::{TraceMode, TraceView};

/// Starts the query typed in the input line.
pub fn submit_query(app: &mut AppState, text: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
    start(app, text, false, fx)
}

/// Runs the current query again, keeping the rows on screen while it runs.
pub fn refresh(app: &mut AppState, fx: &mut Vec<Effect>) -> Result<(), String> {
    let text = app.trace.text.clone();
    start(app, &text, true, fx)
}

fn start(
    app: &mut AppState,
    text: &str,
    keep_rows: bool,
    fx: &mut Vec<Effect>,
) -> Result<(), String> {
    let query = parse_query_line(text, app.now, app.zone)?;
    if app.trace_sources.is_empty() {
        return Err(
            "no trace sources are configured: add [[trace.sources]] to the config file".into(),
        );
    }
    let tv = &mut app.trace;
    if tv.running {
        fx.push(Effect::CancelTrace);
    }
    // Only a refresh of a finished run may be answered with changes only.
    let refresh = keep_rows && !tv.running && tv.finished_at.is_some();
    let old = std::mem::take(tv);
    *tv = TraceView {
        text: text.trim().to_string(),
        query: Some(query.clone()),
        request: old.request + 1,
        running: true,
        started: Some(app.now),
        refreshing: keep_rows,
        mode: old.mode,
        group_by: old.group_by,
        group_cursor: old.group_cursor,
        rows_gen: old.rows_gen + 1,
        ..TraceView::default()
    };
    if keep_rows {
        tv.rows_by_key = old.rows_by_key;
        tv.rows = old.rows;
        tv.summary = old.summary;
        tv.cursor = old.cursor;
        tv.breakdown = old.breakdown;
        tv.breakdown_gen = old.breakdown_gen;
        tv.rows_gen = old.rows_gen;
    }
    tv.update_breakdown(app.zone);
    fx.push(Effect::StartTrace {
        request: tv.request,
        query,
        refresh,
    });
    Ok(())
}

/// Results for a request. Budget reports apply whatever the request.
pub fn batch(app: &mut AppState, request: u64, msgs: Vec<TraceMsg>) {
    let (budgets, msgs): (Vec<TraceMsg>, Vec<TraceMsg>) = msgs
        .into_iter()
        .partition(|m| matches!(m, TraceMsg::Budget { .. }));
    for b in budgets {
        if let TraceMsg::Budget { source, text } = b {
            app.trace_budgets.insert(source, text);
        }
    }
    if request == app.trace.request && !msgs.is_empty() {
        app.trace.apply(msgs);
        app.trace.update_breakdown(app.zone);
    }
}

/// A query finished (or stopped).
pub fn finished(app: &mut AppState, request: u64, error: Option<String>, cancelled: bool) {
    if request != app.trace.request {
        return;
    }
    let tv = &mut app.trace;
    tv.running = false;
    tv.cancelled = cancelled;
    tv.finished_at = Some(app.now);
    if tv.refreshing && !cancelled && error.is_none() {
        let seen = std::mem::take(&mut tv.seen);
        let before = tv.rows_by_key.len();
        if tv.delta {
            // The log files sent their changes only; Exchange Online sent its rows again.
            let online = online_sources(&app.trace_sources);
            tv.rows_by_key
                .retain(|k, r| seen.contains(k) || !online.contains(r.source.as_str()));
        } else {
            tv.rows_by_key.retain(|k, _| seen.contains(k));
        }
        tv.stale |= tv.rows_by_key.len() != before;
    }
    if tv.stale {
        tv.rebuild();
    }
    tv.refreshing = false;
    tv.delta = false;
    tv.error = error;
    tv.update_breakdown(app.zone);
}

/// On the clock: the configured query when the console opens, and the periodic refresh.
pub fn tick(app: &mut AppState, fx: &mut Vec<Effect>) {
    if let Some(q) = app.trace_autostart.take()
        && let Err(e) = submit_query(app, &q, fx)
    {
        app.flash(format!("[trace] query: {e}"), true);
    }
    if let Some(every) = app.trace_refresh
        && !app.trace.running
        && app.trace.query.is_some()
        && !app.trace.cancelled
        && app.trace.finished_at.is_some_and(|f| app.now - f >= every)
    {
        let _ = refresh(app, fx);
    }
}

pub fn command(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    match cmd {
        c if c.is_list_move() => return navigate(app, cmd),
        Command::Open => return open(app, fx),
        _ => {}
    }
    match cmd {
        Command::TraceQuery => {
            let text = app.trace.text.clone();
            open_input(app, InputPurpose::TraceQuery, &text);
        }
        Command::TraceCancel if app.trace.running => {
            fx.push(Effect::CancelTrace);
            app.trace.running = false;
            app.trace.cancelled = true;
        }
        Command::TraceKeep => keep(app, fx),
        Command::TraceBreakdown | Command::TraceGroupBy => {
            if app.trace.query.is_none() {
                app.flash("no query yet: / to type one", false);
                return;
            }
            let tv = &mut app.trace;
            tv.mode = match (cmd, tv.mode) {
                (Command::TraceBreakdown, TraceMode::Breakdown) => TraceMode::Rows,
                (Command::TraceGroupBy, TraceMode::Breakdown) => {
                    tv.group_by = tv.group_by.next();
                    tv.group_cursor.selected = 0;
                    TraceMode::Breakdown
                }
                _ => TraceMode::Breakdown,
            };
            tv.update_breakdown(app.zone);
            if tv.mode == TraceMode::Breakdown && tv.group_by == GroupBy::Reason {
                enrich_online_rows(app, fx);
            }
        }
        Command::TraceRerun => {
            if app.trace.query.is_none() {
                app.flash("no query yet: / to type one", false);
            } else if let Err(e) = refresh(app, fx) {
                app.flash(e, true);
            }
        }
        _ => {}
    }
}

/// The names of the Exchange Online sources (their rows' `source`).
fn online_sources(sources: &[TraceSourceConfig]) -> std::collections::HashSet<&str> {
    sources
        .iter()
        .filter(|s| matches!(s.kind, TraceSourceKind::ExchangeOnline { .. }))
        .map(|s| s.name.as_str())
        .collect()
}

/// The reason of an Exchange Online row is in its detail, one request each: fetched when the
/// breakdown by reason is asked for, for the rows not delivered.
fn enrich_online_rows(app: &mut AppState, fx: &mut Vec<Effect>) {
    let online = online_sources(&app.trace_sources);
    let rows: Vec<TraceRow> = app
        .trace
        .rows
        .iter()
        .filter(|r| {
            online.contains(r.source.as_str())
                && r.status != crate::domain::trace::TraceStatus::Delivered
                && r.reply.is_empty()
        })
        .cloned()
        .collect();
    if !rows.is_empty() {
        fx.push(Effect::EnrichTraceReasons {
            request: app.trace.request,
            rows,
        });
    }
}

/// `t`: the rows go to the incident's evidence folder, then a `trace` entry records the query
/// and the counts.
fn keep(app: &mut AppState, fx: &mut Vec<Effect>) {
    let Some(query) = app.trace.query.clone() else {
        let text = format!(
            "run a query first ({} in this pane)",
            app.keymap.first_key(Command::TraceQuery)
        );
        app.flash(&text, false);
        return;
    };
    if app.trace.running {
        let text = format!(
            "the query is still running: wait for it, or {} to stop it first",
            app.keymap.first_key(Command::TraceCancel)
        );
        app.flash(&text, false);
        return;
    }
    fx.push(Effect::SaveTraceEvidence {
        query: describe(&query),
        rows: app.trace.rows.clone(),
        summary: app.trace.summary.clone(),
    });
}

/// The evidence file was written (or not): record the snapshot in the journal.
pub fn evidence_saved(
    app: &mut AppState,
    query: String,
    summary: &TraceSummary,
    saved: Result<crate::domain::evidence::HashedFile, String>,
    fx: &mut Vec<Effect>,
) {
    let file = match saved {
        Ok(f) => Some(f),
        Err(e) => {
            app.flash(
                format!("could not keep the rows as evidence: {e}; the counts are logged anyway"),
                true,
            );
            None
        }
    };
    let by_status = summary
        .by_status
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), *n))
        .collect();
    fx.push(app.append(EventBody::TraceSnapshot {
        query,
        rows: summary.rows,
        by_status,
        size: file.as_ref().map(|f| f.size),
        sha256: file.as_ref().map(|f| f.sha256.clone()),
        evidence: file.map(|f| f.file),
    }));
}

pub fn navigate(app: &mut AppState, cmd: Command) {
    let tv = &mut app.trace;
    if tv.mode == TraceMode::Breakdown {
        let n = tv.breakdown.as_ref().map_or(0, |b| b.groups.len());
        if n > 0 {
            tv.group_cursor.step(n, LIST_PAGE, cmd);
        }
        return;
    }
    let n = tv.rows.len();
    if n > 0 {
        tv.cursor.step(n, LIST_PAGE, cmd);
    }
}

/// Enter: the whole event chain of the selected message.
pub fn open(app: &mut AppState, fx: &mut Vec<Effect>) {
    if app.trace.mode == TraceMode::Breakdown {
        return;
    }
    let Some(row) = app.trace.selected_row().cloned() else {
        return;
    };
    app.mode = Mode::TraceChain {
        row: Box::new(row.clone()),
        events: None,
        scroll: ListCursor::default(),
    };
    fx.push(Effect::LoadChain { row: Box::new(row) });
}

/// The chain arrived.
pub fn chain_loaded(app: &mut AppState, key: &str, result: Result<Vec<TraceEvent>, String>) {
    if let Mode::TraceChain { row, events, .. } = &mut app.mode
        && row.key == key
    {
        *events = Some(result);
    }
}
