//! The outbox: which of the local journal's lines the team's stream holds, and how far this
//! folder has read the stream. Kept in `team.json` beside the journal (put in place whole with
//! `store::fsutil`), guarded by `team.lock` so that a console and a script never sync one
//! incident at the same moment.
//!
//! `pushed_to` is a byte offset in the journal: every whole line before it is in the stream
//! (published and acknowledged by the server, or received from it). Lines after it are waiting,
//! except those in `from_stream` (received from the stream and appended after a line that still
//! waits): they are never published again. A crash between a step and the save of this file
//! only repeats work: a repeated publish has the same message id (dropped by the server) and a
//! repeated receive finds the event id already in the journal.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::fsutil;

/// `team.json`: the sharing state of one incident folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// Every whole journal line before this byte offset is in the stream.
    #[serde(default)]
    pub pushed_to: u64,
    /// The last stream sequence read into the journal.
    #[serde(default)]
    pub pulled_seq: u64,
    /// Events appended from the stream after `pushed_to`: not to be published again.
    #[serde(default)]
    pub from_stream: Vec<Uuid>,
}

/// The outbox file's name in an incident folder; its presence means "shared".
pub const OUTBOX_FILE: &str = "team.json";
const LOCK_FILE: &str = "team.lock";

impl Outbox {
    pub fn path(incident_dir: &Path) -> PathBuf {
        incident_dir.join(OUTBOX_FILE)
    }

    /// Whether the incident in this folder is shared with the team.
    pub fn is_shared(incident_dir: &Path) -> bool {
        Self::path(incident_dir).is_file()
    }

    /// Reads the outbox; a missing file is `None` (not shared). A damaged one reads as a fresh
    /// start (everything is published again, which the server and the journal de-duplicate).
    pub fn load(incident_dir: &Path) -> std::io::Result<Option<Outbox>> {
        match std::fs::read(Self::path(incident_dir)) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(
                    "team: {} is damaged ({e}); sharing the whole journal again",
                    Self::path(incident_dir).display()
                );
                Outbox::default()
            }))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Puts the outbox in place, whole and synced.
    pub fn save(&self, incident_dir: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        fsutil::write_atomic(&Self::path(incident_dir), &bytes)
    }
}

/// One whole line of the journal as it is on disk.
#[derive(Debug, Clone)]
pub struct RawLine {
    /// Byte offset just after the line's newline.
    pub end: u64,
    pub id: Uuid,
    /// The line without its newline.
    pub bytes: Vec<u8>,
}

/// Only the id of a line, whatever its type or version.
#[derive(Deserialize)]
struct IdProbe {
    id: Uuid,
}

/// The whole lines of the journal from byte `from` on (a torn last line is left for later; a
/// line that is not an event with an id is skipped: the journal's reader reports those).
pub fn lines_from(journal: &Path, from: u64) -> std::io::Result<(Vec<RawLine>, u64)> {
    let mut file = File::open(journal)?;
    file.lock_shared()?;
    let len = file.metadata()?.len();
    let from = from.min(len);
    file.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::with_capacity((len - from) as usize);
    (&file).take(len - from).read_to_end(&mut buf)?;
    drop(file);
    let mut out = Vec::new();
    let mut start = 0usize;
    while let Some(i) = memchr::memchr(b'\n', &buf[start..]) {
        let raw = &buf[start..start + i];
        let end = from + (start + i + 1) as u64;
        if let Ok(p) = serde_json::from_slice::<IdProbe>(raw) {
            out.push(RawLine {
                end,
                id: p.id,
                bytes: raw.to_vec(),
            });
        }
        start += i + 1;
    }
    Ok((out, from + start as u64))
}

/// The ids already in a journal, read on as it grows.
#[derive(Debug, Default)]
pub struct JournalIds {
    ids: HashSet<Uuid>,
    read_to: u64,
}

impl JournalIds {
    /// Reads the lines appended since the last call.
    pub fn refresh(&mut self, journal: &Path) -> std::io::Result<()> {
        let (lines, to) = lines_from(journal, self.read_to)?;
        self.ids.extend(lines.iter().map(|l| l.id));
        self.read_to = to;
        Ok(())
    }

    pub fn contains(&self, id: &Uuid) -> bool {
        self.ids.contains(id)
    }

    pub fn insert(&mut self, id: Uuid) {
        self.ids.insert(id);
    }
}

/// The lock that makes one process at a time sync an incident folder. Released when dropped.
pub struct SyncLock {
    _file: File,
}

impl SyncLock {
    /// Waits (politely, without blocking the runtime) for the folder's sync lock.
    pub async fn acquire(incident_dir: &Path) -> std::io::Result<SyncLock> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(incident_dir.join(LOCK_FILE))?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SyncLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
        }
    }
}

/// The events waiting to be shared: whole lines after `pushed_to` that did not come from the
/// stream.
pub fn waiting(journal: &Path, outbox: &Outbox) -> std::io::Result<Vec<RawLine>> {
    let (lines, _) = lines_from(journal, outbox.pushed_to)?;
    Ok(lines
        .into_iter()
        .filter(|l| !outbox.from_stream.contains(&l.id))
        .collect())
}

impl Outbox {
    /// Records that every line up to `end` is in the stream; ids received from the stream
    /// that are now behind `pushed_to` are forgotten.
    pub fn advance(&mut self, journal: &Path, end: u64) {
        if end <= self.pushed_to {
            return;
        }
        if !self.from_stream.is_empty()
            && let Ok((lines, _)) = lines_from(journal, self.pushed_to)
        {
            let passed: HashSet<Uuid> = lines
                .iter()
                .take_while(|l| l.end <= end)
                .map(|l| l.id)
                .collect();
            self.from_stream.retain(|id| !passed.contains(id));
        }
        self.pushed_to = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(id: Uuid) -> String {
        format!(
            "{{\"v\":1,\"id\":\"{id}\",\"at\":\"2026-12-01T10:00:00Z\",\"by\":\"a\",\"type\":\"x\"}}\n"
        )
    }

    #[test]
    fn waiting_skips_what_came_from_the_stream_and_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("journal.jsonl");
        let ids: Vec<Uuid> = (0..4).map(|_| Uuid::now_v7()).collect();
        let mut f = File::create(&j).unwrap();
        for id in &ids {
            f.write_all(line(*id).as_bytes()).unwrap();
        }
        f.write_all(b"{\"v\":1,\"id\":\"tor").unwrap();
        let mut ob = Outbox {
            from_stream: vec![ids[2]],
            ..Default::default()
        };
        let w: Vec<Uuid> = waiting(&j, &ob).unwrap().iter().map(|l| l.id).collect();
        assert_eq!(w, [ids[0], ids[1], ids[3]]);
        let all = lines_from(&j, 0).unwrap().0;
        ob.advance(&j, all[2].end);
        assert!(ob.from_stream.is_empty());
        let w: Vec<Uuid> = waiting(&j, &ob).unwrap().iter().map(|l| l.id).collect();
        assert_eq!(w, [ids[3]]);
        let mut known = JournalIds::default();
        known.refresh(&j).unwrap();
        assert!(ids.iter().all(|i| known.contains(i)));
        ob.save(dir.path()).unwrap();
        assert_eq!(Outbox::load(dir.path()).unwrap(), Some(ob));
        std::fs::write(Outbox::path(dir.path()), b"{damaged").unwrap();
        assert_eq!(Outbox::load(dir.path()).unwrap(), Some(Outbox::default()));
    }
}
