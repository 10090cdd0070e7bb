//! The data directory: `<data>/incidents/<id>/{journal.jsonl,exports/,evidence/}` and the
//! `current` pointer.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::journal::{self, Journal, JournalError, ReadWarning};
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::{FoldError, Incident, Severity, Status};

/// A storage problem, worded for the person who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "cannot use the data directory {path}: {source}. Make it writable, or choose another with --data-dir or WARROOM_DATA_DIR"
    )]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no incident matches {0:?}: run `warroom list` to see the incidents")]
    NotFound(String),
    #[error("{0:?} matches several incidents ({1}): type more of the id")]
    Ambiguous(String, String),
    #[error("there is no open incident: start one with `warroom new --title TEXT`")]
    NoneOpen,
    #[error("the journal {path} is not an incident journal ({source})")]
    Fold { path: PathBuf, source: FoldError },
}

/// One line of `warroom list`.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub drill: bool,
    pub opened: DateTime<Utc>,
    pub closed: Option<DateTime<Utc>>,
}

impl IncidentSummary {
    fn of(inc: &Incident) -> Self {
        IncidentSummary {
            id: inc.id.clone(),
            title: inc.title.clone(),
            severity: inc.severity,
            status: inc.status,
            drill: inc.drill,
            opened: inc.opened_at,
            closed: inc.closed_at,
        }
    }
}

/// An incident loaded from its journal, with whatever the reader had to skip.
#[derive(Debug)]
pub struct Loaded {
    pub incident: Incident,
    pub warnings: Vec<ReadWarning>,
    /// Where the reader stopped, to pick up later lines from.
    pub reader: journal::Reader,
}

/// The data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    pub fn incident_dir(&self, id: &str) -> PathBuf {
        self.incidents_dir().join(id)
    }

    pub fn journal_path(&self, id: &str) -> PathBuf {
        self.incident_dir(id).join("journal.jsonl")
    }

    pub fn exports_dir(&self, id: &str) -> PathBuf {
        self.incident_dir(id).join("exports")
    }

    pub fn evidence_dir(&self, id: &str) -> PathBuf {
        self.incident_dir(id).join("evidence")
    }

    fn dir_err(&self, source: std::io::Error) -> StoreError {
        StoreError::DataDir {
            path: self.root.clone(),
            source,
        }
    }

    /// Creates a new incident and makes it current. Returns its id.
    pub fn create(
        &self,
        title: &str,
        severity: Severity,
        by: &str,
        now: DateTime<Utc>,
        drill: bool,
    ) -> Result<String, StoreError> {
        self.create_with(title, severity, by, now, drill, Vec::new())
    }

    /// Creates a new incident whose journal starts with the opening and then `extra` (e.g. the
    /// playbooks to attach), and makes it current only once all of it is on disk.
    pub fn create_with(
        &self,
        title: &str,
        severity: Severity,
        by: &str,
        now: DateTime<Utc>,
        drill: bool,
        extra: Vec<EventBody>,
    ) -> Result<String, StoreError> {
        let base = self.incidents_dir();
        std::fs::create_dir_all(&base).map_err(|e| self.dir_err(e))?;
        let stem = format!("{}-{}", now.format("%Y%m%d-%H%M"), slug(title));
        let mut n = 1;
        let (id, dir) = loop {
            let id = if n == 1 {
                stem.clone()
            } else {
                format!("{stem}-{n}")
            };
            let dir = base.join(&id);
            match std::fs::create_dir(&dir) {
                Ok(()) => break (id, dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(self.dir_err(e)),
            }
        };
        let made = (|| {
            std::fs::create_dir(dir.join("exports"))?;
            std::fs::create_dir(dir.join("evidence"))
        })();
        let opening = Event::new(
            now,
            by,
            EventBody::IncidentOpened {
                incident: id.clone(),
                title: title.to_string(),
                severity,
                status: Status::Investigating,
                started_at: None,
                drill,
            },
        );
        let journal = made.map_err(|e| self.dir_err(e)).and_then(|()| {
            let mut j = Journal::create(&dir.join("journal.jsonl"), &opening)?;
            for body in extra {
                j.append(&Event::new(now, by, body))?;
            }
            Ok(j)
        });
        if let Err(e) = journal {
            // Nothing half-made stays behind.
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        self.set_current(&id)?;
        Ok(id)
    }

    /// Makes `id` the incident that verbs without `--incident` act on.
    pub fn set_current(&self, id: &str) -> Result<(), StoreError> {
        let tmp = self.root.join(".current.tmp");
        std::fs::write(&tmp, format!("{id}\n"))
            .and_then(|()| std::fs::rename(&tmp, self.root.join("current")))
            .map_err(|e| self.dir_err(e))
    }

    /// The id in the `current` pointer, if any and if that incident still exists.
    pub fn current(&self) -> Option<String> {
        let id = std::fs::read_to_string(self.root.join("current")).ok()?;
        let id = id.trim().to_string();
        self.journal_path(&id).is_file().then_some(id)
    }

    /// Ids of every incident folder that has a journal, sorted.
    pub fn ids(&self) -> Result<Vec<String>, StoreError> {
        let dir = self.incidents_dir();
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A data dir that exists but cannot be read is an error; a missing one is empty.
                if let Err(e) = std::fs::read_dir(&self.root)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    return Err(self.dir_err(e));
                }
                return Ok(Vec::new());
            }
            Err(e) => return Err(self.dir_err(e)),
        };
        let mut ids: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join("journal.jsonl").is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Resolves an id typed by a person: exact, or a unique prefix, or a unique part of it.
    pub fn resolve(&self, wanted: &str) -> Result<String, StoreError> {
        let ids = self.ids()?;
        if ids.iter().any(|i| i == wanted) {
            return Ok(wanted.to_string());
        }
        let mut hits: Vec<&String> = ids.iter().filter(|i| i.starts_with(wanted)).collect();
        if hits.is_empty() && !wanted.is_empty() {
            hits = ids.iter().filter(|i| i.contains(wanted)).collect();
        }
        match hits.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(StoreError::NotFound(wanted.to_string())),
            many => Err(StoreError::Ambiguous(
                wanted.to_string(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    /// The incident a verb acts on: the one named, else the current one if it is open, else the
    /// most recently opened open one.
    pub fn pick(&self, wanted: Option<&str>) -> Result<String, StoreError> {
        if let Some(w) = wanted {
            return self.resolve(w);
        }
        if let Some(cur) = self.current()
            && let Ok(l) = self.load(&cur)
            && !l.incident.is_closed()
        {
            return Ok(cur);
        }
        let mut open: Vec<IncidentSummary> = self
            .list()?
            .into_iter()
            .filter(|s| s.closed.is_none())
            .collect();
        open.sort_by_key(|s| s.opened);
        open.pop().map(|s| s.id).ok_or(StoreError::NoneOpen)
    }

    /// Loads an incident from its journal.
    pub fn load(&self, id: &str) -> Result<Loaded, StoreError> {
        let path = self.journal_path(id);
        let mut reader = journal::Reader::new(&path);
        let batch = reader.read_new()?;
        let incident = Incident::from_events(&batch.events)
            .map_err(|source| StoreError::Fold { path, source })?;
        Ok(Loaded {
            incident,
            warnings: batch.warnings,
            reader,
        })
    }

    /// Loads an incident with every event of its journal (exports carry the journal) and the
    /// warnings of the read.
    pub fn load_events(
        &self,
        id: &str,
    ) -> Result<(Incident, Vec<Event>, Vec<ReadWarning>), StoreError> {
        let path = self.journal_path(id);
        let mut reader = journal::Reader::new(&path);
        let batch = reader.read_new()?;
        let incident = Incident::from_events(&batch.events)
            .map_err(|source| StoreError::Fold { path, source })?;
        Ok((incident, batch.events, batch.warnings))
    }

    /// Opens an incident's journal for appending.
    pub fn journal(&self, id: &str) -> Result<Journal, StoreError> {
        Ok(Journal::open(&self.journal_path(id))?)
    }

    /// Every incident, oldest first. Journals that cannot be read are skipped.
    pub fn list(&self) -> Result<Vec<IncidentSummary>, StoreError> {
        let mut out: Vec<IncidentSummary> = self
            .ids()?
            .iter()
            .filter_map(|id| self.load(id).ok())
            .map(|l| IncidentSummary::of(&l.incident))
            .collect();
        out.sort_by_key(|s| s.opened);
        Ok(out)
    }
}

/// A short file-name-safe form of a title: `Exchange Online down!` → `exchange-online-down`.
pub fn slug(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
        if s.len() >= 32 {
            break;
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() { "incident".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 3, 0).unwrap()
    }

    #[test]
    fn create_resolve_pick() {
        let dir = tempfile::tempdir().unwrap();
        let d = DataDir::new(dir.path());
        assert!(matches!(d.pick(None), Err(StoreError::NoneOpen)));
        let a = d
            .create("EXO down!", Severity::Sev1, "al", now(), false)
            .unwrap();
        assert_eq!(a, "20261130-1403-exo-down");
        let b = d
            .create("EXO down!", Severity::Sev2, "al", now(), false)
            .unwrap();
        assert_eq!(b, "20261130-1403-exo-down-2");
        assert_eq!(d.current().as_deref(), Some(b.as_str()));
        assert_eq!(d.pick(None).unwrap(), b);
        assert_eq!(d.resolve("20261130-1403-exo-down").unwrap(), a);
        assert!(matches!(d.resolve("2026"), Err(StoreError::Ambiguous(..))));
        assert!(matches!(d.resolve("nope"), Err(StoreError::NotFound(_))));
        assert_eq!(d.resolve("down-2").unwrap(), b);
        let l = d.load(&a).unwrap();
        assert_eq!(l.incident.title, "EXO down!");
        assert_eq!(l.incident.severity, Severity::Sev1);
        assert!(d.exports_dir(&a).is_dir() && d.evidence_dir(&a).is_dir());
        assert_eq!(d.list().unwrap().len(), 2);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("  Mail: delayed (EU) "), "mail-delayed-eu");
        assert_eq!(slug("!!!"), "incident");
    }
}
