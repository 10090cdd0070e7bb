//! The data directory: `<data>/incidents/<id>/{journal.jsonl,exports/,evidence/}` and the
//! `current` pointer.
//!
//! A new incident is built in a hidden folder inside `incidents/` (opening and attached
//! playbooks written at once) and renamed into place, so that a `new` killed at any moment leaves
//! either no incident or a whole one; the listings ignore hidden folders, and stale ones are
//! cleaned up. Every incident folder is listed, also one whose journal cannot be read, with why.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

use super::fsutil;
use super::journal::{self, Journal, JournalError, ReadBatch, ReadWarning};
use super::summary;
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
    #[error(
        "the incident id is empty: give an id or a unique part of it (`warroom list` shows them), or leave --incident out to use the current incident"
    )]
    EmptyId,
    #[error("cannot use incident {id}: {} is {problem}. {}", path.display(), problem.hint())]
    Unusable {
        id: String,
        path: PathBuf,
        problem: Problem,
    },
}

/// Why an incident's journal does not give an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It cannot be read: the OS's reason (`permission denied`).
    Unreadable(String),
    /// The folder has no journal.
    Missing,
    /// The file is empty.
    Empty,
    /// Every line is damaged (or from a newer version).
    NoValidEvents,
    /// It does not start with the incident's opening.
    NoOpening,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unreadable(why) => write!(f, "unreadable: {why}"),
            Problem::Missing => f.write_str("damaged: journal.jsonl is missing"),
            Problem::Empty => f.write_str("damaged: the journal is empty"),
            Problem::NoValidEvents => f.write_str("damaged: no valid events"),
            Problem::NoOpening => {
                f.write_str("damaged: its opening event (incident_opened) is missing")
            }
        }
    }
}

impl Problem {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Problem::Unreadable(_) => {
                "Fix its permissions, or act on another incident with --incident ID (`warroom list` shows them all)"
            }
            _ => {
                "Restore it from a backup or from a journal.jsonl.damaged-* copy beside it, or act on another incident with --incident ID (`warroom list` shows them all)"
            }
        }
    }
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
    pub fn of(inc: &Incident) -> Self {
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

/// An incident folder whose journal does not give an incident.
#[derive(Debug, Clone)]
pub struct BrokenIncident {
    pub id: String,
    pub journal: PathBuf,
    pub problem: Problem,
}

impl BrokenIncident {
    /// The error a verb that acts on it fails with.
    pub fn error(&self) -> StoreError {
        StoreError::Unusable {
            id: self.id.clone(),
            path: self.journal.clone(),
            problem: self.problem.clone(),
        }
    }

    /// When it was created, from its id (`20261130-1403-…`), if the id says.
    pub fn created(&self) -> Option<DateTime<Utc>> {
        let stamp = self.id.get(..13)?;
        NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M")
            .ok()
            .map(|t| Utc.from_utc_datetime(&t))
    }
}

/// One incident as listed: its summary, or why its journal gives none. In JSON the latter is
/// `{"id", "journal", "error"}`.
#[derive(Debug, Clone)]
pub enum Listed {
    Ok(IncidentSummary),
    Broken(BrokenIncident),
}

impl Listed {
    pub fn id(&self) -> &str {
        match self {
            Listed::Ok(s) => &s.id,
            Listed::Broken(b) => &b.id,
        }
    }

    pub fn summary(&self) -> Option<&IncidentSummary> {
        match self {
            Listed::Ok(s) => Some(s),
            Listed::Broken(_) => None,
        }
    }

    /// The time it sorts by: opened, or for a broken one the time in its id.
    fn sort_key(&self) -> (Option<DateTime<Utc>>, bool) {
        match self {
            Listed::Ok(s) => (Some(s.opened), false),
            Listed::Broken(b) => (b.created(), true),
        }
    }
}

impl Serialize for Listed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Listed::Ok(sum) => sum.serialize(s),
            Listed::Broken(b) => {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("id", &b.id)?;
                m.serialize_entry("journal", &b.journal)?;
                m.serialize_entry("error", &b.problem.to_string())?;
                m.end()
            }
        }
    }
}

/// An incident loaded from its journal, with whatever the reader had to skip.
#[derive(Debug)]
pub struct Loaded {
    pub incident: Incident,
    /// One per line skipped (for the log).
    pub warnings: Vec<ReadWarning>,
    /// One line for the person when lines were skipped (already printed by a reporting
    /// [`DataDir`]).
    pub notice: Option<String>,
    /// Where the reader stopped, to pick up later lines from.
    pub reader: journal::Reader,
}

/// Which incidents [`DataDir::latest`] looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Open,
    Closed,
}

/// Where notices about damaged journals go: each distinct one once.
struct Notices {
    print: fn(&str),
    seen: Mutex<HashSet<String>>,
}

/// How long a hidden folder of a `new` may stay before it counts as left by a crash.
const STALE_BUILD: std::time::Duration = std::time::Duration::from_secs(600);
/// The start of the names of folders being built.
const BUILD_PREFIX: &str = ".new.tmp-";

/// The data directory.
#[derive(Clone)]
pub struct DataDir {
    root: PathBuf,
    notices: Option<Arc<Notices>>,
    /// The incidents whose journal was opened for appending through this value (team mode
    /// shares what they got, after the verb).
    appended: Arc<Mutex<std::collections::BTreeSet<String>>>,
}

impl std::fmt::Debug for DataDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataDir").field("root", &self.root).finish()
    }
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir {
            root: root.into(),
            notices: None,
            appended: Arc::default(),
        }
    }

    /// Reports every journal that had lines skipped to `print`, once per distinct notice however
    /// often it is read (the command line prints them on stderr).
    pub fn reporting(mut self, print: fn(&str)) -> Self {
        self.notices = Some(Arc::new(Notices {
            print,
            seen: Mutex::new(HashSet::new()),
        }));
        self
    }

    fn notify(&self, notice: Option<&String>) {
        if let (Some(n), Some(text)) = (&self.notices, notice)
            && n.seen
                .lock()
                .map(|mut s| s.insert(text.clone()))
                .unwrap_or(true)
        {
            (n.print)(text);
        }
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

    /// Creates a new incident and makes it current (unless it is a drill; see
    /// [`DataDir::create_with`]). Returns its id.
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
    /// playbooks to attach), and makes it current unless it is a drill (so that a script's
    /// `warroom log` never lands in a drill by mistake). The folder is built under a hidden name and
    /// renamed into place with its whole journal, so it appears complete or not at all; it is
    /// on disk (folder synced) before this returns.
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
        fsutil::create_dir_all_synced(&base).map_err(|e| self.dir_err(e))?;
        clean_stale_builds(&base);
        // `.new.tmp-<pid>-<n>-<random>`: hidden, unique, and recognisable as a build.
        let build = fsutil::temp_name(&base.join("new"));
        let result = self.build_incident(&base, &build, title, severity, by, now, drill, extra);
        if result.is_err() {
            // Nothing half-made stays behind.
            let _ = std::fs::remove_dir_all(&build);
        }
        let id = result?;
        if !drill {
            self.set_current(&id)?;
        }
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn build_incident(
        &self,
        base: &Path,
        build: &Path,
        title: &str,
        severity: Severity,
        by: &str,
        now: DateTime<Utc>,
        drill: bool,
        extra: Vec<EventBody>,
    ) -> Result<String, StoreError> {
        let derr = |e| self.dir_err(e);
        std::fs::create_dir(build).map_err(derr)?;
        std::fs::create_dir(build.join("exports")).map_err(derr)?;
        std::fs::create_dir(build.join("evidence")).map_err(derr)?;
        let journal = build.join("journal.jsonl");
        // The playbooks' lines, the same whatever id the opening gets.
        let mut rest = Vec::new();
        for body in extra {
            rest.extend(journal::encode_line(&Event::new(now, by, body))?);
        }
        let stem = format!("{}-{}", now.format("%Y%m%d-%H%M"), slug(title));
        for n in 1..1000 {
            let id = if n == 1 {
                stem.clone()
            } else {
                format!("{stem}-{n}")
            };
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
            // The opening and the playbooks in one write.
            let mut bytes = journal::encode_line(&opening)?;
            bytes.extend_from_slice(&rest);
            let jerr = |source| JournalError::Write {
                path: journal.clone(),
                source,
            };
            match std::fs::remove_file(&journal) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(jerr(e).into()),
                _ => {}
            }
            fsutil::write_new_synced(&journal, &bytes).map_err(jerr)?;
            fsutil::sync_dir(build).map_err(derr)?;
            let target = base.join(&id);
            match std::fs::rename(build, &target) {
                Ok(()) => {
                    fsutil::sync_dir(base).map_err(derr)?;
                    return Ok(id);
                }
                Err(e) if name_taken(&e) => continue,
                Err(e) => return Err(derr(e)),
            }
        }
        Err(derr(std::io::Error::other(format!(
            "1000 incidents named {stem} already exist"
        ))))
    }

    /// Makes `id` the incident that verbs without `--incident` act on (written whole and
    /// synced; concurrent writers each put in a whole pointer, the last one wins).
    pub fn set_current(&self, id: &str) -> Result<(), StoreError> {
        fsutil::write_atomic(&self.root.join("current"), format!("{id}\n").as_bytes())
            .map_err(|e| self.dir_err(e))
    }

    /// The id in the `current` pointer, if any and if that incident's folder is there (its
    /// journal may still be unreadable: loading it says why).
    pub fn current(&self) -> Option<String> {
        let id = std::fs::read_to_string(self.root.join("current")).ok()?;
        let id = id.trim().to_string();
        if id.is_empty() || id.starts_with('.') || id.contains('/') {
            return None;
        }
        match std::fs::symlink_metadata(self.incident_dir(&id)) {
            Ok(_) => Some(id),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(_) => Some(id),
        }
    }

    /// Ids of every incident folder (also those whose journal is unreadable), sorted. Hidden
    /// folders (incidents being built) are left out.
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
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Resolves an id typed by a person: exact, or a unique prefix, or a unique part of it.
    pub fn resolve(&self, wanted: &str) -> Result<String, StoreError> {
        let wanted = wanted.trim();
        if wanted.is_empty() {
            return Err(StoreError::EmptyId);
        }
        let ids = self.ids()?;
        if ids.iter().any(|i| i == wanted) {
            return Ok(wanted.to_string());
        }
        let mut hits: Vec<&String> = ids.iter().filter(|i| i.starts_with(wanted)).collect();
        if hits.is_empty() {
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
    /// most recently opened open one. A current incident that cannot be read is an error, not
    /// skipped; so is an unreadable one that may be more recent than the open one found.
    pub fn pick(&self, wanted: Option<&str>) -> Result<String, StoreError> {
        if let Some(w) = wanted {
            return self.resolve(w);
        }
        if let Some(cur) = self.current()
            && self.summary(&cur)?.closed.is_none()
        {
            return Ok(cur);
        }
        self.latest(Which::Open)?.ok_or(StoreError::NoneOpen)
    }

    /// The incident named, else the current one even when it is closed, else the latest open
    /// one: for the verbs that act on a closed incident too (export, reopen, review, evidence,
    /// tickets, follow-ups, team sharing).
    pub fn pick_any(&self, wanted: Option<&str>) -> Result<String, StoreError> {
        if wanted.is_none()
            && let Some(cur) = self.current()
        {
            return Ok(cur);
        }
        self.pick(wanted)
    }

    /// The most recently opened open incident, or the most recently closed closed one (drills
    /// left out: they are acted on only when named). An
    /// incident whose journal cannot be read and that was created after the one found (or when
    /// none is found) is an error naming it: it might be the one meant.
    pub fn latest(&self, which: Which) -> Result<Option<String>, StoreError> {
        let list = self.list()?;
        let best = list
            .iter()
            .filter_map(Listed::summary)
            .filter(|s| s.closed.is_some() == (which == Which::Closed))
            // A drill is acted on only when named.
            .filter(|s| !s.drill)
            .max_by_key(|s| match which {
                Which::Open => Some(s.opened),
                Which::Closed => s.closed,
            });
        // Ids carry the minute they were created in.
        let floor = best.map(|s| {
            use chrono::Timelike;
            s.opened
                .with_second(0)
                .and_then(|t| t.with_nanosecond(0))
                .unwrap_or(s.opened)
        });
        for item in list.iter().rev() {
            if let Listed::Broken(b) = item {
                let newer = match (b.created(), floor) {
                    (Some(c), Some(f)) => c >= f,
                    _ => true,
                };
                if newer {
                    return Err(b.error());
                }
            }
        }
        Ok(best.map(|s| s.id.clone()))
    }

    /// Reads an incident's whole journal; a journal that cannot be read is [`StoreError::Unusable`].
    fn read(&self, id: &str) -> Result<(journal::Reader, ReadBatch), StoreError> {
        let path = self.journal_path(id);
        let mut reader = journal::Reader::new(&path);
        let batch = match reader.read_new() {
            Ok(b) => b,
            Err(JournalError::Read { path, source }) => {
                let problem = if source.kind() == std::io::ErrorKind::NotFound {
                    Problem::Missing
                } else {
                    Problem::Unreadable(fsutil::short_reason(&source))
                };
                return Err(StoreError::Unusable {
                    id: id.to_string(),
                    path,
                    problem,
                });
            }
            Err(e) => return Err(e.into()),
        };
        self.notify(batch.notice.as_ref());
        Ok((reader, batch))
    }

    /// Folds what was read; an empty or wholly damaged journal says so.
    /// (The events are taken from the batch: the incident keeps them, in fold order.)
    fn fold(&self, id: &str, batch: &mut ReadBatch) -> Result<Incident, StoreError> {
        let events = std::mem::take(&mut batch.events);
        Incident::from_journal(events).map_err(|e| StoreError::Unusable {
            id: id.to_string(),
            path: self.journal_path(id),
            problem: match e {
                FoldError::Empty if batch.warnings.is_empty() => Problem::Empty,
                FoldError::Empty => Problem::NoValidEvents,
                FoldError::NoOpening => Problem::NoOpening,
            },
        })
    }

    /// Loads an incident from its journal.
    pub fn load(&self, id: &str) -> Result<Loaded, StoreError> {
        let (reader, mut batch) = self.read(id)?;
        let incident = self.fold(id, &mut batch)?;
        Ok(Loaded {
            incident,
            warnings: batch.warnings,
            notice: batch.notice,
            reader,
        })
    }

    /// Loads an incident with every event of its journal (exports carry the journal) and the
    /// warnings of the read.
    pub fn load_events(
        &self,
        id: &str,
    ) -> Result<(Incident, Vec<Event>, Vec<ReadWarning>), StoreError> {
        let (_, mut batch) = self.read(id)?;
        let events = batch.events.clone();
        let incident = self.fold(id, &mut batch)?;
        Ok((incident, events, batch.warnings))
    }

    /// An incident's summary, reading in full only the events that make it (opening, title,
    /// severity, status, closing, reopening); a journal with anything odd in it is read the
    /// whole way, which reports what it skipped.
    pub fn summary(&self, id: &str) -> Result<IncidentSummary, StoreError> {
        if let Ok(Some(headers)) = summary::header_events(&self.journal_path(id))
            && let Ok(inc) = Incident::from_events(&headers)
        {
            return Ok(IncidentSummary::of(&inc));
        }
        let (_, mut batch) = self.read(id)?;
        Ok(IncidentSummary::of(&self.fold(id, &mut batch)?))
    }

    /// Opens an incident's journal for appending.
    pub fn journal(&self, id: &str) -> Result<Journal, StoreError> {
        if let Ok(mut a) = self.appended.lock() {
            a.insert(id.to_string());
        }
        Ok(Journal::open(&self.journal_path(id))?)
    }

    /// The incidents whose journal was opened for appending through [`DataDir::journal`].
    pub fn appended_to(&self) -> Vec<String> {
        self.appended
            .lock()
            .map(|a| a.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Creates the folder of incident `id`, received from elsewhere (a team's stream), whose
    /// journal is `lines` (whole JSON lines, the opening first). Built under a hidden name and
    /// renamed into place, so it appears complete or not at all. Fails if the incident exists.
    pub fn create_received(&self, id: &str, lines: &[u8]) -> Result<(), StoreError> {
        let base = self.incidents_dir();
        fsutil::create_dir_all_synced(&base).map_err(|e| self.dir_err(e))?;
        let build = fsutil::temp_name(&base.join("new"));
        let result = (|| {
            let derr = |e| self.dir_err(e);
            std::fs::create_dir(&build).map_err(derr)?;
            std::fs::create_dir(build.join("exports")).map_err(derr)?;
            std::fs::create_dir(build.join("evidence")).map_err(derr)?;
            let journal = build.join("journal.jsonl");
            fsutil::write_new_synced(&journal, lines).map_err(|source| JournalError::Write {
                path: journal.clone(),
                source,
            })?;
            fsutil::sync_dir(&build).map_err(derr)?;
            let target = base.join(id);
            if target.exists() {
                return Err(derr(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("incident {id} is already here"),
                )));
            }
            std::fs::rename(&build, &target).map_err(derr)?;
            fsutil::sync_dir(&base).map_err(derr)
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&build);
        }
        result
    }

    /// Every incident, oldest first; one whose journal cannot be read is listed with why.
    pub fn list(&self) -> Result<Vec<Listed>, StoreError> {
        let ids = self.ids()?;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8)
            .min(ids.len().max(1));
        let per = ids.len().div_ceil(threads).max(1);
        let one = |id: &String| -> Result<Listed, StoreError> {
            match self.summary(id) {
                Ok(s) => Ok(Listed::Ok(s)),
                Err(StoreError::Unusable { id, path, problem }) => {
                    Ok(Listed::Broken(BrokenIncident {
                        id,
                        journal: path,
                        problem,
                    }))
                }
                Err(e) => Err(e),
            }
        };
        let mut out: Vec<Listed> = std::thread::scope(|s| {
            let handles: Vec<_> = ids
                .chunks(per)
                .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .zip(ids.chunks(per))
                .flat_map(|(h, c)| {
                    h.join()
                        .unwrap_or_else(|_| c.iter().map(one).collect::<Vec<_>>())
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        out.sort_by(|a, b| {
            let (ta, ba) = a.sort_key();
            let (tb, bb) = b.sort_key();
            (ta.is_none(), ta, ba, a.id()).cmp(&(tb.is_none(), tb, bb, b.id()))
        });
        Ok(out)
    }
}

/// Whether a rename failed because the target name is taken.
fn name_taken(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::DirectoryNotEmpty
    ) || matches!(
        e.raw_os_error(),
        Some(libc::ENOTEMPTY) | Some(libc::EEXIST) | Some(libc::ENOTDIR) | Some(libc::EISDIR)
    )
}

/// Removes folders of `new`s that were killed half-way (hidden, older than ten minutes).
fn clean_stale_builds(base: &Path) {
    let Ok(rd) = std::fs::read_dir(base) else {
        return;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let stale = e.file_name().to_string_lossy().starts_with(BUILD_PREFIX)
            && e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_BUILD);
        if stale {
            let _ = std::fs::remove_dir_all(e.path());
        }
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
