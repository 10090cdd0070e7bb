//! The post-incident report: one pure function `&Incident -> String` per format (Markdown,
//! HTML, JSON, CSV), the parts they share, and [`write_all`], which puts every format in an
//! incident's `exports/` folder. Markdown and HTML render the same format-neutral
//! [`model::Report`]; JSON and CSV are data, not documents.
//!
//! Every string that came from outside (entry texts, authors, titles, health and trace texts)
//! is escaped again here for the format it goes into, although it was already cleaned of
//! terminal escapes when it entered the journal.

pub mod claim;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod review;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::domain::event::Event;
use crate::domain::health::Level;
use crate::domain::incident::{Entry, EntryKind, Incident};
use crate::domain::playbook::StepStatus;
use crate::domain::time::Zone;

/// How to write a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportOptions {
    /// Zone the times are shown in (each with its UTC offset).
    pub zone: Zone,
    /// Only pinned entries in the timeline (Markdown, HTML, CSV; the JSON is always whole).
    pub pinned_only: bool,
    /// When the report was made; passed in so that the output is deterministic.
    pub generated_at: DateTime<Utc>,
}

/// A report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
    Csv,
    /// The service-credit claim pack (Markdown; not one of the report formats in [`Format::ALL`]).
    Claim,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Markdown, Format::Html, Format::Json, Format::Csv];

    /// File extension, also the word for `--format`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Claim => "claim.md",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" | "htm" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "claim" => Ok(Format::Claim),
            other => Err(format!(
                "unknown export format {other:?}: use md, html, json or csv (or claim, the service-credit claim pack)"
            )),
        }
    }
}

/// The report in one format. `events` is the incident's journal (the JSON carries it so that
/// it loads back into the same state; the claim pack reads the level changes from it); the
/// other formats do not need it.
pub fn render(format: Format, inc: &Incident, events: &[Event], opts: &ExportOptions) -> String {
    match format {
        Format::Markdown => markdown::render(inc, opts),
        Format::Html => html::render(inc, opts),
        Format::Json => json::render(inc, events, opts),
        Format::Csv => csv::render(inc, opts),
        Format::Claim => claim::render(inc, opts, None),
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "cannot write the report {path}: {source}. Check that the folder exists and is writable and that the disk is not full"
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The file name of a report: `<incident>-<UTC stamp>.<ext>`, so earlier reports are kept.
pub fn file_name(inc: &Incident, format: Format, opts: &ExportOptions) -> String {
    format!(
        "{}-{}.{}",
        inc.id,
        opts.generated_at.format("%Y%m%d-%H%M%S"),
        format.extension()
    )
}

/// Writes one file whole and durably ([`crate::store::fsutil::write_atomic`]): nothing of it,
/// not even a temporary file, is left when the write fails.
pub fn write_file(path: &Path, text: &str) -> Result<(), ExportError> {
    crate::store::fsutil::write_atomic(path, text.as_bytes()).map_err(|source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes every format into `dir` (created if missing). Returns the paths written.
pub fn write_all(
    dir: &Path,
    inc: &Incident,
    events: &[Event],
    opts: &ExportOptions,
) -> Result<Vec<PathBuf>, ExportError> {
    crate::store::fsutil::create_dir_all_synced(dir).map_err(|source| ExportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for f in Format::ALL {
        let path = dir.join(file_name(inc, f, opts));
        write_file(&path, &render(f, inc, events, opts))?;
        out.push(path);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// What the formats share
// ---------------------------------------------------------------------------------------------

/// An instant as the report shows it, in the chosen zone.
pub(crate) struct Stamp {
    /// `2026-11-30`
    pub date: String,
    /// `09:03:00`
    pub time: String,
    /// `-05:00`
    pub offset: String,
}

impl Stamp {
    pub fn of(at: DateTime<Utc>, zone: Zone) -> Stamp {
        let wall = zone.to_wall(at);
        Stamp {
            date: wall.format("%Y-%m-%d").to_string(),
            time: wall.format("%H:%M:%S").to_string(),
            offset: wall.format("%:z").to_string(),
        }
    }

    /// `2026-11-30 09:03:00 -05:00`
    pub fn full(&self) -> String {
        format!("{} {} {}", self.date, self.time, self.offset)
    }
}

/// `2026-11-30 09:03:00 -05:00`
pub(crate) fn when(at: DateTime<Utc>, zone: Zone) -> String {
    Stamp::of(at, zone).full()
}

/// The timeline entries the report shows.
pub(crate) fn timeline<'a>(
    inc: &'a Incident,
    opts: &ExportOptions,
) -> impl Iterator<Item = &'a Entry> {
    let pinned_only = opts.pinned_only;
    inc.visible_entries()
        .filter(move |e| !pinned_only || e.pinned)
}

/// One playbook step as the report shows it.
pub(crate) struct StepRow {
    pub section: String,
    pub title: String,
    pub required: bool,
    pub status: StepStatus,
    pub owner: Option<String>,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// Every attached playbook with its steps, in order.
pub(crate) fn playbook_outcome(inc: &Incident) -> Vec<(String, Vec<StepRow>)> {
    inc.playbooks
        .iter()
        .map(|pb| {
            let rows = pb
                .steps()
                .map(|(sec, step)| {
                    let st = inc.progress.state(&pb.id, &step.id);
                    StepRow {
                        section: sec.title.clone(),
                        title: step.title.clone(),
                        required: step.required,
                        status: st.status,
                        owner: st.effective_owner(step).map(str::to_string),
                        changed_by: st.changed_by.clone(),
                        changed_at: st.changed_at,
                        reason: st.reason.clone(),
                    }
                })
                .collect();
            (pb.name.clone(), rows)
        })
        .collect()
}

/// A health item (or a whole source) the incident saw.
pub(crate) struct HealthSeen {
    pub source: String,
    /// `None` for the source as a whole.
    pub item: Option<String>,
    /// The last level recorded.
    pub level: Option<Level>,
    /// The changes recorded in the timeline, oldest first.
    pub changes: Vec<(DateTime<Utc>, String)>,
}

/// The health items seen: every source and item with a `health` timeline entry, and every item
/// last seen in a state other than operational.
pub(crate) fn health_seen(inc: &Incident) -> Vec<HealthSeen> {
    let mut out: Vec<HealthSeen> = Vec::new();
    let level_of = |source: &str, item: Option<&str>| {
        let src = inc.health_seen.sources.get(source)?;
        match item {
            Some(i) => src.items.get(i).map(|s| s.level),
            None => Some(src.level),
        }
    };
    for e in inc
        .visible_entries()
        .filter(|e| e.kind == EntryKind::Health)
    {
        let about = e.about.clone().unwrap_or_default();
        let (source, item) = match about.split_once('/') {
            Some((s, i)) => (s.to_string(), Some(i.to_string())),
            None => (about.clone(), None),
        };
        match out
            .iter_mut()
            .find(|h| h.source == source && h.item == item)
        {
            Some(h) => h.changes.push((e.occurred_at, e.text.clone())),
            None => out.push(HealthSeen {
                level: level_of(&source, item.as_deref()),
                source,
                item,
                changes: vec![(e.occurred_at, e.text.clone())],
            }),
        }
    }
    for (name, src) in &inc.health_seen.sources {
        for (id, seen) in &src.items {
            let known = out
                .iter()
                .any(|h| &h.source == name && h.item.as_deref() == Some(id.as_str()));
            if !known && seen.level != Level::Operational {
                out.push(HealthSeen {
                    source: name.clone(),
                    item: Some(id.clone()),
                    level: Some(seen.level),
                    changes: Vec::new(),
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.source, &a.item).cmp(&(&b.source, &b.item)));
    out
}

/// Entries of kind `trace`: the message-trace snapshots taken.
pub(crate) fn traces(inc: &Incident) -> Vec<&Entry> {
    inc.visible_entries()
        .filter(|e| e.kind == EntryKind::Trace)
        .collect()
}

/// Text from the journal with any terminal escape sequence or control character still in it
/// removed (what reached the journal through warroom was cleaned already; another tool's
/// lines may not have been). Line breaks and tabs stay.
pub(crate) fn clean(s: &str) -> String {
    crate::domain::text::sanitize(s, usize::MAX)
}

/// `closed 2026-11-30 …` or `open`.
pub(crate) fn state_line(inc: &Incident, zone: Zone) -> String {
    match inc.closed_at {
        Some(c) => format!("{} · closed {}", inc.status, when(c, zone)),
        None => format!("{} · open", inc.status),
    }
}
