//! The append-only incident journal: one JSON event a line.
//!
//! Appending takes an exclusive advisory lock, writes the whole line with one `write`, calls
//! `sync_data`, and only then reports success. Reading takes a shared lock, so a reader never
//! sees half of a line that another process is still writing; a line that is torn anyway (a
//! crash, `kill -9`, a full disk) is skipped with a warning and a copy of the file is kept aside.
//! The file is never rewritten in place.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fd_lock::RwLock;

use crate::domain::event::Event;

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
    pub warnings: Vec<ReadWarning>,
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

    /// Creates a new journal whose first line is `first`. Fails if the file exists.
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
        Ok(j)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and returns once it is on disk.
    pub fn append(&mut self, event: &Event) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
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

/// Reads a journal from a byte offset onwards, remembering where it stopped, so that lines
/// appended later (by this or another process) can be picked up.
#[derive(Debug, Clone)]
pub struct Reader {
    path: PathBuf,
    offset: u64,
    line: usize,
    saved_copy: bool,
}

impl Reader {
    pub fn new(path: &Path) -> Self {
        Reader {
            path: path.to_path_buf(),
            offset: 0,
            line: 0,
            saved_copy: false,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Whether the file has grown past what was read (cheap: one `stat`).
    pub fn has_more(&self) -> bool {
        std::fs::metadata(&self.path)
            .map(|m| m.len() > self.offset)
            .unwrap_or(false)
    }

    /// Reads every whole line after the offset.
    pub fn read_new(&mut self) -> Result<ReadBatch, JournalError> {
        let rerr = |source| JournalError::Read {
            path: self.path.clone(),
            source,
        };
        let file = File::open(&self.path).map_err(rerr)?;
        let lock = RwLock::new(file);
        let mut buf = Vec::new();
        {
            let guard = lock.read().map_err(rerr)?;
            let mut file: &File = &guard;
            file.seek(SeekFrom::Start(self.offset)).map_err(rerr)?;
            file.read_to_end(&mut buf).map_err(rerr)?;
        }
        let mut batch = ReadBatch::default();
        // Split into lines first (cheap), then parse them, in parallel for big reads.
        let mut lines: Vec<(&[u8], bool)> = Vec::new();
        let mut start = 0usize;
        while start < buf.len() {
            match memchr::memchr(b'\n', &buf[start..]) {
                Some(i) => {
                    lines.push((&buf[start..start + i], true));
                    start += i + 1;
                }
                None => {
                    lines.push((&buf[start..], false));
                    start = buf.len();
                }
            }
        }
        let parsed = parse_lines(&lines);
        let mut torn = false;
        for ((raw, complete), result) in lines.iter().zip(parsed) {
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                // Blank: the separator written after a torn line; not a line of its own.
                if *complete {
                    self.line += 1;
                }
                continue;
            }
            self.line += 1;
            match result {
                Some(Ok(ev)) => batch.events.push(ev),
                Some(Err(e)) => {
                    torn = true;
                    let what = if *complete {
                        "is not a valid event"
                    } else {
                        "is cut short (torn write)"
                    };
                    batch.warnings.push(ReadWarning {
                        line: self.line,
                        message: format!("{what}, skipped: {e}"),
                    });
                }
                None => {}
            }
        }
        self.offset += buf.len() as u64;
        if torn && !self.saved_copy {
            self.saved_copy = true;
            match self.keep_copy() {
                Ok(copy) => batch.warnings.push(ReadWarning {
                    line: 0,
                    message: format!(
                        "a copy of the journal as found is kept at {}",
                        copy.display()
                    ),
                }),
                Err(e) => batch.warnings.push(ReadWarning {
                    line: 0,
                    message: format!("could not keep a copy of the damaged journal: {e}"),
                }),
            }
        }
        Ok(batch)
    }

    fn keep_copy(&self) -> std::io::Result<PathBuf> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let name = format!(
            "{}.damaged-{stamp}",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "journal.jsonl".into())
        );
        let copy = self.path.with_file_name(name);
        if !copy.exists() {
            std::fs::copy(&self.path, &copy)?;
        }
        Ok(copy)
    }
}

/// Parses lines into events, on several threads when there are many.
fn parse_lines(lines: &[(&[u8], bool)]) -> Vec<Option<Result<Event, serde_json::Error>>> {
    let parse = |chunk: &[(&[u8], bool)]| -> Vec<Option<Result<Event, serde_json::Error>>> {
        chunk
            .iter()
            .map(|(raw, _)| {
                (!raw.iter().all(|b| b.is_ascii_whitespace()))
                    .then(|| serde_json::from_slice::<Event>(raw))
            })
            .collect()
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

    #[test]
    fn torn_last_line_is_skipped_with_warning_and_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut j = Journal::create(&path, &opening()).unwrap();
        j.append(&note("kept")).unwrap();
        let whole = serde_json::to_string(&note("torn")).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&whole.as_bytes()[..whole.len() / 2]).unwrap();
        drop(f);
        let b = read_all(&path).unwrap();
        assert_eq!(b.events.len(), 2);
        assert!(b.warnings[0].message.contains("torn"), "{:?}", b.warnings);
        assert_eq!(b.warnings[0].line, 3);
        let copies: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
            .collect();
        assert_eq!(copies.len(), 1);
        // A later append starts on a fresh line, so it is not lost with the torn one.
        j.append(&note("after")).unwrap();
        let b = read_all(&path).unwrap();
        assert_eq!(b.events.len(), 3);
        assert_eq!(b.warnings.len(), 2, "{:?}", b.warnings);
    }
}
