//! Runs trace queries for the console: the scan on a blocking thread, its rows, progress and
//! warnings sent back as actions in batches, cancellable; the event chain of a message; the
//! evidence file of a kept result.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::app::Action;
use super::trace_pane::TraceMsg;
use crate::domain::trace::{TraceQuery, TraceRow, TraceSourceConfig, TraceSummary};
use crate::trace::{ScanMsg, ScanSource, chain, run_query, trace_json};

const BATCH_ROWS: usize = 500;
const BATCH_GAP: Duration = Duration::from_millis(100);

/// The trace sources and the query in flight.
pub struct TraceRunner {
    sources: Arc<Vec<ScanSource>>,
    /// Sources this build cannot scan from files, with the reason.
    skipped: Vec<String>,
    cancel: Option<Arc<AtomicBool>>,
    actions: UnboundedSender<Action>,
}

impl TraceRunner {
    pub fn new(configs: &[TraceSourceConfig], actions: UnboundedSender<Action>) -> Self {
        let mut sources = Vec::new();
        let mut skipped = Vec::new();
        for cfg in configs {
            match ScanSource::from_config(cfg) {
                Ok(s) => sources.push(s),
                Err(e) => skipped.push(format!("{}: {e}", cfg.name)),
            }
        }
        TraceRunner {
            sources: Arc::new(sources),
            skipped,
            cancel: None,
            actions,
        }
    }

    /// Starts `query`, cancelling the one running.
    pub fn start(&mut self, request: u64, query: TraceQuery) {
        self.cancel();
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Some(cancel.clone());
        let sources = self.sources.clone();
        let tx = self.actions.clone();
        let skipped = self.skipped.clone();
        tokio::task::spawn_blocking(move || {
            let mut buf: Vec<TraceMsg> = skipped.into_iter().map(TraceMsg::Warning).collect();
            let mut last = Instant::now();
            let send = |buf: &mut Vec<TraceMsg>| {
                if !buf.is_empty() {
                    let _ = tx.send(Action::TraceBatch {
                        request,
                        msgs: std::mem::take(buf),
                    });
                }
            };
            let result = if sources.is_empty() {
                Err("no trace source can be scanned here".to_string())
            } else {
                run_query(
                    &sources,
                    &query,
                    |m| {
                        buf.push(match m {
                            ScanMsg::Row(r) => TraceMsg::Row(r),
                            ScanMsg::Remove { key, recipient } => {
                                TraceMsg::Remove { key, recipient }
                            }
                            ScanMsg::Progress(p) => TraceMsg::Progress {
                                done: p.bytes_done,
                                total: p.bytes_total,
                            },
                            ScanMsg::Warning(w) => TraceMsg::Warning(w.to_string()),
                        });
                        if buf.len() >= BATCH_ROWS || last.elapsed() >= BATCH_GAP {
                            send(&mut buf);
                            last = Instant::now();
                        }
                    },
                    &cancel,
                )
                .map_err(|e| e.to_string())
            };
            send(&mut buf);
            let _ = tx.send(Action::TraceDone {
                request,
                error: result.err(),
                cancelled: cancel.load(Ordering::Relaxed),
            });
        });
    }

    /// Stops the running query, if any.
    pub fn cancel(&mut self) {
        if let Some(c) = self.cancel.take() {
            c.store(true, Ordering::Relaxed);
        }
    }

    /// Loads the event chain of a row's message in the background.
    pub fn chain(&self, row: TraceRow) {
        let sources = self.sources.clone();
        let tx = self.actions.clone();
        tokio::task::spawn_blocking(move || {
            let never = AtomicBool::new(false);
            let result = chain(&sources, &row.key, &never)
                .map(|c| c.events)
                .map_err(|e| e.to_string());
            let _ = tx.send(Action::TraceChain {
                key: row.key,
                result,
            });
        });
    }
}

/// Writes a kept result to `<incident>/evidence/trace-<time>.json` and returns the path relative
/// to the incident folder.
pub fn save_evidence(
    incident_dir: &Path,
    query: &str,
    rows: &[TraceRow],
    summary: &TraceSummary,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let rel =
        PathBuf::from("evidence").join(format!("trace-{}.json", now.format("%Y%m%dT%H%M%S%.3fZ")));
    let path = incident_dir.join(&rel);
    let mut doc = trace_json(rows, summary);
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("query".into(), serde_json::Value::String(query.to_string()));
        obj.insert(
            "taken_at".into(),
            serde_json::Value::String(now.to_rfc3339()),
        );
    }
    let text = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(rel.display().to_string())
}
