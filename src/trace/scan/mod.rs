//! The streaming scan over log files, and the refresh that reads only what grew.
//!
//! # How it works
//!
//! - Every file is one job; worker threads (one per core) take jobs largest first. A worker
//!   reads its file in [`CHUNK`]-sized blocks of whole lines, so memory does not grow with the
//!   file size, and checks the cancel flag between blocks.
//! - Blocks are searched in place for the query's text terms (sender, recipient, message id,
//!   subject) with [`FoldedFinder`](super::fold::FoldedFinder), an ASCII case-insensitive pair
//!   prefilter: no lower-cased copy of the data is made. Only lines it selects are parsed.
//! - Workers send parsed events to the calling thread, which folds them into one state per
//!   message and file, and streams [`ScanMsg::Row`]s to the sink.
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
//!   this file is parsed and sent only if it is a hit, otherwise its lines are dropped; the
//!   queue ids joined by a content filter count as one message. Messages that started in an
//!   earlier file or are still open at the end of the file are always sent (their other half
//!   may hold the matching line) and merged by queue id. Per-message state is therefore
//!   bounded by the number of messages open at once, not by log size; a message keeps at most
//!   [`MAX_LINES_PER_MESSAGE`] lines (the first ones and the latest ones).
//!
//! # Refresh
//!
//! A [`TraceScan`] keeps, per file, its device and inode, the offset of the last whole line
//! read, a fingerprint of the bytes around it, the parse state (the `#Fields` map, the Postfix
//! messages still open) and what the file contributed to each message. [`TraceScan::run`] on
//! grown logs reads only the bytes appended since; a file that was truncated or replaced is
//! started over (its share of every message withdrawn first), a renamed file (rotation) keeps
//! its state under its new name, new files are read from their start and files that are gone
//! are withdrawn. What is still open at the end of a file (the Postfix messages whose `removed`
//! has not come) is sent with the result but not folded into the state, so the next run folds
//! it whole. Because messages are folded with order-free rules (see [`super::agg`]), the rows
//! equal those of a full scan of the same files.
//!
//! # Rows
//!
//! Rows are upserts: a later [`ScanMsg::Row`] with the same `(key, recipient)` replaces the
//! earlier one (a message's status can change as more of its files are read), and
//! [`ScanMsg::Remove`] withdraws a row that no longer matches the query.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};

use super::agg::{MessageAgg, group_rows};
use super::exchange_logs;
use super::files::{self, Block, CHUNK, Chunker};
use super::logfile::{FileParser, Format, Needles, reject_start};
use super::{AggKey, RawEvent, TraceError};
mod merge;
mod read;

use crate::domain::trace::{
    TraceEvent, TraceQuery, TraceRow, TraceSourceConfig, TraceSourceKind, TraceSummary,
    normalize_term,
};
use read::run_job;

pub use super::logfile::MAX_LINES_PER_MESSAGE;

/// Which parser a source's files need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    ExchangeLogs,
    Postfix,
}

impl LogKind {
    fn format(self) -> Format {
        match self {
            LogKind::ExchangeLogs => Format::Exchange,
            LogKind::Postfix => Format::Postfix,
        }
    }
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
    /// Files read in this run (all of them, or only those that grew).
    pub files: usize,
    /// Bytes read in this run.
    pub bytes: u64,
    /// Events parsed from the lines the prefilter selected.
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
    sink: impl FnMut(ScanMsg),
    cancel: &AtomicBool,
) -> Result<ScanStats, TraceError> {
    TraceScan::new(sources, query).run(query, false, sink, cancel)
}

/// [`run_query`] collected: rows (newest first), their summary and the warnings.
pub fn collect_query(
    sources: &[ScanSource],
    query: &TraceQuery,
    cancel: &AtomicBool,
) -> Result<(Vec<TraceRow>, TraceSummary, Vec<ScanWarning>), TraceError> {
    TraceScan::new(sources, query).collect(query, cancel)
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
/// row's `key` (`source/QUEUEID` for Postfix), or a bare Postfix queue id. A Postfix message
/// comes with the queue ids a content filter moved it to and with its bounce notifications;
/// Exchange DSNs that refer to the message are included.
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
    let mut scan = TraceScan::with_terms(sources, vec![term.clone()]);
    scan.keep_events = true;
    let mut warnings = Vec::new();
    scan.run(
        &TraceQuery::default(),
        false,
        |m| {
            if let ScanMsg::Warning(w) = m {
                warnings.push(w);
            }
        },
        cancel,
    )?;
    let norm = |s: &str| normalize_term(s).unwrap_or_default();
    let mut selected: BTreeSet<AggKey> = BTreeSet::new();
    let keys: Vec<AggKey> = scan.index.keys().cloned().collect();
    for key in &keys {
        let Some(a) = scan.view(key) else { continue };
        let mid = a
            .message_id
            .as_ref()
            .map(|(_, m)| norm(m))
            .unwrap_or_default();
        let hit = match key {
            AggKey::Exchange(m) => {
                norm(m) == term || mid == term || a.references.iter().any(|r| norm(r) == term)
            }
            AggKey::Postfix { source, qid } => {
                src_filter.is_none_or(|s| s == *source)
                    && (qid.to_lowercase() == term || mid == term)
            }
            AggKey::Single { source, id } => {
                src_filter.is_none_or(|s| s == *source) && id.to_lowercase() == term
            }
        };
        if hit {
            selected.insert(key.clone());
        }
    }
    // Whole groups (content-filter hops), then their bounce notifications both ways.
    let mut events: Vec<TraceEvent> = Vec::new();
    let mut done: HashSet<AggKey> = HashSet::new();
    let mut work: Vec<AggKey> = selected.into_iter().collect();
    while let Some(k) = work.pop() {
        let root = scan.root_of(&k);
        for (_, member) in scan.members(&root) {
            if !done.insert(member.clone()) {
                continue;
            }
            if let Some(a) = scan.view(&member) {
                events.extend(a.events.iter().cloned());
                work.extend(a.notifications.iter().cloned());
            }
            for other in &keys {
                if let Some(a) = scan.view(other)
                    && a.notifications.contains(&member)
                {
                    work.push(other.clone());
                }
            }
        }
    }
    events.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
    });
    events.dedup();
    Ok(Chain { events, warnings })
}

// ---------------------------------------------------------------------------------------
// The scan state.

/// Identity of a file: device and inode (the path elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    #[cfg_attr(not(unix), allow(dead_code))]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

fn file_id(path: &Path, meta: &std::fs::Metadata) -> FileId {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        FileId::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        FileId::Path(path.to_path_buf())
    }
}

/// Bytes kept on each side to recognise a file that was rewritten rather than appended to.
const SIG: u64 = 64;

/// One file as the last run left it.
struct FileEntry {
    source: usize,
    path: PathBuf,
    file: Arc<PathBuf>,
    id: FileId,
    gz: bool,
    len: u64,
    modified: Option<SystemTime>,
    /// Bytes consumed (whole lines).
    offset: u64,
    next_line: u64,
    head_sig: Vec<u8>,
    tail_sig: Vec<u8>,
    /// The first block has been checked.
    started: bool,
    /// Not a log we can read (binary, no header…): skipped until it changes.
    rejected: Option<String>,
    parser: Option<FileParser>,
    committed: HashMap<AggKey, MessageAgg>,
    /// Committed state plus what is still open at the end of the file, for the keys it
    /// touches.
    overlay: HashMap<AggKey, MessageAgg>,
    committed_links: HashSet<(AggKey, AggKey)>,
    overlay_links: HashSet<(AggKey, AggKey)>,
    overlong: (u64, Option<u64>),
    read_error: Option<String>,
    unterminated: Option<u64>,
}

impl FileEntry {
    fn view(&self, key: &AggKey) -> Option<&MessageAgg> {
        self.overlay.get(key).or_else(|| self.committed.get(key))
    }

    fn links(&self) -> HashSet<(AggKey, AggKey)> {
        self.committed_links
            .union(&self.overlay_links)
            .cloned()
            .collect()
    }
}

/// A query's scan kept for the next run: reads only what grew (see the module docs).
pub struct TraceScan {
    sources: Vec<ScanSource>,
    needles: Needles,
    keep_events: bool,
    slots: Vec<Option<FileEntry>>,
    free: Vec<usize>,
    by_id: HashMap<(usize, FileId), usize>,
    /// Which files hold each message.
    index: HashMap<AggKey, Vec<usize>>,
    link_count: HashMap<(AggKey, AggKey), u32>,
    parents: HashMap<AggKey, BTreeSet<AggKey>>,
    children: HashMap<AggKey, BTreeSet<AggKey>>,
    /// Rows sent so far: row key → recipients (lower case).
    emitted: HashMap<String, BTreeSet<String>>,
    emitted_query: Option<TraceQuery>,
    dirty: HashSet<AggKey>,
    /// The last run ended normally: what was emitted is what the consumer holds.
    trusted: bool,
}

/// Up to this many bytes to read (a refresh), the files are read on the calling thread.
const INLINE_BYTES: u64 = 16 << 20;

const INTERNAL: &str = "internal error while reading this file; skipped";

/// Progress and totals of a run.
struct Tally {
    progress: Progress,
    stats: ScanStats,
    last_reported: u64,
    step: u64,
}

/// A group's row key, its rows (recipient in lower case, row), the row keys of its other
/// members.
type GroupUpdate = (String, Vec<(String, TraceRow)>, Vec<String>);

/// One file to read in this run.
struct Job {
    slot: usize,
    source: usize,
    path: PathBuf,
    file: Arc<PathBuf>,
    offset: u64,
    next_line: u64,
    size: u64,
    started: bool,
    format: Format,
    parser: FileParser,
}

/// What a job hands back.
struct JobDone {
    slot: usize,
    parser: FileParser,
    offset: u64,
    next_line: u64,
    started: bool,
    gz: bool,
    rejected: Option<String>,
    overlong: Vec<u64>,
    read_error: Option<String>,
    unterminated: Option<u64>,
    provisional: Vec<RawEvent>,
}

enum WorkerMsg {
    Events(usize, Vec<RawEvent>),
    Read(u64),
    Parsed(u64),
    Done(Box<JobDone>),
    Failed(usize, String),
}

impl TraceScan {
    /// A scan of `sources` for the text terms of `query` (nothing read yet).
    pub fn new(sources: &[ScanSource], query: &TraceQuery) -> TraceScan {
        Self::with_terms(sources, query.text_terms().into_iter().flatten().collect())
    }

    fn with_terms(sources: &[ScanSource], terms: Vec<String>) -> TraceScan {
        TraceScan {
            sources: sources.to_vec(),
            needles: Needles::new(terms),
            keep_events: false,
            slots: Vec::new(),
            free: Vec::new(),
            by_id: HashMap::new(),
            index: HashMap::new(),
            link_count: HashMap::new(),
            parents: HashMap::new(),
            children: HashMap::new(),
            emitted: HashMap::new(),
            emitted_query: None,
            dirty: HashSet::new(),
            trusted: false,
        }
    }

    /// True when this scan can serve `query` over `sources` (the same sources and text
    /// terms; time bounds and status may differ).
    pub fn fits(&self, sources: &[ScanSource], query: &TraceQuery) -> bool {
        let terms: Vec<String> = query.text_terms().into_iter().flatten().collect();
        self.sources == sources && self.needles.terms == terms
    }

    /// Messages held (across every file).
    pub fn messages(&self) -> usize {
        self.index.len()
    }

    /// True when the last run ended normally, so a delta run gives a consumer that applied its
    /// messages the full result.
    pub fn can_delta(&self) -> bool {
        self.trusted
    }

    /// Reads what is new in the files (everything, the first time) and sends rows. With
    /// `delta`, only changes since the previous run are sent: new and changed rows, and
    /// [`ScanMsg::Remove`] for rows that no longer match; otherwise every matching row is
    /// sent. Warnings are always sent in full.
    pub fn run(
        &mut self,
        query: &TraceQuery,
        delta: bool,
        mut sink: impl FnMut(ScanMsg),
        cancel: &AtomicBool,
    ) -> Result<ScanStats, TraceError> {
        let started = Instant::now();
        let delta = delta && self.trusted;
        self.trusted = false;
        let stats = ScanStats::default();
        let (jobs, source_warnings) = self.plan()?;
        let progress = Progress {
            bytes_done: 0,
            bytes_total: jobs.iter().map(|j| j.size).sum(),
            files_done: 0,
            files_total: jobs.len(),
        };
        sink(ScanMsg::Progress(progress));
        if !delta {
            self.emitted.clear();
        }
        let mut tally = Tally {
            progress,
            stats,
            last_reported: 0,
            step: (progress.bytes_total / 200).max(1),
        };
        let sources = &self.sources.clone();
        let needles = &self.needles.clone();
        if progress.bytes_total <= INLINE_BYTES || jobs.len() <= 1 {
            // A refresh reads little: on this thread, with no hand-offs to wait for.
            let mut buf = Vec::new();
            for job in jobs {
                let msg = run_job(
                    job,
                    sources,
                    needles,
                    cancel,
                    &mut |m| {
                        self.take(m, query, &mut sink, &mut tally);
                        true
                    },
                    &mut buf,
                );
                self.take(msg, query, &mut sink, &mut tally);
            }
        } else {
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(jobs.len())
                .max(1);
            let job_cells: Vec<Mutex<Option<Job>>> =
                jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
            let next = AtomicUsize::new(0);
            let (tx, rx) = sync_channel::<WorkerMsg>(64);
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    let tx = tx.clone();
                    let (job_cells, next) = (&job_cells, &next);
                    scope.spawn(move || {
                        let mut buf = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(cell) = job_cells.get(i) else { break };
                            let Some(job) = cell.lock().ok().and_then(|mut c| c.take()) else {
                                continue;
                            };
                            let msg = run_job(
                                job,
                                sources,
                                needles,
                                cancel,
                                &mut |m| tx.send(m).is_ok(),
                                &mut buf,
                            );
                            if tx.send(msg).is_err() {
                                break;
                            }
                        }
                    });
                }
                drop(tx);
                for msg in rx {
                    self.take(msg, query, &mut sink, &mut tally);
                }
            });
        }
        let mut stats = tally.stats;
        stats.cancelled = cancel.load(Ordering::Relaxed);
        if self.emitted_query.as_ref() != Some(query) || !delta {
            let all: Vec<AggKey> = self.index.keys().cloned().collect();
            self.dirty.extend(all);
        }
        self.emit(query, &mut sink);
        self.emitted_query = Some(query.clone());
        for w in source_warnings.into_iter().chain(self.file_warnings()) {
            stats.warnings += 1;
            sink(ScanMsg::Warning(w));
        }
        stats.rows = self.emitted.values().map(BTreeSet::len).sum();
        stats.elapsed = started.elapsed();
        self.trusted = !stats.cancelled;
        Ok(stats)
    }

    /// Handles what a job reports.
    fn take(
        &mut self,
        msg: WorkerMsg,
        query: &TraceQuery,
        sink: &mut impl FnMut(ScanMsg),
        t: &mut Tally,
    ) {
        match msg {
            WorkerMsg::Events(slot, evs) => {
                for ev in evs {
                    self.fold(slot, ev);
                }
                self.emit(query, sink);
            }
            WorkerMsg::Read(n) => {
                t.progress.bytes_done += n;
                t.stats.bytes += n;
                t.progress.bytes_total = t.progress.bytes_total.max(t.progress.bytes_done);
                if t.progress.bytes_done - t.last_reported >= t.step {
                    t.last_reported = t.progress.bytes_done;
                    sink(ScanMsg::Progress(t.progress));
                }
            }
            WorkerMsg::Parsed(n) => t.stats.lines_parsed += n,
            WorkerMsg::Done(done) => {
                self.finish_job(*done);
                self.emit(query, sink);
                t.progress.files_done += 1;
                t.stats.files += 1;
                sink(ScanMsg::Progress(t.progress));
            }
            WorkerMsg::Failed(slot, why) => {
                // The file's state is unknown: start it over next time.
                let (source, file) = match self.slots.get(slot).and_then(Option::as_ref) {
                    Some(e) => (self.sources[e.source].name.clone(), Some(e.path.clone())),
                    None => (String::new(), None),
                };
                self.retract(slot);
                t.progress.files_done += 1;
                t.stats.files += 1;
                t.stats.warnings += 1;
                sink(ScanMsg::Warning(ScanWarning {
                    source,
                    file,
                    line: None,
                    message: why,
                }));
            }
        }
    }

    /// Runs and collects every matching row (newest first), the summary and the warnings.
    pub fn collect(
        &mut self,
        query: &TraceQuery,
        cancel: &AtomicBool,
    ) -> Result<(Vec<TraceRow>, TraceSummary, Vec<ScanWarning>), TraceError> {
        let mut rows: HashMap<(String, String), TraceRow> = HashMap::new();
        let mut warnings = Vec::new();
        self.run(
            query,
            false,
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
