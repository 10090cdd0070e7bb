//! Runs trace queries for the console: the scan on a blocking thread, its rows, progress and
//! warnings sent back as actions in batches, cancellable; the event chain of a message; the
//! evidence file of a kept result.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::action::TraceMsg;
use crate::domain::evidence::HashedFile;
use crate::domain::trace::{
    TraceQuery, TraceRow, TraceSourceConfig, TraceSourceKind, TraceSummary,
};
use crate::trace::exo::ExoTracer;
use crate::trace::{ScanMsg, ScanSource, TraceScan, chain, trace_json};

const BATCH_ROWS: usize = 500;
const BATCH_GAP: Duration = Duration::from_millis(100);

/// The trace sources and the query in flight.
pub struct TraceRunner {
    sources: Arc<Vec<ScanSource>>,
    /// Exchange Online sources, each kept for the console's life so its request budget holds.
    exo: Vec<Arc<tokio::sync::Mutex<ExoTracer>>>,
    /// Sources this build cannot scan from files, with the reason.
    skipped: Vec<String>,
    cancel: Option<Arc<AtomicBool>>,
    actions: UnboundedSender<Action>,
    /// The log files' scan, kept so that running the query again reads only what grew.
    live: Arc<std::sync::Mutex<Option<TraceScan>>>,
}

impl TraceRunner {
    pub fn new(configs: &[TraceSourceConfig], actions: UnboundedSender<Action>) -> Self {
        let mut sources = Vec::new();
        let mut skipped = Vec::new();
        let mut exo = Vec::new();
        let http = crate::net::HttpClient::new(crate::net::HttpOptions::default());
        for cfg in configs {
            if matches!(cfg.kind, TraceSourceKind::ExchangeOnline { .. }) {
                match http
                    .as_ref()
                    .map_err(|e| e.to_string())
                    .and_then(|h| ExoTracer::new(cfg, h.clone()).map_err(|e| e.to_string()))
                {
                    Ok(t) => exo.push(Arc::new(tokio::sync::Mutex::new(t))),
                    Err(e) => skipped.push(format!("{}: {e}", cfg.name)),
                }
                continue;
            }
            match ScanSource::from_config(cfg) {
                Ok(s) => sources.push(s),
                Err(e) => skipped.push(format!("{}: {e}", cfg.name)),
            }
        }
        TraceRunner {
            sources: Arc::new(sources),
            exo,
            skipped,
            cancel: None,
            actions,
            live: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Starts `query`, cancelling the one running: the log files on a blocking thread, each
    /// Exchange Online source as a task; one [`Action::TraceDone`] when all have ended. With
    /// `refresh` (the same query again, its rows on screen), the log files send only what
    /// changed since the last run, read from the bytes appended since.
    pub fn start(&mut self, request: u64, query: TraceQuery, refresh: bool) {
        self.cancel();
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Some(cancel.clone());
        let sources = self.sources.clone();
        let tx = self.actions.clone();
        let skipped = self.skipped.clone();
        let exo = self.exo.clone();
        let live = self.live.clone();
        tokio::spawn(async move {
            if !skipped.is_empty() {
                let _ = tx.send(Action::TraceBatch {
                    request,
                    msgs: skipped.into_iter().map(TraceMsg::Warning).collect(),
                });
            }
            let mut errors: Vec<String> = Vec::new();
            let files = (!sources.is_empty()).then(|| {
                let (tx, cancel, query) = (tx.clone(), cancel.clone(), query.clone());
                tokio::task::spawn_blocking(move || {
                    scan_files(&sources, &query, request, &tx, &cancel, &live, refresh)
                })
            });
            let exo_tasks: Vec<_> = exo
                .into_iter()
                .map(|t| {
                    let (tx, cancel, query) = (tx.clone(), cancel.clone(), query.clone());
                    tokio::spawn(async move { query_exo(&t, &query, request, &tx, &cancel).await })
                })
                .collect();
            if let Some(f) = files {
                match f.await {
                    Ok(Err(e)) => errors.push(e),
                    Err(e) => errors.push(format!("the log scan stopped: {e}")),
                    Ok(Ok(())) => {}
                }
            }
            for t in exo_tasks {
                match t.await {
                    Ok(Err(e)) => errors.push(e),
                    Err(e) => errors.push(format!("the Exchange Online query stopped: {e}")),
                    Ok(Ok(())) => {}
                }
            }
            let _ = tx.send(Action::TraceDone {
                request,
                error: (!errors.is_empty()).then(|| errors.join("; ")),
                cancelled: cancel.load(Ordering::Relaxed),
            });
        });
    }

    /// The request budget of every Exchange Online source, for the pane.
    pub fn report_budgets(&self) {
        for t in &self.exo {
            let (t, tx) = (t.clone(), self.actions.clone());
            tokio::spawn(async move {
                let t = t.lock().await;
                let _ = tx.send(Action::TraceBatch {
                    request: 0,
                    msgs: vec![TraceMsg::Budget {
                        source: t.name().to_string(),
                        text: t.budget(Utc::now()).to_string(),
                    }],
                });
            });
        }
    }

    /// Stops the running query, if any.
    pub fn cancel(&mut self) {
        if let Some(c) = self.cancel.take() {
            c.store(true, Ordering::Relaxed);
        }
    }

    /// Fetches the last reply of Exchange Online rows in the background, within each source's
    /// request budget; the rows come back as an update of `request`.
    pub fn enrich(&self, request: u64, rows: Vec<TraceRow>) {
        let (exo, tx) = (self.exo.clone(), self.actions.clone());
        tokio::spawn(async move {
            let mut rows = rows;
            let mut warnings = Vec::new();
            let mut msgs = Vec::new();
            for t in exo {
                let mut t = t.lock().await;
                crate::trace::all::enrich_replies(&mut t, &mut rows, &mut warnings).await;
                msgs.push(TraceMsg::Budget {
                    source: t.name().to_string(),
                    text: t.budget(Utc::now()).to_string(),
                });
            }
            msgs.extend(
                rows.into_iter()
                    .filter(|r| !r.reply.is_empty())
                    .map(TraceMsg::Row),
            );
            msgs.extend(
                warnings
                    .into_iter()
                    .map(|w| TraceMsg::Warning(w.to_string())),
            );
            let _ = tx.send(Action::TraceBatch { request, msgs });
        });
    }

    /// Loads the event chain of a row's message in the background.
    pub fn chain(&self, row: TraceRow) {
        let tx = self.actions.clone();
        if let Some(t) = self.exo.iter().find(|t| {
            t.try_lock()
                .map(|t| t.name() == row.source)
                .unwrap_or(false)
        }) {
            let t = t.clone();
            tokio::spawn(async move {
                let result = t
                    .lock()
                    .await
                    .chain(&row.key, &row.recipient)
                    .await
                    .map_err(|e| e.to_string());
                let _ = tx.send(Action::TraceChain {
                    key: row.key,
                    result,
                });
            });
            return;
        }
        let sources = self.sources.clone();
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

/// Batches scan messages into actions: every 500 rows or 100 ms.
struct Batcher<'a> {
    request: u64,
    tx: &'a UnboundedSender<Action>,
    buf: Vec<TraceMsg>,
    last: Instant,
}

impl<'a> Batcher<'a> {
    fn new(request: u64, tx: &'a UnboundedSender<Action>) -> Self {
        Batcher {
            request,
            tx,
            buf: Vec::new(),
            last: Instant::now(),
        }
    }

    fn push(&mut self, m: ScanMsg) {
        self.buf.push(match m {
            ScanMsg::Row(r) => TraceMsg::Row(r),
            ScanMsg::Remove { key, recipient } => TraceMsg::Remove { key, recipient },
            ScanMsg::Progress(p) => TraceMsg::Progress {
                done: p.bytes_done,
                total: p.bytes_total,
            },
            ScanMsg::Warning(w) => TraceMsg::Warning(w.to_string()),
        });
        self.flush_if_due();
    }

    fn push_msg(&mut self, m: TraceMsg) {
        self.buf.push(m);
        self.flush_if_due();
    }

    fn flush_if_due(&mut self) {
        if self.buf.len() >= BATCH_ROWS || self.last.elapsed() >= BATCH_GAP {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.tx.send(Action::TraceBatch {
                request: self.request,
                msgs: std::mem::take(&mut self.buf),
            });
        }
        self.last = Instant::now();
    }
}

fn scan_files(
    sources: &[ScanSource],
    query: &TraceQuery,
    request: u64,
    tx: &UnboundedSender<Action>,
    cancel: &AtomicBool,
    live: &std::sync::Mutex<Option<TraceScan>>,
    refresh: bool,
) -> Result<(), String> {
    let mut batch = Batcher::new(request, tx);
    // A run cancelled while it waited for the previous one holds nothing new.
    let mut guard = live.lock().unwrap_or_else(|p| p.into_inner());
    if cancel.load(Ordering::Relaxed) {
        return Ok(());
    }
    let reuse = guard.as_ref().is_some_and(|s| s.fits(sources, query));
    if !reuse {
        *guard = Some(TraceScan::new(sources, query));
    }
    let Some(scan) = guard.as_mut() else {
        return Ok(());
    };
    let delta = refresh && reuse && scan.can_delta();
    if delta {
        batch.push_msg(TraceMsg::Delta);
    }
    let result = scan
        .run(query, delta, |m| batch.push(m), cancel)
        .map_err(|e| e.to_string());
    if scan.messages() > MAX_KEPT_MESSAGES {
        // A query without addresses over big logs: keeping it would hold every message in
        // memory; the next run scans again instead.
        *guard = None;
    }
    batch.flush();
    result.map(|_| ())
}

/// Above this many messages a query's scan is not kept for the next refresh.
const MAX_KEPT_MESSAGES: usize = 500_000;

async fn query_exo(
    tracer: &tokio::sync::Mutex<ExoTracer>,
    query: &TraceQuery,
    request: u64,
    tx: &UnboundedSender<Action>,
    cancel: &AtomicBool,
) -> Result<(), String> {
    let mut t = tracer.lock().await;
    let name = t.name().to_string();
    let mut batch = Batcher::new(request, tx);
    let result = {
        let run = t.query(query, Utc::now(), |m| batch.push(m));
        tokio::pin!(run);
        loop {
            tokio::select! {
                r = &mut run => break r.map(|_| ()).map_err(|e| format!("{name}: {e}")),
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    if cancel.load(Ordering::Relaxed) {
                        break Ok(());
                    }
                }
            }
        }
    };
    batch.flush();
    let _ = tx.send(Action::TraceBatch {
        request: 0,
        msgs: vec![TraceMsg::Budget {
            source: name,
            text: t.budget(Utc::now()).to_string(),
        }],
    });
    result
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
    save_evidence_hashed(incident_dir, query, rows, summary, now).map(|f| f.file)
}

/// [`save_evidence`], with the file's size and SHA-256 (which the `trace_snapshot` event
/// records, so that `warroom evidence verify` checks it).
pub fn save_evidence_hashed(
    incident_dir: &Path,
    query: &str,
    rows: &[TraceRow],
    summary: &TraceSummary,
    now: DateTime<Utc>,
) -> Result<HashedFile, String> {
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
    use crate::store::fsutil;
    if let Some(dir) = path.parent() {
        fsutil::create_dir_all_synced(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fsutil::write_atomic(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(HashedFile {
        file: rel.display().to_string(),
        size: text.len() as u64,
        sha256: crate::evidence::hash::sha256_hex(&text),
    })
}
