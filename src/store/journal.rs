//! The append-only incident journal: one JSON event a line.
//!
//! Appending takes an exclusive advisory lock, writes the whole line with one `write`, calls
//! `sync_data`, and only then reports success. Reading takes a shared lock, so a reader never
//! sees half of a line that another process is still writing; a line that is torn anyway (a
//! crash, `kill -9`, a full disk) is skipped with a warning and a copy of the file is kept aside,
//! once per distinct damage. A line from a newer version (its `v`) is skipped with a warning.
//! The file is never rewritten in place.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fd_lock::RwLock;

use super::fsutil;
use crate::domain::event::{Event, JOURNAL_VERSION};

/// A journal problem, worded for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error(
        "cannot open the journal {path}: {source}. Check that the data directory exists and is readable and writable by you (or choose another with --data-dir / WARROOM_DATA_DIR)"
    )]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", write_message(path, source))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the journal {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode the event: {0}")]
    Encode(#[from] serde_json::Error),
}

fn write_message(path: &Path, e: &std::io::Error) -> String {
    let hint = match e.raw_os_error() {
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => {
            "the disk is full: free some space and try again"
        }
        Some(libc::EROFS) => {
            "the file system is read-only: remount it or choose another --data-dir"
        }
        Some(libc::EACCES) | Some(libc::EPERM) => {
            "permission denied: fix the permissions or choose another --data-dir"
        }
        _ => "nothing was saved; try again",
    };
    format!("cannot save to {}: {e} ({hint})", path.display())
}

/// Something odd found while reading, that the reader skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// 1-based line number in the file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "journal line {}: {}", self.line, self.message)
    }
}

/// What a read found.
#[derive(Debug, Default)]
pub struct ReadBatch {
    pub events: Vec<Event>,
    /// One per line skipped, with why (for the log).
    pub warnings: Vec<ReadWarning>,
    /// One line for the person, when this read skipped lines: the file, the line numbers and
    /// the copy of the damaged journal kept aside.
    pub notice: Option<String>,
    /// Lines skipped because they are damaged (not because they are from a newer version).
    pub damaged: usize,
}

/// A journal opened for appending.
pub struct Journal {
    path: PathBuf,
    file: RwLock<File>,
}

impl Journal {
    /// Opens an existing journal for appending.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let file = OpenOptions::new()
            .append(true)
            .read(true)
            .open(path)
            .map_err(|source| JournalError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Journal {
            path: path.to_path_buf(),
            file: RwLock::new(file),
        })
    }

    /// Creates a new journal whose first line is `first`, and syncs its folder so that the new
    /// file survives a power cut. Fails if the file exists.
    pub fn create(path: &Path, first: &Event) -> Result<Self, JournalError> {
        let file = OpenOptions::new()
            .append(true)
            .read(true)
            .create_new(true)
            .open(path)
            .map_err(|source| JournalError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let mut j = Journal {
            path: path.to_path_buf(),
            file: RwLock::new(file),
        };
        j.append(first)?;
        fsutil::sync_parent(path).map_err(|source| JournalError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and returns once it is on disk.
    pub fn append(&mut self, event: &Event) -> Result<(), JournalError> {
        self.append_line(encode_line(event)?)
    }

    /// Appends one line as it is (one JSON event and its newline, checked by the caller: an
    /// event received from another console, kept byte for byte so that fields this build does
    /// not know survive) and returns once it is on disk.
    pub fn append_line(&mut self, mut line: Vec<u8>) -> Result<(), JournalError> {
        if line.last() != Some(&b'\n') {
            line.push(b'\n');
        }
        let path = self.path.clone();
        let werr = |source| JournalError::Write {
            path: path.clone(),
            source,
        };
        let mut guard = self.file.write().map_err(werr)?;
        let file: &mut File = &mut guard;
        let len = file.metadata().map_err(werr)?.len();
        // A torn line left by a crash must stay a line of its own.
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1)).map_err(werr)?;
            file.read_exact(&mut last).map_err(werr)?;
            if last[0] != b'\n' {
                line.insert(0, b'\n');
            }
        }
        let result = file.write_all(&line).and_then(|()| file.sync_data());
        if let Err(e) = result {
            // Take back whatever part of our own line reached the file (a full disk can
            // accept half of it), so the journal stays a sequence of whole lines.
            let _ = file.set_len(len);
            let _ = file.sync_data();
            return Err(werr(e));
        }
        Ok(())
    }
}

/// One journal line: the event as one JSON object, then a newline. Every line is written so.
pub fn encode_line(event: &Event) -> Result<Vec<u8>, JournalError> {
    let mut line = serde_json::to_vec(event)?;
    line.push(b'\n');
    Ok(line)
}

/// A damaged line: where it is, so that the same damage seen again is known as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BadLine {
    line: usize,
    offset: u64,
    len: u64,
}

/// What one line holds.
enum Parsed {
    Blank,
    Event(Box<Event>),
    /// Written by a newer version of warroom (its `v`).
    Newer(u64),
    Bad(String),
}

/// Reads a journal from a byte offset onwards, remembering where it stopped, so that lines
/// appended later (by this or another process) can be picked up.
///
/// Line numbers and byte offsets are the same whether the file is read at once or bit by bit:
/// an unterminated last line that is not a valid event (a torn write) is reported but not
/// consumed, so that it is not reported again once a later append ends it.
#[derive(Debug, Clone)]
pub struct Reader {
    path: PathBuf,
    /// Start of the first byte not consumed.
    offset: u64,
    /// Bytes seen: `offset` plus a torn last line waiting for its end.
    seen_to: u64,
    /// Lines consumed.
    line: usize,
    /// The last line consumed had no newline: a newline at `offset` ends it.
    mid_line: bool,
    /// Every damaged line found so far, in file order.
    bad: Vec<BadLine>,
}

impl Reader {
    pub fn new(path: &Path) -> Self {
        Reader {
            path: path.to_path_buf(),
            offset: 0,
            seen_to: 0,
            line: 0,
            mid_line: false,
            bad: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the file has grown past what was read (cheap: one `stat`).
    pub fn has_more(&self) -> bool {
        std::fs::metadata(&self.path)
            .map(|m| m.len() > self.seen_to)
            .unwrap_or(false)
    }

    /// Reads every line after the offset.
    pub fn read_new(&mut self) -> Result<ReadBatch, JournalError> {
        let rerr = |source| JournalError::Read {
            path: self.path.clone(),
            source,
        };
        let file = open_regular(&self.path).map_err(rerr)?;
        let lock = RwLock::new(file);
        let mut buf = Vec::new();
        {
            let guard = lock.read().map_err(rerr)?;
            let mut file: &File = &guard;
            file.seek(SeekFrom::Start(self.offset)).map_err(rerr)?;
            file.read_to_end(&mut buf).map_err(rerr)?;
        }
        let mut batch = self.take(&buf);
        if batch.damaged > 0
            && let Some(notice) = &mut batch.notice
        {
            notice.push_str("; ");
            notice.push_str(&self.keep_copy());
        }
        Ok(batch)
    }

    /// Reads from bytes instead of the file: `file` is the journal's whole content as it is now
    /// (this reader takes what follows its offset). Nothing is written: no copy of a damaged
    /// journal is kept. For tools and tests that hold the bytes.
    pub fn read_bytes(&mut self, file: &[u8]) -> ReadBatch {
        let from = (self.offset as usize).min(file.len());
        self.take(&file[from..])
    }

    /// Takes the bytes that follow the offset: events, warnings and the notice (without its
    /// part about the copy).
    fn take(&mut self, buf: &[u8]) -> ReadBatch {
        let base = self.offset;
        let mut batch = ReadBatch::default();
        let mut start = 0usize;
        if self.mid_line && !buf.is_empty() {
            // The newline that a later append put after an unterminated line ends that line.
            if buf[0] == b'\n' {
                start = 1;
            }
            self.mid_line = false;
        }
        // Split into lines first (cheap), then parse them, in parallel for big reads.
        let mut lines: Vec<(usize, &[u8], bool)> = Vec::new();
        while start < buf.len() {
            match memchr::memchr(b'\n', &buf[start..]) {
                Some(i) => {
                    lines.push((start, &buf[start..start + i], true));
                    start += i + 1;
                }
                None => {
                    lines.push((start, &buf[start..], false));
                    start = buf.len();
                }
            }
        }
        let parsed = parse_lines(&lines);
        let mut consumed = if lines.is_empty() {
            buf.len()
        } else {
            lines[0].0
        };
        let mut new_bad = Vec::new();
        let mut newer = Vec::new();
        for ((at, raw, complete), result) in lines.iter().zip(parsed) {
            let offset = base + *at as u64;
            let line = self.line + 1;
            let bad = match result {
                Parsed::Blank => None,
                Parsed::Event(ev) => {
                    batch.events.push(*ev);
                    None
                }
                Parsed::Newer(v) => {
                    newer.push((line, v));
                    batch.warnings.push(ReadWarning {
                        line,
                        message: format!(
                            "written by a newer warroom (journal format v{v}), kept in the file and skipped"
                        ),
                    });
                    None
                }
                Parsed::Bad(e) => Some(e),
            };
            if let Some(e) = bad {
                let known = self.bad.iter().any(|b| b.offset == offset);
                if !known {
                    let what = if *complete {
                        "is not a valid event"
                    } else {
                        "is cut short (torn write)"
                    };
                    batch.warnings.push(ReadWarning {
                        line,
                        message: format!("{what}, skipped: {e}"),
                    });
                    let b = BadLine {
                        line,
                        offset,
                        len: raw.len() as u64,
                    };
                    self.bad.push(b);
                    new_bad.push((b, *complete));
                }
                if !*complete {
                    // Not consumed: a later append ends it with a newline, and it is the same
                    // damaged line then.
                    break;
                }
            }
            self.line += 1;
            consumed = at + raw.len() + usize::from(*complete);
            if !*complete {
                self.mid_line = true;
            }
        }
        self.offset = base + consumed as u64;
        self.seen_to = base + buf.len() as u64;
        batch.damaged = new_bad.len();
        if new_bad.is_empty() && newer.is_empty() {
            return batch;
        }
        let mut parts = Vec::new();
        if !new_bad.is_empty() {
            let numbers: Vec<usize> = new_bad.iter().map(|(b, _)| b.line).collect();
            let why = match new_bad.as_slice() {
                [(_, false)] => "cut short, as a crash or a full disk leaves a write",
                [(_, true)] => "not a valid event",
                _ if new_bad.iter().all(|(_, c)| !c) => "cut short",
                _ => "not valid events",
            };
            parts.push(format!(
                "{} damaged ({why}) and skipped",
                line_list(&numbers, "is", "are")
            ));
        }
        if !newer.is_empty() {
            let numbers: Vec<usize> = newer.iter().map(|(l, _)| *l).collect();
            let v = newer.iter().map(|(_, v)| *v).max().unwrap_or(0);
            parts.push(format!(
                "{} written by a newer warroom (journal format v{v}) and skipped: upgrade warroom to see {}",
                line_list(&numbers, "was", "were"),
                if numbers.len() == 1 { "it" } else { "them" }
            ));
        }
        batch.notice = Some(format!(
            "journal {}: {}",
            self.path.display(),
            parts.join("; ")
        ));
        batch
    }

    /// Keeps a copy of the journal as found, once per distinct damage: the copy's name ends with
    /// a fingerprint of the damaged lines' offsets and lengths, and a copy with the same
    /// fingerprint is not made again. Returns what to tell the person.
    fn keep_copy(&self) -> String {
        let fp = fingerprint(&self.bad);
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "journal.jsonl".into());
        let prefix = format!("{name}.damaged-");
        let suffix = format!("-{fp:016x}");
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let existing = std::fs::read_dir(dir).ok().and_then(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with(&prefix) && n.ends_with(&suffix))
        });
        let result = match existing {
            Some(n) => Ok(dir.join(n)),
            None => {
                let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
                let copy = dir.join(format!("{prefix}{stamp}{suffix}"));
                fsutil::copy_atomic(&self.path, &copy).map(|()| copy)
            }
        };
        match result {
            Ok(copy) => format!(
                "a copy of the journal as found is kept at {}",
                copy.display()
            ),
            Err(e) => format!(
                "no copy of the damaged journal could be kept ({})",
                fsutil::short_reason(&e)
            ),
        }
    }
}

/// Opens a journal for reading, refusing what is not a regular file (a folder, or a FIFO that
/// would block the reader forever).
pub(crate) fn open_regular(path: &Path) -> std::io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    File::open(path)
}

/// `line 3`, `lines 3, 7-9 and 12`; long lists are cut (`… 240 lines in all`).
fn line_list(numbers: &[usize], one: &str, many: &str) -> String {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &n in numbers {
        match ranges.last_mut() {
            Some((_, hi)) if *hi + 1 == n => *hi = n,
            _ => ranges.push((n, n)),
        }
    }
    let shown: Vec<String> = ranges
        .iter()
        .take(12)
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        })
        .collect();
    if numbers.len() == 1 {
        return format!("line {} {one}", shown[0]);
    }
    let mut text = format!("lines {}", shown.join(", "));
    if ranges.len() > shown.len() {
        text.push_str(&format!(", … ({} lines in all)", numbers.len()));
    }
    format!("{text} {many}")
}

/// FNV-1a over the damaged lines' offsets and lengths: the same damage gives the same value in
/// every process and every version.
fn fingerprint(bad: &[BadLine]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bad {
        for byte in b
            .offset
            .to_le_bytes()
            .into_iter()
            .chain(b.len.to_le_bytes())
        {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Just the version of a line, for lines that do not parse as an event of this version.
#[derive(serde::Deserialize)]
struct VersionProbe {
    v: u64,
}

/// What one line holds: an event of a version this build reads, a line from a newer version,
/// a blank, or damage.
fn parse_line(raw: &[u8]) -> Parsed {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Parsed::Blank;
    }
    match serde_json::from_slice::<Event>(raw) {
        Ok(ev) if u64::from(ev.v) > u64::from(JOURNAL_VERSION) => Parsed::Newer(ev.v.into()),
        Ok(ev) => Parsed::Event(Box::new(ev)),
        Err(e) => match serde_json::from_slice::<VersionProbe>(raw) {
            Ok(p) if p.v > u64::from(JOURNAL_VERSION) => Parsed::Newer(p.v),
            _ => Parsed::Bad(e.to_string()),
        },
    }
}

/// Parses lines, on several threads when there are many.
fn parse_lines(lines: &[(usize, &[u8], bool)]) -> Vec<Parsed> {
    let parse = |chunk: &[(usize, &[u8], bool)]| -> Vec<Parsed> {
        chunk.iter().map(|(_, raw, _)| parse_line(raw)).collect()
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || lines.len() < 20_000 {
        return parse(lines);
    }
    let per = lines.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = lines
            .chunks(per)
            .map(|c| s.spawn(move || parse(c)))
            .collect();
        handles
            .into_iter()
            .zip(lines.chunks(per))
            .flat_map(|(h, chunk)| h.join().unwrap_or_else(|_| parse(chunk)))
            .collect()
    })
}

/// Reads a whole journal once.
pub fn read_all(path: &Path) -> Result<ReadBatch, JournalError> {
    Reader::new(path).read_new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::EventBody;
    use crate::domain::incident::{EntryKind, Severity, Status};
    use chrono::Utc;

    fn opening() -> Event {
        Event::new(
            Utc::now(),
            "t",
            EventBody::IncidentOpened {
                incident: "i".into(),
                title: "t".into(),
                severity: Severity::Sev3,
                status: Status::Investigating,
                started_at: None,
                drill: false,
            },
        )
    }

    fn note(text: &str) -> Event {
        Event::new(
            Utc::now(),
            "t",
            EventBody::EntryAdded {
                occurred_at: Utc::now(),
                kind: EntryKind::Note,
                text: text.into(),
                step: None,
            },
        )
    }

    #[test]
    fn append_and_read_back_incrementally() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, &opening()).unwrap();
        let mut r = Reader::new(&path);
        assert_eq!(r.read_new().unwrap().events.len(), 1);
        assert!(!r.has_more());
        j.append(&note("a")).unwrap();
        j.append(&note("b")).unwrap();
        assert!(r.has_more());
        let b = r.read_new().unwrap();
        assert_eq!(b.events.len(), 2);
        assert!(b.warnings.is_empty());
        assert!(r.read_new().unwrap().events.is_empty());
    }

    fn copies(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("damaged"))
            .collect();
        v.sort();
        v
    }

    fn tear(path: &Path, text: &str) {
        let whole = serde_json::to_string(&note(text)).unwrap();
        let mut f = OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(&whole.as_bytes()[..whole.len() / 2]).unwrap();
    }

    #[test]
    fn torn_last_line_is_skipped_with_one_notice_and_one_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, &opening()).unwrap();
        j.append(&note("kept")).unwrap();
        tear(&path, "torn");
        let b = read_all(&path).unwrap();
        assert_eq!(b.events.len(), 2);
        assert_eq!(b.warnings.len(), 1);
        assert!(b.warnings[0].message.contains("torn"), "{:?}", b.warnings);
        assert_eq!(b.warnings[0].line, 3);
        let notice = b.notice.unwrap();
        let found = copies(dir.path());
        assert_eq!(found.len(), 1);
        assert!(
            notice.contains(&path.display().to_string())
                && notice.contains("line 3 is damaged")
                && notice.contains(&found[0]),
            "{notice}"
        );
        // Read again, by as many processes as like: the same damage, the same copy.
        for _ in 0..3 {
            let b = read_all(&path).unwrap();
            assert!(b.notice.unwrap().contains(&found[0]));
        }
        assert_eq!(copies(dir.path()), found);
        // A later append starts on a fresh line, so it is not lost with the torn one; the torn
        // line keeps its place and length, so it is still the same damage.
        j.append(&note("after")).unwrap();
        let b = read_all(&path).unwrap();
        assert_eq!(b.events.len(), 3);
        assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
        assert_eq!(b.warnings[0].line, 3);
        assert_eq!(copies(dir.path()), found);
        // New damage is a new copy.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"not json\n")
            .unwrap();
        let b = read_all(&path).unwrap();
        let notice = b.notice.unwrap();
        assert!(notice.contains("lines 3, 5 are damaged"), "{notice}");
        assert_eq!(copies(dir.path()).len(), 2);
    }

    #[test]
    fn reading_bit_by_bit_numbers_lines_as_reading_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, &opening()).unwrap();
        let mut r = Reader::new(&path);
        assert_eq!(r.read_new().unwrap().events.len(), 1);
        tear(&path, "torn");
        let b = r.read_new().unwrap();
        assert_eq!(b.warnings.len(), 1);
        assert_eq!(b.warnings[0].line, 2);
        assert!(b.notice.is_some());
        // Nothing new: the torn line is not read over and over.
        assert!(!r.has_more());
        j.append(&note("after")).unwrap();
        assert!(r.has_more());
        let b = r.read_new().unwrap();
        assert_eq!(b.events.len(), 1);
        assert!(b.warnings.is_empty() && b.notice.is_none(), "{b:?}");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{oops\n")
            .unwrap();
        let b = r.read_new().unwrap();
        assert_eq!(b.warnings[0].line, 4);
        let whole = read_all(&path).unwrap();
        let lines: Vec<usize> = whole.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(whole.events.len(), 2);
        // One copy per distinct damage: the console's reader and a whole read agree on it.
        assert_eq!(copies(dir.path()).len(), 2);
    }

    #[test]
    fn an_unterminated_valid_last_line_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, &opening()).unwrap();
        let whole = serde_json::to_string(&note("no newline")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(whole.as_bytes())
            .unwrap();
        let mut r = Reader::new(&path);
        assert_eq!(r.read_new().unwrap().events.len(), 2);
        j.append(&note("next")).unwrap();
        let b = r.read_new().unwrap();
        assert_eq!(b.events.len(), 1);
        assert!(b.warnings.is_empty());
        j.append(&note("bad line follows")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"x\n")
            .unwrap();
        assert_eq!(r.read_new().unwrap().warnings[0].line, 5);
        assert_eq!(read_all(&path).unwrap().warnings[0].line, 5);
    }

    #[test]
    fn lines_from_a_newer_version_are_skipped_with_a_warning_not_read_as_v1() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, &opening()).unwrap();
        let mut v2 = serde_json::to_value(note("from the future")).unwrap();
        v2["v"] = 2.into();
        let mut v3 = serde_json::to_value(note("reshaped")).unwrap();
        v3["v"] = 3.into();
        v3["text"] = serde_json::json!({"parts": ["a"]});
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        writeln!(f, "{v2}\n{v3}").unwrap();
        j.append(&note("now")).unwrap();
        let b = read_all(&path).unwrap();
        assert_eq!(b.events.len(), 2);
        assert_eq!(b.damaged, 0);
        let lines: Vec<usize> = b.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [2, 3]);
        let notice = b.notice.unwrap();
        assert!(
            notice.contains("lines 2-3 were written by a newer warroom (journal format v3)")
                && notice.contains("upgrade"),
            "{notice}"
        );
        // Not damage: no copy, and the lines stay in the file.
        assert!(copies(dir.path()).is_empty());
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("from the future")
        );
    }

    #[test]
    fn line_lists() {
        assert_eq!(line_list(&[3], "is", "are"), "line 3 is");
        assert_eq!(
            line_list(&[3, 7, 8, 9, 12], "is", "are"),
            "lines 3, 7-9, 12 are"
        );
        let many: Vec<usize> = (1..=100).step_by(2).collect();
        let text = line_list(&many, "is", "are");
        assert!(text.ends_with("… (50 lines in all) are"), "{text}");
    }
}
