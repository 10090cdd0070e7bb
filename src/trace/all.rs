//! One query over every backend at once, for the command line: the log files (one scan over
//! all file sources) and each Exchange Online tenant (the same window, paging, budget and
//! status rules as the console's pane), rows merged into one result.

use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};

use super::TraceError;
use super::exo::{ExoError, ExoTracer};
use super::scan::{ScanMsg, ScanSource, ScanWarning, collect_query, sort_rows};
use crate::domain::trace::{TraceQuery, TraceRow, TraceSourceConfig, TraceStatus, TraceSummary};
use crate::net::{HttpClient, HttpOptions};

/// What [`query_all`] found.
#[derive(Debug, Default)]
pub struct Combined {
    /// Every backend's rows, newest first.
    pub rows: Vec<TraceRow>,
    pub summary: TraceSummary,
    pub warnings: Vec<ScanWarning>,
    /// Sources that gave no result, each as `name: why` (one line).
    pub failures: Vec<String>,
}

/// Runs `query` over `files` and every Exchange Online source in `online` (configs of kind
/// `exchange-online`; others are ignored). With `reasons`, Exchange Online rows that were not
/// delivered get their last reply from the per-recipient detail, as long as the request
/// budget allows (a warning says how many were left without one). Only "no log files at all
/// and no other source" is an error; a source that fails is named in `failures`.
pub fn query_all(
    files: &[ScanSource],
    online: &[TraceSourceConfig],
    query: &TraceQuery,
    now: DateTime<Utc>,
    reasons: bool,
    cancel: &AtomicBool,
) -> Result<Combined, TraceError> {
    let mut out = Combined::default();
    if !files.is_empty() {
        match collect_query(files, query, cancel) {
            Ok((rows, _, warnings)) => {
                out.rows = rows;
                out.warnings = warnings;
            }
            Err(e) if !online.is_empty() => out.failures.push(e.to_string()),
            Err(e) => return Err(e),
        }
    }
    if !online.is_empty() {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                out.failures.push(format!(
                    "Exchange Online: cannot start the network runtime: {e}"
                ));
                return Ok(finish(out, query));
            }
        };
        runtime.block_on(async {
            let http = match HttpClient::new(HttpOptions::default()) {
                Ok(h) => h,
                Err(e) => {
                    out.failures
                        .push(format!("Exchange Online: cannot set up HTTPS: {e}"));
                    return;
                }
            };
            for cfg in online {
                let mut tracer = match ExoTracer::new(cfg, http.clone()) {
                    Ok(t) => t,
                    Err(ExoError::NotExchangeOnline(_)) => continue,
                    Err(e) => {
                        out.failures.push(e.to_string());
                        continue;
                    }
                };
                let mut rows = Vec::new();
                let result = tracer
                    .query(query, now, |m| match m {
                        ScanMsg::Row(r) => rows.push(r),
                        ScanMsg::Warning(w) => out.warnings.push(w),
                        ScanMsg::Remove { .. } | ScanMsg::Progress(_) => {}
                    })
                    .await;
                if let Err(e) = result {
                    out.failures.push(format!("{}: {e}", cfg.name));
                }
                if reasons {
                    enrich_replies(&mut tracer, &mut rows, &mut out.warnings).await;
                }
                out.rows.extend(rows);
            }
        });
    }
    Ok(finish(out, query))
}

/// Gives the Exchange Online rows of `tracer` that were not delivered and have no reply their
/// last reply (one request each, while the request budget lasts); a warning says how many had
/// to do without.
pub async fn enrich_replies(
    tracer: &mut ExoTracer,
    rows: &mut [TraceRow],
    warnings: &mut Vec<ScanWarning>,
) {
    let mut left = 0usize;
    let mut first_error: Option<String> = None;
    let name = tracer.name().to_string();
    for row in rows
        .iter_mut()
        .filter(|r| r.source == name && r.status != TraceStatus::Delivered && r.reply.is_empty())
    {
        if first_error.is_some() || tracer.budget(Utc::now()).remaining() == 0 {
            left += 1;
            continue;
        }
        if let Err(e) = tracer.enrich_reply(row).await {
            first_error = Some(e.to_string());
            left += 1;
        }
    }
    if left > 0 {
        warnings.push(ScanWarning {
            source: tracer.name().to_string(),
            file: None,
            line: None,
            message: format!(
                "{left} row(s) not delivered have no reason: {}",
                first_error.unwrap_or_else(|| format!(
                    "the message-trace budget ({}) is used up; run the query again later or narrow it",
                    tracer.budget(Utc::now())
                ))
            ),
        });
    }
}

fn finish(mut out: Combined, query: &TraceQuery) -> Combined {
    sort_rows(&mut out.rows);
    out.summary = TraceSummary::from_rows(&out.rows, query);
    out
}
