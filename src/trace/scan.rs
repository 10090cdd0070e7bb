//! The streaming scan over log files.
//!
//! # How it works
//!
//! - Every file is one job; worker threads (one per core) take jobs largest first. A worker
//!   reads its file in [`CHUNK`]-sized blocks of whole lines, so memory does not grow with the
//!   file size, and checks the cancel flag between blocks.
//! - Blocks are searched in place for the query's text terms (sender, recipient, message id,
//!   subject) with [`FoldedFinder`], an ASCII case-insensitive pair prefilter: no lower-cased
//!   copy of the data is made. Only lines it selects are parsed.
//! - Workers send parsed events to the calling thread, which folds them into one state per
//!   message (across files, servers and sources) and streams [`ScanMsg::Row`]s to the sink.
//!
//! # Prefilter rules (correlation)
//!
//! - **Exchange**: every MSGTRK line carries the message's sender, recipients, message id and
//!   subject, so a line is parsed only when it contains *all* the query's terms. The exact,
//!   field-aware match is then made on the assembled message.
//! - **Postfix**: a message's facts are spread over lines tied by the queue id (the sender is
//!   only on the qmgr line, the recipient only on delivery lines, the message id only on the
//!   cleanup line). So each worker cuts out the queue id of every line (cheap byte scanning,
//!   no parsing) and keeps the raw lines of each open message. A message is a *hit* when *any*
//!   of its lines contains *any* term. At qmgr's `removed`, a message whose whole life is in
//!   this file is parsed and sent only if it is a hit, otherwise its lines are dropped. Messages
//!   that started in an earlier file or are still open at the end of the file are always sent
//!   (their other half may hold the matching line) and the aggregator merges them by queue id.
//!   Per-message state is therefore bounded by the number of messages open at once, not by log
//!   size; a message keeps at most [`MAX_LINES_PER_MESSAGE`] lines (the first ones and the
//!   latest ones).
//!
//! # Rows
//!
//! Rows are upserts: a later [`ScanMsg::Row`] with the same `(key, recipient)` replaces the
//! earlier one (a message's status can change as more of its files are read), and
//! [`ScanMsg::Remove`] withdraws a row that no longer matches the query.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::{Duration, Instant};

use super::fold::FoldedFinder;
use chrono::{DateTime, Utc};

use super::exchange_logs::{self, FileState, LineError};
use super::files::{self, Block, CHUNK, Chunker};
use super::postfix;
use super::{AggKey, Effect, RawEvent, TraceError};
use crate::domain::trace::{
    TraceEvent, TraceQuery, TraceRow, TraceSourceConfig, TraceSourceKind, TraceStatus,
    TraceSummary, normalize_term,
};

/// Lines kept per open Postfix message; beyond that the oldest retries are dropped (the
/// first [`KEEP_FIRST_LINES`] lines, which carry sender and message id, always stay).
pub const MAX_LINES_PER_MESSAGE: usize = 64;
const KEEP_FIRST_LINES: usize = 16;
/// Deferral times kept per recipient.
const MAX_DEFERRALS: usize = 256;

/// Which parser a source's files need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    ExchangeLogs,
    Postfix,
}

/// A file-based trace source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSource {
    pub name: String,
    pub kind: LogKind,
    /// A folder, a file, or a glob in the file name (`/var/log/mail.log*`).
    pub path: PathBuf,
    /// Reference time for the year of classic syslog stamps; default: each file's
    /// modification time.
    pub year_reference: Option<DateTime<Utc>>,
}

impl ScanSource {
    pub fn exchange_logs(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        ScanSource {
            name: name.into(),
            kind: LogKind::ExchangeLogs,
            path: path.into(),
            year_reference: None,
        }
    }

    pub fn postfix(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        ScanSource {
            name: name.into(),
            kind: LogKind::Postfix,
            path: path.into(),
            year_reference: None,
        }
    }

    /// The scan source for a configured trace source; Exchange Online is not file based.
    pub fn from_config(cfg: &TraceSourceConfig) -> Result<ScanSource, TraceError> {
        match &cfg.kind {
            TraceSourceKind::ExchangeLogs { path } => {
                Ok(ScanSource::exchange_logs(cfg.name.clone(), path.clone()))
            }
            TraceSourceKind::Postfix { path } => {
                Ok(ScanSource::postfix(cfg.name.clone(), path.clone()))
            }
            TraceSourceKind::ExchangeOnline { .. } => {
                Err(TraceError::NotAFileSource(cfg.name.clone()))
            }
        }
    }

    /// The files this source names right now. A folder yields its `MSGTRK*.LOG` files
    /// (Exchange) or its `mail*` files (Postfix).
    pub fn files(&self) -> io::Result<Vec<PathBuf>> {
        match self.kind {
            LogKind::ExchangeLogs => files::list_files(&self.path, exchange_logs::is_msgtrk_name),
            LogKind::Postfix => files::list_files(&self.path, |n| n.starts_with("mail")),
        }
    }
}

/// Bytes scanned so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: usize,
    pub files_total: usize,
}

impl Progress {
    /// 0.0 ..= 1.0
    pub fn fraction(&self) -> f64 {
        if self.bytes_total == 0 {
            1.0
        } else {
            (self.bytes_done as f64 / self.bytes_total as f64).min(1.0)
        }
    }
}

/// A problem with one source, file or line; the scan went on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanWarning {
    pub source: String,
    pub file: Option<PathBuf>,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for ScanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(p) = &self.file {
            write!(f, ": {}", p.display())?;
        }
        if let Some(l) = &self.line {
            write!(f, ":{l}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What the scan reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanMsg {
    /// A matching row, new or replacing the one with the same `(key, recipient)`.
    Row(TraceRow),
    /// The row `(key, recipient)` sent earlier no longer matches.
    Remove {
        key: String,
        recipient: String,
    },
    Progress(Progress),
    Warning(ScanWarning),
}

/// Totals of a finished (or cancelled) scan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanStats {
    pub files: usize,
    pub bytes: u64,
    /// Lines that passed the prefilter and were parsed.
    pub lines_parsed: u64,
    /// Rows matching at the end.
    pub rows: usize,
    pub warnings: usize,
    pub cancelled: bool,
    pub elapsed: Duration,
}

/// Runs `query` over every file of `sources`, calling `sink` on this thread with rows,
/// progress and warnings as they come. Blocks until done or `cancel` is set (checked between
/// chunks). Only an empty file set is an error; bad files and lines are warnings.
pub fn run_query(
    sources: &[ScanSource],
    query: &TraceQuery,
    mut sink: impl FnMut(ScanMsg),
    cancel: &AtomicBool,
) -> Result<ScanStats, TraceError> {
    let needles = Needles::new(query.text_terms().into_iter().flatten().collect());
    let mut agg = Aggregator::new(sources, false);
    let mut stats = drive(sources, &needles, cancel, &mut |incoming| match incoming {
        Incoming::Events(evs) => {
            for ev in evs {
                agg.fold(ev);
            }
            agg.emit(query, &mut sink);
        }
        Incoming::Msg(m) => sink(m),
    })?;
    stats.rows = agg.emitted_rows();
    Ok(stats)
}

/// [`run_query`] collected: rows (newest first), their summary and the warnings.
pub fn collect_query(
    sources: &[ScanSource],
    query: &TraceQuery,
    cancel: &AtomicBool,
) -> Result<(Vec<TraceRow>, TraceSummary, Vec<ScanWarning>), TraceError> {
    let mut rows: HashMap<(String, String), TraceRow> = HashMap::new();
    let mut warnings = Vec::new();
    run_query(
        sources,
        query,
        |m| match m {
            ScanMsg::Row(r) => {
                rows.insert((r.key.clone(), r.recipient.to_lowercase()), r);
            }
            ScanMsg::Remove { key, recipient } => {
                rows.remove(&(key, recipient.to_lowercase()));
            }
            ScanMsg::Warning(w) => warnings.push(w),
            ScanMsg::Progress(_) => {}
        },
        cancel,
    )?;
    let mut rows: Vec<TraceRow> = rows.into_values().collect();
    sort_rows(&mut rows);
    let summary = TraceSummary::from_rows(&rows, query);
    Ok((rows, summary, warnings))
}

/// Newest first, then by key and recipient (the order `Get-MessageTrace` uses).
pub fn sort_rows(rows: &mut [TraceRow]) {
    rows.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.recipient.cmp(&b.recipient))
    });
}

/// Result of [`chain`].
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// Every event of the message, oldest first, across files, servers and sources.
    pub events: Vec<TraceEvent>,
    pub warnings: Vec<ScanWarning>,
}

/// The whole event chain of one message. `id` is a message id (angle brackets optional), a
/// row's `key` (`source/QUEUEID` for Postfix), or a bare Postfix queue id. Exchange DSNs that
/// refer to the message are included.
pub fn chain(sources: &[ScanSource], id: &str, cancel: &AtomicBool) -> Result<Chain, TraceError> {
    let (src_filter, term) = match id.split_once('/') {
        Some((src, qid)) if sources.iter().any(|s| s.name == src) => {
            (sources.iter().position(|s| s.name == src), qid)
        }
        _ => (None, id),
    };
    let Some(term) = normalize_term(term) else {
        return Ok(Chain::default());
    };
    let needles = Needles::new(vec![term.clone()]);
    let mut agg = Aggregator::new(sources, true);
    let mut warnings = Vec::new();
    drive(sources, &needles, cancel, &mut |incoming| match incoming {
        Incoming::Events(evs) => {
            for ev in evs {
                agg.fold(ev);
            }
        }
        Incoming::Msg(ScanMsg::Warning(w)) => warnings.push(w),
        Incoming::Msg(_) => {}
    })?;
    let norm = |s: &str| normalize_term(s).unwrap_or_default();
    let mut events: Vec<TraceEvent> = Vec::new();
    for (key, a) in agg.aggs {
        let selected = match &key {
            AggKey::Exchange(m) => {
                norm(m) == term
                    || norm(&a.message_id) == term
                    || a.references.iter().any(|r| norm(r) == term)
            }
            AggKey::Postfix { source, qid } => {
                (src_filter.is_none() || src_filter == Some(*source))
                    && (qid.to_lowercase() == term || norm(&a.message_id) == term)
            }
            AggKey::Single(s) => s.to_lowercase() == term,
        };
        if selected {
            events.extend(a.events);
        }
    }
    events.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
    });
    Ok(Chain { events, warnings })
}

// ---------------------------------------------------------------------------------------
// Driving the workers.

enum Incoming {
    Events(Vec<RawEvent>),
    Msg(ScanMsg),
}

enum WorkerMsg {
    Events(Vec<RawEvent>),
    Read(u64),
    Parsed(u64),
    FileDone,
    Warning(ScanWarning),
}

struct Job {
    source: usize,
    path: PathBuf,
    size: u64,
}

/// The query's terms as case-insensitive finders.
struct Needles {
    finders: Vec<FoldedFinder>,
}

impl Needles {
    fn new(terms: Vec<String>) -> Needles {
        let mut bytes: Vec<Vec<u8>> = terms
            .into_iter()
            .map(|t| {
                // The raw CSV line doubles quotes and the query may carry them: search for
                // the longest quote-free piece.
                t.split('"')
                    .max_by_key(|p| p.len())
                    .unwrap_or("")
                    .as_bytes()
                    .to_vec()
            })
            .filter(|t| !t.is_empty())
            .collect();
        // Longest (usually most selective) first: it drives the block search.
        bytes.sort_by_key(|b| std::cmp::Reverse(b.len()));
        Needles {
            finders: bytes.iter().map(|b| FoldedFinder::new(b)).collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.finders.is_empty()
    }
}

fn drive(
    sources: &[ScanSource],
    needles: &Needles,
    cancel: &AtomicBool,
    out: &mut dyn FnMut(Incoming),
) -> Result<ScanStats, TraceError> {
    let started = Instant::now();
    let mut stats = ScanStats::default();
    let mut jobs = Vec::new();
    let mut problems = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        match s.files() {
            Ok(fs) if fs.is_empty() => {
                problems.push(format!("{}: nothing matches {}", s.name, s.path.display()));
            }
            Ok(fs) => {
                for path in fs {
                    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    jobs.push(Job {
                        source: i,
                        path,
                        size,
                    });
                }
            }
            Err(e) => problems.push(format!("{}: {}: {e}", s.name, s.path.display())),
        }
    }
    if jobs.is_empty() {
        return Err(TraceError::NoFiles(if problems.is_empty() {
            "no sources configured".to_string()
        } else {
            problems.join("; ")
        }));
    }
    for p in problems {
        stats.warnings += 1;
        let (source, message) = p.split_once(": ").unwrap_or(("", &p));
        out(Incoming::Msg(ScanMsg::Warning(ScanWarning {
            source: source.to_string(),
            file: None,
            line: None,
            message: message.to_string(),
        })));
    }
    jobs.sort_by_key(|j| std::cmp::Reverse(j.size));
    let mut progress = Progress {
        bytes_done: 0,
        bytes_total: jobs.iter().map(|j| j.size).sum(),
        files_done: 0,
        files_total: jobs.len(),
    };
    out(Incoming::Msg(ScanMsg::Progress(progress)));
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let (tx, rx) = sync_channel::<WorkerMsg>(64);
    let step = (progress.bytes_total / 200).max(1);
    let mut last_reported = 0u64;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (jobs, next) = (&jobs, &next);
            scope.spawn(move || {
                let mut buf = Vec::new();
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let src = &sources[job.source];
                    let res = catch_unwind(AssertUnwindSafe(|| {
                        scan_file(job, src, needles, cancel, &tx, &mut buf)
                    }));
                    if res.is_err() {
                        let _ = tx.send(WorkerMsg::Warning(ScanWarning {
                            source: src.name.clone(),
                            file: Some(job.path.clone()),
                            line: None,
                            message: "internal error while reading this file; skipped".into(),
                        }));
                    }
                    if tx.send(WorkerMsg::FileDone).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for msg in rx {
            match msg {
                WorkerMsg::Events(evs) => {
                    if !cancel.load(Ordering::Relaxed) {
                        out(Incoming::Events(evs));
                    }
                }
                WorkerMsg::Read(n) => {
                    progress.bytes_done += n;
                    stats.bytes += n;
                    progress.bytes_total = progress.bytes_total.max(progress.bytes_done);
                    if progress.bytes_done - last_reported >= step {
                        last_reported = progress.bytes_done;
                        out(Incoming::Msg(ScanMsg::Progress(progress)));
                    }
                }
                WorkerMsg::Parsed(n) => stats.lines_parsed += n,
                WorkerMsg::FileDone => {
                    progress.files_done += 1;
                    stats.files += 1;
                    out(Incoming::Msg(ScanMsg::Progress(progress)));
                }
                WorkerMsg::Warning(w) => {
                    stats.warnings += 1;
                    out(Incoming::Msg(ScanMsg::Warning(w)));
                }
            }
        }
    });
    stats.cancelled = cancel.load(Ordering::Relaxed);
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// Reads one file to its current end and sends what it finds.
fn scan_file(
    job: &Job,
    src: &ScanSource,
    needles: &Needles,
    cancel: &AtomicBool,
    tx: &SyncSender<WorkerMsg>,
    buf: &mut Vec<u8>,
) {
    let file = Arc::new(job.path.clone());
    let warn = |line: Option<u64>, message: String| {
        let _ = tx.send(WorkerMsg::Warning(ScanWarning {
            source: src.name.clone(),
            file: Some(job.path.clone()),
            line,
            message,
        }));
    };
    let (reader, counter) = match files::open_log(&job.path) {
        Ok(r) => r,
        Err(e) => {
            warn(None, format!("cannot open: {e}"));
            return;
        }
    };
    let mut parser = match src.kind {
        LogKind::ExchangeLogs => {
            FileParser::Exchange(Box::new(ExchangeFile::new(Arc::clone(&file), job.source)))
        }
        LogKind::Postfix => {
            let reference = src.year_reference.unwrap_or_else(|| mtime(&job.path));
            FileParser::Postfix(PostfixFile::new(Arc::clone(&file), job.source, reference))
        }
    };
    let mut chunker = Chunker::with_buffer(reader, std::mem::take(buf));
    let mut reported = 0u64;
    let mut first = true;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let block = match chunker.next_block() {
            Ok(b) => b,
            Err(e) => {
                warn(
                    None,
                    format!("read error ({e}); the rest of the file is skipped"),
                );
                break;
            }
        };
        let mut events = Vec::new();
        let mut lines = 0;
        match block {
            Block::End => break,
            Block::Overlong(line) => {
                warn(
                    Some(line),
                    format!("line longer than {} KiB, skipped", CHUNK >> 10),
                );
            }
            Block::Unterminated(_, line) => {
                warn(
                    Some(line),
                    "incomplete last line (no line end), skipped".into(),
                );
            }
            Block::Lines(data, first_line) => {
                if first {
                    first = false;
                    if let Some(reason) = parser.reject_start(data) {
                        warn(None, format!("{reason}; file skipped"));
                        return;
                    }
                }
                lines = parser.block(data, first_line, needles, &mut events);
                if !events.is_empty() {
                    let _ = tx.send(WorkerMsg::Parsed(events.len() as u64));
                }
            }
        }
        chunker.advance_lines(lines);
        let now = counter.load(Ordering::Relaxed);
        if now > reported {
            let _ = tx.send(WorkerMsg::Read(now - reported));
            reported = now;
        }
        if !events.is_empty() && tx.send(WorkerMsg::Events(events)).is_err() {
            return;
        }
    }
    *buf = chunker.into_buffer();
    let mut events = Vec::new();
    for (line, message) in parser.finish(&mut events) {
        warn(line, message);
    }
    let now = counter.load(Ordering::Relaxed);
    if now > reported {
        let _ = tx.send(WorkerMsg::Read(now - reported));
    }
    if !events.is_empty() {
        let _ = tx.send(WorkerMsg::Events(events));
    }
}

fn mtime(path: &Path) -> DateTime<Utc> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now())
}

fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8192)]).is_some()
}

enum FileParser {
    Exchange(Box<ExchangeFile>),
    Postfix(PostfixFile),
}

impl FileParser {
    fn reject_start(&self, data: &[u8]) -> Option<String> {
        if looks_binary(data) {
            return Some("binary data, not a text log".into());
        }
        match self {
            FileParser::Exchange(_) if data.first() != Some(&b'#') => {
                Some("not a message tracking log (no #Software/#Fields header)".into())
            }
            _ => None,
        }
    }

    fn block(
        &mut self,
        data: &[u8],
        first_line: u64,
        needles: &Needles,
        out: &mut Vec<RawEvent>,
    ) -> u64 {
        match self {
            FileParser::Exchange(f) => f.block(data, first_line, needles, out),
            FileParser::Postfix(f) => f.block(data, first_line, needles, out),
        }
    }

    /// Flushes what is left and returns warnings.
    fn finish(&mut self, out: &mut Vec<RawEvent>) -> Vec<(Option<u64>, String)> {
        match self {
            FileParser::Exchange(f) => f.finish(),
            FileParser::Postfix(f) => f.finish(out),
        }
    }
}

struct ExchangeFile {
    state: FileState,
    past_header: bool,
    file: Arc<PathBuf>,
    source: usize,
    bad: u64,
    first_bad: Option<(u64, LineError)>,
}

impl ExchangeFile {
    fn new(file: Arc<PathBuf>, source: usize) -> Self {
        ExchangeFile {
            state: FileState::default(),
            past_header: false,
            file,
            source,
            bad: 0,
            first_bad: None,
        }
    }

    fn line(&mut self, line: &[u8], no: u64, out: &mut Vec<RawEvent>) {
        if line.first() == Some(&b'#') {
            self.state.apply_header(line);
            return;
        }
        if exchange_logs::trim_cr(line).is_empty() {
            return;
        }
        match self.state.parse(line) {
            Ok(rec) => out.push(exchange_logs::to_event(rec, self.source, &self.file, no)),
            Err(e) => {
                self.bad += 1;
                if self.first_bad.is_none() {
                    self.first_bad = Some((no, e));
                }
            }
        }
    }

    /// Processes a block of whole lines; returns how many lines it held.
    fn block(
        &mut self,
        data: &[u8],
        first_line: u64,
        needles: &Needles,
        out: &mut Vec<RawEvent>,
    ) -> u64 {
        if needles.is_empty() {
            let mut start = 0;
            let mut lines = 0;
            for (no, nl) in (first_line..).zip(memchr::memchr_iter(b'\n', data)) {
                self.line(&data[start..nl], no, out);
                start = nl + 1;
                lines += 1;
            }
            return lines;
        }
        let mut no = first_line;
        let mut p = 0usize;
        // The header at the top of the file (never a candidate: it has no query term).
        if !self.past_header {
            while p < data.len() && data[p] == b'#' {
                let e = memchr::memchr(b'\n', &data[p..]).map_or(data.len(), |x| p + x);
                self.state.apply_header(&data[p..e]);
                p = e + 1;
                no += 1;
            }
            self.past_header = p < data.len();
        }
        let mut counted = p;
        let Some((primary, others)) = needles.finders.split_first() else {
            return 0;
        };
        while p < data.len() {
            let Some(pos) = primary.find_from(data, p) else {
                break;
            };
            let ls = memchr::memrchr(b'\n', &data[..pos]).map_or(0, |x| x + 1);
            let le = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |x| pos + x);
            p = le + 1;
            let cand = &data[ls..le];
            if data[ls] != b'#' && !others.iter().all(|f| f.find(cand).is_some()) {
                continue;
            }
            no += memchr::memchr_iter(b'\n', &data[counted..ls]).count() as u64;
            counted = ls;
            if self.field_count_differs(cand) {
                // A writer restarted inside this file: pick up the nearest #Fields above.
                if let Some(h) = memchr::memmem::rfind(&data[..ls], b"\n#Fields:") {
                    let he =
                        memchr::memchr(b'\n', &data[h + 1..]).map_or(data.len(), |x| h + 1 + x);
                    self.state.apply_header(&data[h + 1..he]);
                }
            }
            self.line(cand, no, out);
        }
        no += memchr::memchr_iter(b'\n', &data[counted..]).count() as u64;
        no - first_line
    }

    /// Cheap check before parsing: does the line have another number of commas outside
    /// quotes than the map expects? (Only consulted to look for a new header.)
    fn field_count_differs(&self, line: &[u8]) -> bool {
        let Some(map) = &self.state.map else {
            return true;
        };
        let mut fields = 1usize;
        let mut quoted = false;
        for &b in line {
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => fields += 1,
                _ => {}
            }
        }
        fields != map.count
    }

    fn finish(&mut self) -> Vec<(Option<u64>, String)> {
        match &self.first_bad {
            Some((line, e)) if self.bad == 1 => vec![(Some(*line), format!("skipped: {e}"))],
            Some((line, e)) => vec![(
                Some(*line),
                format!("{} lines skipped; the first: {e}", self.bad),
            )],
            None => vec![],
        }
    }
}

struct OpenMessage {
    lines: Vec<(u64, Box<[u8]>)>,
    hit: bool,
    started: bool,
    elided: u32,
}

struct PostfixFile {
    open: HashMap<Vec<u8>, OpenMessage>,
    file: Arc<PathBuf>,
    source: usize,
    reference: DateTime<Utc>,
    lines_seen: u64,
    postfix_lines: u64,
    bad: u64,
    first_bad: Option<u64>,
    elided: u64,
}

impl PostfixFile {
    fn new(file: Arc<PathBuf>, source: usize, reference: DateTime<Utc>) -> Self {
        PostfixFile {
            open: HashMap::new(),
            file,
            source,
            reference,
            lines_seen: 0,
            postfix_lines: 0,
            bad: 0,
            first_bad: None,
            elided: 0,
        }
    }

    fn parse_into(&mut self, no: u64, raw: &[u8], out: &mut Vec<RawEvent>) {
        match postfix::parse_line(raw, self.reference) {
            Some(rec) => out.push(postfix::to_event(rec, self.source, &self.file, no)),
            None => {
                self.bad += 1;
                self.first_bad.get_or_insert(no);
            }
        }
    }

    fn flush(&mut self, msg: OpenMessage, out: &mut Vec<RawEvent>) {
        self.elided += u64::from(msg.elided);
        for (no, raw) in msg.lines {
            self.parse_into(no, &raw, out);
        }
    }

    fn block(
        &mut self,
        data: &[u8],
        first_line: u64,
        needles: &Needles,
        out: &mut Vec<RawEvent>,
    ) -> u64 {
        let mut lines = 0u64;
        // Sorted positions of every term occurrence in the block.
        let mut hits: Vec<usize> = Vec::new();
        if !needles.is_empty() {
            for f in &needles.finders {
                hits.extend(f.find_iter(data));
            }
            hits.sort_unstable();
        }
        let all = needles.is_empty();
        let mut hi = 0usize;
        let mut start = 0usize;
        for (line_no, nl) in (first_line..).zip(memchr::memchr_iter(b'\n', data)) {
            lines += 1;
            let line = &data[start..nl];
            let line_start = start;
            start = nl + 1;
            let mut line_hit = all;
            while hi < hits.len() && hits[hi] < nl {
                if hits[hi] >= line_start {
                    line_hit = true;
                }
                hi += 1;
            }
            self.lines_seen += 1;
            let Some(h) = postfix::head(line) else {
                continue;
            };
            self.postfix_lines += 1;
            let Some(qid) = h.qid else { continue };
            if qid == b"NOQUEUE" {
                if line_hit {
                    self.parse_into(line_no, line, out);
                }
                continue;
            }
            let removed = postfix::is_removed(h.body);
            let msg = match self.open.get_mut(qid) {
                Some(m) => m,
                None => self.open.entry(qid.to_vec()).or_insert(OpenMessage {
                    lines: Vec::new(),
                    hit: false,
                    started: postfix::is_start(h.body),
                    elided: 0,
                }),
            };
            msg.hit |= line_hit;
            if msg.lines.len() >= MAX_LINES_PER_MESSAGE {
                msg.lines.remove(KEEP_FIRST_LINES);
                msg.elided += 1;
            }
            msg.lines.push((line_no, line.into()));
            if removed && let Some(msg) = self.open.remove(qid) {
                if msg.started && !msg.hit {
                    continue;
                }
                self.flush(msg, out);
            }
        }
        lines
    }

    fn finish(&mut self, out: &mut Vec<RawEvent>) -> Vec<(Option<u64>, String)> {
        let open: Vec<OpenMessage> = self.open.drain().map(|(_, m)| m).collect();
        for m in open {
            self.flush(m, out);
        }
        let mut warnings = Vec::new();
        if self.lines_seen > 0 && self.postfix_lines == 0 {
            warnings.push((None, "no Postfix lines found".to_string()));
        }
        if let Some(first) = self.first_bad {
            warnings.push((
                Some(first),
                format!("{} Postfix lines could not be read, skipped", self.bad),
            ));
        }
        if self.elided > 0 {
            warnings.push((
                None,
                format!(
                    "{} lines of very long-lived messages were left out of their chains",
                    self.elided
                ),
            ));
        }
        warnings
    }
}

// ---------------------------------------------------------------------------------------
// Folding events into messages and rows.

type StatusAt = (DateTime<Utc>, u8, TraceStatus);

struct Recipient {
    display: String,
    status: Option<StatusAt>,
    reply: Option<(DateTime<Utc>, String)>,
    deferrals: Vec<DateTime<Utc>>,
}

struct MessageAgg {
    sources: Vec<usize>,
    message_id: String,
    sender: Option<(DateTime<Utc>, String)>,
    subject: Option<(DateTime<Utc>, String)>,
    first: DateTime<Utc>,
    recipients: BTreeMap<String, Recipient>,
    progress: Option<StatusAt>,
    terminal: Option<(DateTime<Utc>, String)>,
    references: BTreeSet<String>,
    emitted: BTreeSet<String>,
    events: Vec<TraceEvent>,
}

struct Aggregator<'a> {
    sources: &'a [ScanSource],
    keep_events: bool,
    aggs: HashMap<AggKey, MessageAgg>,
    dirty: Vec<AggKey>,
    dirty_set: std::collections::HashSet<AggKey>,
}

fn newer(a: (DateTime<Utc>, u8), b: Option<&StatusAt>) -> bool {
    match b {
        None => true,
        Some((t, r, _)) => (a.0, a.1) >= (*t, *r),
    }
}

impl<'a> Aggregator<'a> {
    fn new(sources: &'a [ScanSource], keep_events: bool) -> Self {
        Aggregator {
            sources,
            keep_events,
            aggs: HashMap::new(),
            dirty: Vec::new(),
            dirty_set: Default::default(),
        }
    }

    fn fold(&mut self, ev: RawEvent) {
        let agg = self
            .aggs
            .entry(ev.key.clone())
            .or_insert_with(|| MessageAgg {
                sources: Vec::new(),
                message_id: String::new(),
                sender: None,
                subject: None,
                first: ev.time,
                recipients: BTreeMap::new(),
                progress: None,
                terminal: None,
                references: BTreeSet::new(),
                emitted: BTreeSet::new(),
                events: Vec::new(),
            });
        agg.first = agg.first.min(ev.time);
        if !agg.sources.contains(&ev.source) {
            agg.sources.push(ev.source);
            agg.sources.sort_unstable();
        }
        if agg.message_id.is_empty() && !ev.message_id.is_empty() {
            agg.message_id = ev.message_id.clone();
        }
        if let Some(s) = &ev.sender
            && agg.sender.as_ref().is_none_or(|(t, _)| ev.time < *t)
        {
            agg.sender = Some((ev.time, s.clone()));
        }
        if let Some(s) = &ev.subject
            && !s.is_empty()
            && agg.subject.as_ref().is_none_or(|(t, _)| ev.time < *t)
        {
            agg.subject = Some((ev.time, s.clone()));
        }
        if let Some(r) = &ev.reference {
            agg.references.insert(r.clone());
        }
        let status = ev.effect.status();
        if ev.recipients.is_empty() {
            match ev.effect {
                Effect::Expired | Effect::Failed => {
                    if agg.terminal.as_ref().is_none_or(|(t, _)| ev.time >= *t) {
                        agg.terminal = Some((ev.time, ev.reply.clone()));
                    }
                }
                _ => {
                    if let Some((st, rank)) = status
                        && newer((ev.time, rank), agg.progress.as_ref())
                    {
                        agg.progress = Some((ev.time, rank, st));
                    }
                }
            }
        }
        for (addr, reply) in &ev.recipients {
            let r = agg
                .recipients
                .entry(addr.to_lowercase())
                .or_insert_with(|| Recipient {
                    display: addr.clone(),
                    status: None,
                    reply: None,
                    deferrals: Vec::new(),
                });
            if let Some((st, rank)) = status
                && newer((ev.time, rank), r.status.as_ref())
            {
                r.status = Some((ev.time, rank, st));
            }
            if ev.effect == Effect::Deferred && r.deferrals.len() < MAX_DEFERRALS {
                r.deferrals.push(ev.time);
            }
            if !reply.is_empty() && r.reply.as_ref().is_none_or(|(t, _)| ev.time >= *t) {
                r.reply = Some((ev.time, reply.clone()));
            }
        }
        if self.keep_events {
            agg.events.push(TraceEvent {
                time: ev.time,
                server: ev.server,
                source: self.sources[ev.source].name.clone(),
                file: (*ev.file).clone(),
                line: ev.line,
                event: ev.event,
                recipients: ev.recipients.into_iter().map(|(a, _)| a).collect(),
                detail: ev.detail,
            });
        }
        if self.dirty_set.insert(ev.key.clone()) {
            self.dirty.push(ev.key);
        }
    }

    fn row_key(&self, key: &AggKey) -> String {
        match key {
            AggKey::Exchange(m) => m.clone(),
            AggKey::Postfix { source, qid } => format!("{}/{}", self.sources[*source].name, qid),
            AggKey::Single(s) => s.clone(),
        }
    }

    fn rows(&self, key: &AggKey, a: &MessageAgg) -> Vec<(String, TraceRow)> {
        let row_key = self.row_key(key);
        let source = a
            .sources
            .iter()
            .map(|&i| self.sources[i].name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let base = |recipient: String| TraceRow {
            received: a.first,
            sender: a
                .sender
                .as_ref()
                .map(|(_, s)| s.clone())
                .unwrap_or_default(),
            recipient,
            subject: a
                .subject
                .as_ref()
                .map(|(_, s)| s.clone())
                .unwrap_or_default(),
            status: TraceStatus::Unknown,
            reply: String::new(),
            message_id: a.message_id.clone(),
            source: source.clone(),
            key: row_key.clone(),
            deferrals: Vec::new(),
            last_event: None,
        };
        if a.recipients.is_empty() {
            let mut row = base(String::new());
            if let Some((t, reason)) = &a.terminal {
                row.status = TraceStatus::Failed;
                row.reply = reason.clone();
                row.last_event = Some(*t);
            } else if let Some((t, _, st)) = a.progress {
                row.status = st;
                row.last_event = Some(t);
            }
            return vec![(String::new(), row)];
        }
        a.recipients
            .iter()
            .map(|(lower, r)| {
                let mut row = base(r.display.clone());
                let mut reply = r.reply.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
                match r.status {
                    Some((t, _, st)) => {
                        row.status = st;
                        row.last_event = Some(t);
                    }
                    None if a.progress.is_some() => row.status = TraceStatus::Pending,
                    None => {}
                }
                let settled = r.status.is_some_and(|(_, rank, _)| rank >= 3);
                if let Some((t, reason)) = &a.terminal
                    && !settled
                {
                    row.status = TraceStatus::Failed;
                    row.last_event = Some(*t);
                    reply = if reply.is_empty() {
                        reason.clone()
                    } else {
                        format!("{reason}; last reply: {reply}")
                    };
                }
                row.reply = reply;
                row.deferrals = r.deferrals.clone();
                row.deferrals.sort_unstable();
                (lower.clone(), row)
            })
            .collect()
    }

    /// Sends rows of messages changed since the last call.
    fn emit(&mut self, query: &TraceQuery, sink: &mut impl FnMut(ScanMsg)) {
        let dirty = std::mem::take(&mut self.dirty);
        self.dirty_set.clear();
        for key in dirty {
            let Some(a) = self.aggs.get(&key) else {
                continue;
            };
            let rows = self.rows(&key, a);
            let mut emitted = a.emitted.clone();
            // The recipient-less placeholder row goes once real recipients are known.
            if !a.recipients.is_empty() && emitted.remove("") {
                sink(ScanMsg::Remove {
                    key: self.row_key(&key),
                    recipient: String::new(),
                });
            }
            for (lower, row) in rows {
                if query.matches(&row) {
                    emitted.insert(lower);
                    sink(ScanMsg::Row(row));
                } else if emitted.remove(&lower) {
                    sink(ScanMsg::Remove {
                        key: row.key,
                        recipient: row.recipient,
                    });
                }
            }
            if let Some(a) = self.aggs.get_mut(&key) {
                a.emitted = emitted;
            }
        }
    }

    fn emitted_rows(&self) -> usize {
        self.aggs.values().map(|a| a.emitted.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_sorted_longest_first_and_quote_free() {
        let n = Needles::new(vec!["ab".into(), "say \"hello there\"".into()]);
        assert_eq!(n.finders[0].needle(), b"hello there");
        assert_eq!(n.finders[1].needle(), b"ab");
    }
}
