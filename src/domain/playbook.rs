//! Playbooks: checklists the incident commander works through, and the state of each step.
//!
//! This module is pure: it parses playbook TOML text handed to it, folds step changes into
//! progress, and answers time questions against a clock value the caller passes in. Reading
//! directories and writing the journal happen elsewhere.
//!
//! A playbook file looks like this:
//!
//! ```toml
//! name = "Cloud mail outage"
//! description = "What to do when hosted mail stops flowing."
//!
//! [[sections]]
//! title = "Triage"
//!
//! [[sections.steps]]
//! id = "confirm-provider"
//! title = "Confirm the provider incident"
//! detail = """
//! Find the incident on the provider's health page and note its id.
//! """
//! owner = "commander"
//! due = "10m"          # relative to incident start
//! required = true
//! check_back = "15m"   # re-check timer while the step is in progress
//! ```
//!
//! Unknown fields are errors, and every error names the file, the line and the field.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::text::{BODY_CAP, FIELD_CAP, sanitize, sanitize_line};
use super::toml_errors::LineIndex;

/// The playbook a new incident starts with unless the commander picks another.
pub const DEFAULT_PLAYBOOK: &str = "cloud-mail-outage";

/// Playbooks shipped inside the binary, as `(id, TOML text)`. A user file with the same id
/// replaces one of these (see [`load_playbooks`]).
pub const BUILTIN_PLAYBOOKS: &[(&str, &str)] = &[
    (
        "cloud-mail-outage",
        include_str!("../../assets/playbooks/cloud-mail-outage.toml"),
    ),
    (
        "phishing-surge",
        include_str!("../../assets/playbooks/phishing-surge.toml"),
    ),
    (
        "post-incident-review",
        include_str!("../../assets/playbooks/post-incident-review.toml"),
    ),
];

/// The largest playbook file read: 8 MiB (8,388,608 bytes). A checklist is a few kilobytes; this
/// only stops a runaway file from being read and copied into every journal it is attached to.
pub const MAX_PLAYBOOK_BYTES: usize = 8 * 1024 * 1024;

/// The longest duration a playbook may name (`due` or `check_back`): 30 days.
const MAX_DURATION_SECS: i64 = 30 * 24 * 3600;

// ---------------------------------------------------------------------------------------------
// Playbook definition
// ---------------------------------------------------------------------------------------------

/// A parsed playbook: an ordered list of sections, each an ordered list of steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    /// Identifier, taken from the file stem (`cloud-mail-outage` for `cloud-mail-outage.toml`).
    pub id: String,
    /// Human name shown in the pane title and pickers.
    pub name: String,
    /// What the playbook is for; may be empty.
    pub description: String,
    /// Sections in file order; never empty.
    pub sections: Vec<Section>,
}

/// A titled group of steps (Triage, Communicate, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section heading.
    pub title: String,
    /// Steps in file order; never empty.
    pub steps: Vec<Step>,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Identifier, unique within the playbook; letters, digits, `-`, `_` and `.` only.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What to do and why; may span several lines, may be empty.
    pub detail: String,
    /// Default owner: a role (commander, deputy, scribe, comms) or free text.
    pub owner: Option<String>,
    /// When the step should be complete, relative to incident start.
    pub due: Option<TimeDelta>,
    /// Whether the incident should not be closed while this step is open.
    pub required: bool,
    /// While the step is in progress, how often someone should look again.
    pub check_back: Option<TimeDelta>,
}

impl Playbook {
    /// Every step with the section it belongs to, in file order.
    pub fn steps(&self) -> impl Iterator<Item = (&Section, &Step)> {
        self.sections
            .iter()
            .flat_map(|section| section.steps.iter().map(move |step| (section, step)))
    }

    /// The step with this id, if any.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps()
            .map(|(_, step)| step)
            .find(|step| step.id == id)
    }

    /// Number of steps over all sections.
    pub fn step_count(&self) -> usize {
        self.sections
            .iter()
            .map(|section| section.steps.len())
            .sum()
    }
}

impl Step {
    /// Wall-clock time the step is due: incident start plus `due`.
    pub fn due_at(&self, incident_start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.due.map(|due| incident_start + due)
    }
}

// ---------------------------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------------------------

/// Parses a playbook duration (`15m`, `1h30m`, `90s`, `1d`; see
/// [`crate::domain::time::parse_duration`]), at most 30 days.
pub fn parse_duration(text: &str) -> Option<TimeDelta> {
    crate::domain::time::parse_duration(text)
        .filter(|d| *d >= TimeDelta::zero() && d.num_seconds() <= MAX_DURATION_SECS)
}

pub use crate::domain::time::format_duration;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A playbook file that could not be used, with where the problem is.
///
/// Displays as `playbooks/foo.toml:12: field `due`: "15x" is not a duration (use 15m, 1h30m, 90s)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {}{kind}", FieldPrefix(.field.as_deref()))]
pub struct PlaybookError {
    /// The file label the caller passed (a path, or `builtin:<id>`).
    pub file: String,
    /// 1-based line of the problem.
    pub line: usize,
    /// The field (TOML key) at fault, when there is one.
    pub field: Option<String>,
    /// What is wrong.
    pub kind: PlaybookErrorKind,
}

struct FieldPrefix<'a>(Option<&'a str>);

impl fmt::Display for FieldPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, "field `{field}`: "),
            None => Ok(()),
        }
    }
}

/// What is wrong with a playbook file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaybookErrorKind {
    /// The text is not TOML at all.
    #[error("not valid TOML: {0}")]
    Syntax(String),
    /// A key the format does not know (often a typo).
    #[error("unknown field; expected one of {}", .expected.join(", "))]
    UnknownField {
        /// The keys allowed at this place.
        expected: &'static [&'static str],
    },
    /// A value of the wrong TOML type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the field needs, e.g. `a string`.
        expected: &'static str,
        /// The TOML type that was written.
        found: &'static str,
    },
    /// A field that must be present is not.
    #[error("missing; {hint}")]
    Missing {
        /// What to add.
        hint: &'static str,
    },
    /// A field that must say something is empty.
    #[error("is empty; {hint}")]
    Empty {
        /// What to write instead.
        hint: &'static str,
    },
    /// An id with characters that would not survive a command line.
    #[error("{value:?} is not a usable id (use letters, digits, '-', '_' or '.')")]
    BadId {
        /// The id as written.
        value: String,
    },
    /// Two steps share an id.
    #[error("step id {id:?} is already used on line {first_line}; step ids must be unique")]
    DuplicateStepId {
        /// The repeated id.
        id: String,
        /// Where it was first used.
        first_line: usize,
    },
    /// A `due` or `check_back` that does not parse.
    #[error("{value:?} is not a duration (use 15m, 1h30m, 90s)")]
    BadDuration {
        /// The text as written.
        value: String,
    },
    /// A `check_back` of zero, which would fire constantly.
    #[error("a check-back timer must be longer than zero")]
    ZeroCheckBack,
    /// A playbook or section with nothing in it.
    #[error("needs at least one entry; {hint}")]
    NoEntries {
        /// What to add.
        hint: &'static str,
    },
    /// The file stem cannot be used as a playbook id.
    #[error(
        "the file name {value:?} does not make a usable playbook id; rename the file using letters, digits, '-', '_' or '.'"
    )]
    BadPlaybookId {
        /// The id derived from the file name.
        value: String,
    },
    /// The file is larger than [`MAX_PLAYBOOK_BYTES`].
    #[error(
        "the file is {bytes} bytes, more than the {limit} bytes (8 MiB) a playbook may have; split it into several playbooks or shorten its text"
    )]
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// The limit, [`MAX_PLAYBOOK_BYTES`].
        limit: usize,
    },
    /// Two user files give the same playbook id.
    #[error("playbook id {id:?} is also defined by {other}; this file was ignored")]
    DuplicatePlaybook {
        /// The shared id.
        id: String,
        /// The file that was kept.
        other: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

const PLAYBOOK_FIELDS: &[&str] = &["name", "description", "sections"];
const SECTION_FIELDS: &[&str] = &["title", "steps"];
const STEP_FIELDS: &[&str] = &[
    "id",
    "title",
    "detail",
    "owner",
    "due",
    "required",
    "check_back",
];

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;

/// Where errors point: the file label and the text's line starts.
struct Source<'a> {
    file: &'a str,
    lines: LineIndex,
}

impl Source<'_> {
    fn line(&self, offset: usize) -> usize {
        self.lines.line(offset)
    }

    fn error(
        &self,
        span: Range<usize>,
        field: Option<&str>,
        kind: PlaybookErrorKind,
    ) -> PlaybookError {
        PlaybookError {
            file: self.file.to_string(),
            line: self.line(span.start),
            field: field.map(str::to_string),
            kind,
        }
    }
}

/// Parses one playbook. `id` comes from the file stem, `file_label` is what errors call the
/// file (e.g. `playbooks/foo.toml`), `text` is its contents.
pub fn parse_playbook(id: &str, file_label: &str, text: &str) -> Result<Playbook, PlaybookError> {
    if text.len() > MAX_PLAYBOOK_BYTES {
        return Err(PlaybookError {
            file: file_label.to_string(),
            line: 1,
            field: None,
            kind: PlaybookErrorKind::TooLarge {
                bytes: text.len() as u64,
                limit: MAX_PLAYBOOK_BYTES,
            },
        });
    }
    let src = Source {
        file: file_label,
        lines: LineIndex::new(text),
    };
    if !is_valid_id(id) {
        return Err(src.error(
            0..0,
            None,
            PlaybookErrorKind::BadPlaybookId {
                value: id.to_string(),
            },
        ));
    }
    let root = DeTable::parse(text).map_err(|err| {
        let span = err.span().unwrap_or(0..0);
        src.error(
            span,
            None,
            PlaybookErrorKind::Syntax(err.message().trim().to_string()),
        )
    })?;
    let root_span = root.span();
    let root = root.get_ref();
    check_keys(&src, root, PLAYBOOK_FIELDS)?;

    let name = required_line(
        &src,
        root,
        root_span.clone(),
        "name",
        "give the playbook a name",
    )?;
    let description = optional_body(&src, root, "description")?;

    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let section_tables = tables(
        &src,
        root,
        root_span,
        "sections",
        "add a [[sections]] table with a title and steps",
    )?;
    let mut sections = Vec::with_capacity(section_tables.len());
    for (span, table) in section_tables {
        sections.push(parse_section(&src, span, table, &mut seen_ids)?);
    }
    Ok(Playbook {
        id: id.to_string(),
        name,
        description,
        sections,
    })
}

fn parse_section(
    src: &Source<'_>,
    span: Range<usize>,
    table: &Table<'_>,
    seen_ids: &mut HashMap<String, usize>,
) -> Result<Section, PlaybookError> {
    check_keys(src, table, SECTION_FIELDS)?;
    let title = required_line(
        src,
        table,
        span.clone(),
        "title",
        "every section needs a title",
    )?;
    let step_tables = tables(
        src,
        table,
        span,
        "steps",
        "add [[sections.steps]] tables under the section",
    )?;
    let mut steps = Vec::with_capacity(step_tables.len());
    for (span, table) in step_tables {
        let step = parse_step(src, span, table)?;
        let line = src.line(key_span(table, "id").map_or(0, |s| s.start));
        if let Some(&first_line) = seen_ids.get(&step.id) {
            return Err(PlaybookError {
                file: src.file.to_string(),
                line,
                field: Some("id".to_string()),
                kind: PlaybookErrorKind::DuplicateStepId {
                    id: step.id,
                    first_line,
                },
            });
        }
        seen_ids.insert(step.id.clone(), line);
        steps.push(step);
    }
    Ok(Section { title, steps })
}

fn parse_step(
    src: &Source<'_>,
    span: Range<usize>,
    table: &Table<'_>,
) -> Result<Step, PlaybookError> {
    check_keys(src, table, STEP_FIELDS)?;
    let id_value = match table.get("id") {
        Some(value) => value,
        None => {
            return Err(src.error(
                span,
                Some("id"),
                PlaybookErrorKind::Missing {
                    hint: "every step needs a short id such as `notify-users`",
                },
            ));
        }
    };
    let id = string(src, "id", id_value)?.trim().to_string();
    if id.is_empty() {
        return Err(src.error(
            id_value.span(),
            Some("id"),
            PlaybookErrorKind::Empty {
                hint: "give the step a short id such as `notify-users`",
            },
        ));
    }
    if !is_valid_id(&id) {
        return Err(src.error(
            id_value.span(),
            Some("id"),
            PlaybookErrorKind::BadId { value: id },
        ));
    }
    let title = required_line(src, table, span, "title", "every step needs a title")?;
    let detail = optional_body(src, table, "detail")?;
    let owner = match table.get("owner") {
        Some(value) => {
            let owner = sanitize_line(string(src, "owner", value)?, FIELD_CAP);
            (!owner.is_empty()).then_some(owner)
        }
        None => None,
    };
    let due = duration(src, table, "due")?;
    let check_back = duration(src, table, "check_back")?;
    if let Some(check_back) = check_back
        && check_back <= TimeDelta::zero()
    {
        let span = table.get("check_back").map_or(0..0, Spanned::span);
        return Err(src.error(span, Some("check_back"), PlaybookErrorKind::ZeroCheckBack));
    }
    let required = match table.get("required") {
        Some(value) => match value.get_ref() {
            DeValue::Boolean(b) => *b,
            other => {
                return Err(wrong_type(
                    src,
                    "required",
                    value,
                    "a boolean (true or false)",
                    other,
                ));
            }
        },
        None => false,
    };
    Ok(Step {
        id,
        title,
        detail,
        owner,
        due,
        required,
        check_back,
    })
}

/// Ids end up in journal lines and on command lines; keep them plain.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn key_span(table: &Table<'_>, key: &str) -> Option<Range<usize>> {
    table.get_key_value(key).map(|(k, _)| k.span())
}

/// Refuses the first (in file order) key not in `allowed`.
fn check_keys(
    src: &Source<'_>,
    table: &Table<'_>,
    allowed: &'static [&'static str],
) -> Result<(), PlaybookError> {
    let unknown = table
        .keys()
        .filter(|key| !allowed.contains(&key.get_ref().as_ref()))
        .min_by_key(|key| key.span().start);
    match unknown {
        Some(key) => Err(src.error(
            key.span(),
            Some(key.get_ref()),
            PlaybookErrorKind::UnknownField { expected: allowed },
        )),
        None => Ok(()),
    }
}

fn wrong_type(
    src: &Source<'_>,
    field: &str,
    value: &Value<'_>,
    expected: &'static str,
    found: &DeValue<'_>,
) -> PlaybookError {
    let found = match found {
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
        DeValue::String(_) => "a string",
    };
    src.error(
        value.span(),
        Some(field),
        PlaybookErrorKind::WrongType { expected, found },
    )
}

fn string<'t>(
    src: &Source<'_>,
    field: &str,
    value: &'t Value<'_>,
) -> Result<&'t str, PlaybookError> {
    match value.get_ref() {
        DeValue::String(s) => Ok(s.as_ref()),
        other => Err(wrong_type(src, field, value, "a string", other)),
    }
}

/// A one-line text field that must be present and non-empty after cleaning.
fn required_line(
    src: &Source<'_>,
    table: &Table<'_>,
    table_span: Range<usize>,
    field: &str,
    hint: &'static str,
) -> Result<String, PlaybookError> {
    let Some(value) = table.get(field) else {
        return Err(src.error(table_span, Some(field), PlaybookErrorKind::Missing { hint }));
    };
    let text = sanitize_line(string(src, field, value)?, FIELD_CAP);
    if text.is_empty() {
        return Err(src.error(value.span(), Some(field), PlaybookErrorKind::Empty { hint }));
    }
    Ok(text)
}

/// A multi-line text field that may be absent (empty string then).
fn optional_body(
    src: &Source<'_>,
    table: &Table<'_>,
    field: &str,
) -> Result<String, PlaybookError> {
    match table.get(field) {
        Some(value) => Ok(sanitize(string(src, field, value)?, BODY_CAP)
            .trim()
            .to_string()),
        None => Ok(String::new()),
    }
}

fn duration(
    src: &Source<'_>,
    table: &Table<'_>,
    field: &str,
) -> Result<Option<TimeDelta>, PlaybookError> {
    let Some(value) = table.get(field) else {
        return Ok(None);
    };
    let text = match value.get_ref() {
        DeValue::String(s) => s.as_ref(),
        other => {
            return Err(wrong_type(
                src,
                field,
                value,
                "a duration string such as \"15m\"",
                other,
            ));
        }
    };
    parse_duration(text).map(Some).ok_or_else(|| {
        src.error(
            value.span(),
            Some(field),
            PlaybookErrorKind::BadDuration {
                value: text.to_string(),
            },
        )
    })
}

/// The non-empty array of tables under `field`, each with the span of its header.
fn tables<'t, 'i>(
    src: &Source<'_>,
    table: &'t Table<'i>,
    table_span: Range<usize>,
    field: &str,
    hint: &'static str,
) -> Result<Vec<(Range<usize>, &'t Table<'i>)>, PlaybookError> {
    let Some(value) = table.get(field) else {
        return Err(src.error(table_span, Some(field), PlaybookErrorKind::Missing { hint }));
    };
    let expected = "an array of tables ([[...]])";
    let items = match value.get_ref() {
        DeValue::Array(items) => items,
        other => return Err(wrong_type(src, field, value, expected, other)),
    };
    if items.is_empty() {
        return Err(src.error(
            value.span(),
            Some(field),
            PlaybookErrorKind::NoEntries { hint },
        ));
    }
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::Table(t) => Ok((item.span(), t)),
            other => Err(wrong_type(src, field, item, expected, other)),
        })
        .collect()
}

/// A valid playbook of `steps` steps, a hundred to a section, each about 280 bytes of TOML (so
/// 18,000 steps make a 5 MB file): for benchmarks and tests of large files.
pub fn generated_playbook(steps: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(steps * 320 + 200);
    out.push_str("name = \"Generated\"\ndescription = \"A large generated playbook.\"\n");
    for i in 0..steps {
        if i % 100 == 0 {
            let _ = write!(out, "\n[[sections]]\ntitle = \"Section {}\"\n", i / 100 + 1);
        }
        let _ = write!(
            out,
            "\n[[sections.steps]]\nid = \"step-{i}\"\ntitle = \"Check relay {i} and note what it says\"\n\
             detail = \"\"\"\nLook at the queue on relay {i}; if deferrals climb, move traffic to\n\
             the backup route and tell the comms lead.\n\"\"\"\nowner = \"deputy\"\ndue = \"{}m\"\n\
             required = {}\ncheck_back = \"15m\"\n",
            i % 600 + 1,
            i % 3 == 0
        );
    }
    out
}

/// Builds the playbook list: every built-in, then every user file, a user file replacing the
/// built-in with the same id. A file that fails to parse is reported and skipped (a built-in
/// it meant to replace stays); the others still load. Output is sorted by id.
///
/// `builtins` are `(id, text)` (see [`BUILTIN_PLAYBOOKS`]); `user_files` are
/// `(id, path label, text)`.
pub fn load_playbooks(
    builtins: &[(&str, &str)],
    user_files: &[(String, String, String)],
) -> (Vec<Playbook>, Vec<PlaybookError>) {
    let mut loaded: BTreeMap<String, Playbook> = BTreeMap::new();
    let mut errors = Vec::new();
    for (id, text) in builtins {
        match parse_playbook(id, &format!("builtin:{id}"), text) {
            Ok(playbook) => {
                loaded.insert(playbook.id.clone(), playbook);
            }
            Err(err) => errors.push(err),
        }
    }
    let mut user_labels: HashMap<&str, &str> = HashMap::new();
    for (id, label, text) in user_files {
        if let Some(other) = user_labels.get(id.as_str()) {
            errors.push(PlaybookError {
                file: label.clone(),
                line: 1,
                field: None,
                kind: PlaybookErrorKind::DuplicatePlaybook {
                    id: id.clone(),
                    other: (*other).to_string(),
                },
            });
            continue;
        }
        match parse_playbook(id, label, text) {
            Ok(playbook) => {
                user_labels.insert(id, label);
                loaded.insert(playbook.id.clone(), playbook);
            }
            Err(err) => errors.push(err),
        }
    }
    (loaded.into_values().collect(), errors)
}

// ---------------------------------------------------------------------------------------------
// Step state
// ---------------------------------------------------------------------------------------------

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not started.
    #[default]
    Todo,
    /// Someone is on it; a check-back timer runs if the step has one.
    Doing,
    /// Finished.
    Done,
    /// Deliberately not done, with a reason.
    Skipped,
}

impl StepStatus {
    /// Done and skipped steps count as complete.
    pub fn is_complete(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped)
    }

    /// Lower-case name, as used in the journal and the timeline.
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Todo => "todo",
            StepStatus::Doing => "doing",
            StepStatus::Done => "done",
            StepStatus::Skipped => "skipped",
        }
    }

    /// Whether the rules allow going from `self` to `to` directly. Completed steps must be
    /// reopened (back to todo) before anything else happens to them.
    pub fn can_become(self, to: StepStatus) -> bool {
        use StepStatus::*;
        matches!(
            (self, to),
            (Todo, Doing | Done | Skipped)
                | (Doing, Todo | Done | Skipped)
                | (Done | Skipped, Todo)
        )
    }
}

impl fmt::Display for StepStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The current state of one step: the fold of its [`StepChange`]s.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StepState {
    /// Where the step stands.
    pub status: StepStatus,
    /// Why it was skipped (only while skipped).
    pub reason: Option<String>,
    /// Who took it over; `None` means the playbook's default owner applies.
    pub owner: Option<String>,
    /// When it went to doing; starts the check-back timer.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was done (only while done).
    pub done_at: Option<DateTime<Utc>>,
    /// The last acknowledgement of the check-back timer, which restarts it.
    pub check_back_acked_at: Option<DateTime<Utc>>,
    /// Time of the last change of any kind.
    pub changed_at: Option<DateTime<Utc>>,
    /// Author of the last change.
    pub changed_by: Option<String>,
}

/// The state of a step nobody has touched.
static UNTOUCHED: StepState = StepState {
    status: StepStatus::Todo,
    reason: None,
    owner: None,
    started_at: None,
    done_at: None,
    check_back_acked_at: None,
    changed_at: None,
    changed_by: None,
};

/// What a [`StepChange`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StepAction {
    /// Move to a new status. `reason` is required for skipped and refused otherwise.
    SetStatus {
        /// The new status.
        status: StepStatus,
        /// Why the step is skipped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Give the step an owner, or (with `None`) hand it back to the playbook default.
    Assign {
        /// The new owner.
        owner: Option<String>,
    },
    /// "I looked again": restart the check-back timer of a step in progress.
    AckCheckBack,
}

/// One change to one step: what the journal stores, and what [`apply`] folds.
///
/// Serialises flat, e.g.
/// `{"playbook":"cloud-mail-outage","step":"notify","op":"set_status","status":"done","at":"…","by":"alice"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepChange {
    /// Playbook id.
    pub playbook: String,
    /// Step id within that playbook.
    pub step: String,
    /// What happens.
    #[serde(flatten)]
    pub action: StepAction,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub by: String,
}

impl StepChange {
    fn new(playbook: &str, step: &str, action: StepAction, at: DateTime<Utc>, by: &str) -> Self {
        StepChange {
            playbook: playbook.to_string(),
            step: step.to_string(),
            action,
            at,
            by: by.to_string(),
        }
    }

    fn status(playbook: &str, step: &str, status: StepStatus, at: DateTime<Utc>, by: &str) -> Self {
        Self::new(
            playbook,
            step,
            StepAction::SetStatus {
                status,
                reason: None,
            },
            at,
            by,
        )
    }

    /// Start working on a step (todo → doing).
    pub fn start(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::status(playbook, step, StepStatus::Doing, at, by)
    }

    /// Mark a step done.
    pub fn done(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::status(playbook, step, StepStatus::Done, at, by)
    }

    /// Skip a step, saying why.
    pub fn skip(playbook: &str, step: &str, reason: &str, at: DateTime<Utc>, by: &str) -> Self {
        let action = StepAction::SetStatus {
            status: StepStatus::Skipped,
            reason: Some(reason.to_string()),
        };
        Self::new(playbook, step, action, at, by)
    }

    /// Put a step back to todo: reopening a done or skipped step, or stopping one in progress.
    pub fn reopen(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::status(playbook, step, StepStatus::Todo, at, by)
    }

    /// Assign an owner (`Some`) or return the step to its default owner (`None`).
    pub fn assign(
        playbook: &str,
        step: &str,
        owner: Option<&str>,
        at: DateTime<Utc>,
        by: &str,
    ) -> Self {
        let action = StepAction::Assign {
            owner: owner.map(str::to_string),
        };
        Self::new(playbook, step, action, at, by)
    }

    /// Acknowledge the check-back timer of a step in progress.
    pub fn ack_check_back(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::new(playbook, step, StepAction::AckCheckBack, at, by)
    }

    /// The tick-box key: a complete (done or skipped) step is reopened, anything else is
    /// marked done. Unticking is its own change, so the journal keeps both.
    pub fn toggle_done(
        playbook: &str,
        step: &str,
        current: &StepState,
        at: DateTime<Utc>,
        by: &str,
    ) -> Self {
        if current.status.is_complete() {
            Self::reopen(playbook, step, at, by)
        } else {
            Self::done(playbook, step, at, by)
        }
    }
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The step already has that status.
    #[error("the step is already {0}")]
    Unchanged(StepStatus),
    /// The rules do not allow this jump.
    #[error("a {from} step cannot become {to} directly; reopen it first")]
    NotAllowed {
        /// Current status.
        from: StepStatus,
        /// Requested status.
        to: StepStatus,
    },
    /// Skipping without saying why.
    #[error("skipping needs a reason: say why this step does not apply")]
    ReasonRequired,
    /// A reason given for something other than a skip.
    #[error("a reason is only recorded when skipping")]
    ReasonNotAllowed,
    /// Assigning an empty owner.
    #[error("the owner is empty; give a name or role, or unassign to return to the default")]
    EmptyOwner,
    /// Assigning the owner the step already has.
    #[error("the step already has that owner")]
    OwnerUnchanged,
    /// Acknowledging a check-back on a step nobody is working on.
    #[error("only a step in progress has a check-back timer to acknowledge; start it first")]
    NotInProgress,
    /// Acknowledging a check-back on a step that has none.
    #[error("step {0:?} has no check-back timer")]
    NoCheckBack(String),
    /// The change names a step the playbook does not have.
    #[error("playbook {playbook:?} has no step {step:?}")]
    UnknownStep {
        /// Playbook id.
        playbook: String,
        /// Step id.
        step: String,
    },
}

impl StepState {
    /// The owner to show: the assigned one, else the step's default role.
    pub fn effective_owner<'a>(&'a self, step: &'a Step) -> Option<&'a str> {
        self.owner.as_deref().or(step.owner.as_deref())
    }

    /// The state after `change`, or why the rules refuse it. Does not modify `self`.
    pub fn after(&self, change: &StepChange) -> Result<StepState, TransitionError> {
        let mut next = self.clone();
        match &change.action {
            StepAction::SetStatus { status, reason } => {
                let to = *status;
                if self.status == to {
                    return Err(TransitionError::Unchanged(to));
                }
                if !self.status.can_become(to) {
                    return Err(TransitionError::NotAllowed {
                        from: self.status,
                        to,
                    });
                }
                let reason = reason
                    .as_deref()
                    .map(|r| sanitize_line(r, FIELD_CAP))
                    .filter(|r| !r.is_empty());
                match (to, reason) {
                    (StepStatus::Skipped, None) => return Err(TransitionError::ReasonRequired),
                    (StepStatus::Skipped, Some(reason)) => next.reason = Some(reason),
                    (_, Some(_)) => return Err(TransitionError::ReasonNotAllowed),
                    (_, None) => next.reason = None,
                }
                next.status = to;
                match to {
                    StepStatus::Todo => {
                        next.started_at = None;
                        next.done_at = None;
                        next.check_back_acked_at = None;
                    }
                    StepStatus::Doing => {
                        next.started_at = Some(change.at);
                        next.check_back_acked_at = None;
                    }
                    StepStatus::Done => next.done_at = Some(change.at),
                    StepStatus::Skipped => next.done_at = None,
                }
            }
            StepAction::Assign { owner } => {
                let owner = match owner {
                    Some(owner) => {
                        let owner = sanitize_line(owner, FIELD_CAP);
                        if owner.is_empty() {
                            return Err(TransitionError::EmptyOwner);
                        }
                        Some(owner)
                    }
                    None => None,
                };
                if owner == self.owner {
                    return Err(TransitionError::OwnerUnchanged);
                }
                next.owner = owner;
            }
            StepAction::AckCheckBack => {
                if self.status != StepStatus::Doing {
                    return Err(TransitionError::NotInProgress);
                }
                next.check_back_acked_at = Some(change.at);
            }
        }
        next.changed_at = Some(change.at);
        next.changed_by = Some(sanitize_line(&change.by, FIELD_CAP));
        Ok(next)
    }
}

/// Step states of every playbook used in an incident, by playbook id then step id. Steps
/// never touched are absent and read as todo.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlaybookProgress {
    /// `playbook id → step id → state`.
    pub states: BTreeMap<String, BTreeMap<String, StepState>>,
}

/// Applies `change` to `progress` if the state rules allow it; on refusal nothing changes.
///
/// This checks only the state rules (it does not know the playbook); use
/// [`PlaybookProgress::apply_checked`] when the playbook is at hand.
pub fn apply(progress: &mut PlaybookProgress, change: &StepChange) -> Result<(), TransitionError> {
    let next = progress
        .state(&change.playbook, &change.step)
        .after(change)?;
    progress
        .states
        .entry(change.playbook.clone())
        .or_default()
        .insert(change.step.clone(), next);
    Ok(())
}

/// Counts for a group of steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// All steps in the group.
    pub total: usize,
    /// Not started.
    pub todo: usize,
    /// In progress.
    pub doing: usize,
    /// Done.
    pub done: usize,
    /// Skipped.
    pub skipped: usize,
    /// Required steps that are neither done nor skipped.
    pub required_open: usize,
}

impl Progress {
    fn count(&mut self, step: &Step, status: StepStatus) {
        self.total += 1;
        match status {
            StepStatus::Todo => self.todo += 1,
            StepStatus::Doing => self.doing += 1,
            StepStatus::Done => self.done += 1,
            StepStatus::Skipped => self.skipped += 1,
        }
        if step.required && !status.is_complete() {
            self.required_open += 1;
        }
    }

    fn add(&mut self, other: &Progress) {
        self.total += other.total;
        self.todo += other.todo;
        self.doing += other.doing;
        self.done += other.done;
        self.skipped += other.skipped;
        self.required_open += other.required_open;
    }

    /// Done plus skipped.
    pub fn complete(&self) -> usize {
        self.done + self.skipped
    }

    /// Whole percent complete, rounded down; an empty group is 100.
    pub fn percent(&self) -> u8 {
        if self.total == 0 {
            return 100;
        }
        // complete <= total, so the result is at most 100.
        (self.complete() * 100 / self.total) as u8
    }

    /// Every step complete.
    pub fn is_finished(&self) -> bool {
        self.complete() == self.total
    }
}

/// Progress of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionProgress {
    /// Section title.
    pub title: String,
    /// Its counts.
    pub progress: Progress,
}

/// Progress of a whole playbook: per section, and overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookSummary {
    /// One entry per section, in playbook order.
    pub sections: Vec<SectionProgress>,
    /// All sections together.
    pub overall: Progress,
}

impl PlaybookProgress {
    /// The state of one step; todo when never touched.
    pub fn state(&self, playbook: &str, step: &str) -> &StepState {
        self.states
            .get(playbook)
            .and_then(|steps| steps.get(step))
            .unwrap_or(&UNTOUCHED)
    }

    /// Checks `change` against `playbook` (the step exists, an acknowledged step has a
    /// check-back timer) and the state rules, then applies it.
    pub fn apply_checked(
        &mut self,
        playbook: &Playbook,
        change: &StepChange,
    ) -> Result<(), TransitionError> {
        let step = playbook
            .step(&change.step)
            .filter(|_| change.playbook == playbook.id)
            .ok_or_else(|| TransitionError::UnknownStep {
                playbook: change.playbook.clone(),
                step: change.step.clone(),
            })?;
        if change.action == StepAction::AckCheckBack && step.check_back.is_none() {
            return Err(TransitionError::NoCheckBack(step.id.clone()));
        }
        apply(self, change)
    }

    /// Time view of one step of `playbook`, or `None` if there is no such step.
    pub fn timing<'a>(
        &'a self,
        playbook: &'a Playbook,
        step: &str,
        incident_start: DateTime<Utc>,
    ) -> Option<StepTiming<'a>> {
        let step = playbook.step(step)?;
        Some(StepTiming {
            step,
            state: self.state(&playbook.id, &step.id),
            incident_start,
        })
    }

    /// Counts per section and overall.
    pub fn summary(&self, playbook: &Playbook) -> PlaybookSummary {
        let mut overall = Progress::default();
        let sections = playbook
            .sections
            .iter()
            .map(|section| {
                let mut progress = Progress::default();
                for step in &section.steps {
                    progress.count(step, self.state(&playbook.id, &step.id).status);
                }
                overall.add(&progress);
                SectionProgress {
                    title: section.title.clone(),
                    progress,
                }
            })
            .collect();
        PlaybookSummary { sections, overall }
    }

    /// Steps past their due time and not complete, in playbook order.
    pub fn overdue<'a>(
        &'a self,
        playbook: &'a Playbook,
        incident_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<&'a Step> {
        self.timings(playbook, incident_start)
            .filter(|timing| timing.is_overdue(now))
            .map(|timing| timing.step)
            .collect()
    }

    /// Steps in progress whose check-back timer has run out, in playbook order.
    pub fn check_backs_expired<'a>(
        &'a self,
        playbook: &'a Playbook,
        incident_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<&'a Step> {
        self.timings(playbook, incident_start)
            .filter(|timing| timing.check_back_expired(now))
            .map(|timing| timing.step)
            .collect()
    }

    fn timings<'a>(
        &'a self,
        playbook: &'a Playbook,
        incident_start: DateTime<Utc>,
    ) -> impl Iterator<Item = StepTiming<'a>> {
        playbook.steps().map(move |(_, step)| StepTiming {
            step,
            state: self.state(&playbook.id, &step.id),
            incident_start,
        })
    }
}

/// A step, its state and the incident start: answers "when" questions against a given `now`.
#[derive(Debug, Clone, Copy)]
pub struct StepTiming<'a> {
    /// The step definition.
    pub step: &'a Step,
    /// Its current state.
    pub state: &'a StepState,
    /// When the incident started.
    pub incident_start: DateTime<Utc>,
}

impl StepTiming<'_> {
    /// Wall-clock due time: incident start + `due`.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.step.due_at(self.incident_start)
    }

    /// Time left until due; negative once past. `None` without a due time.
    pub fn countdown(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.due_at().map(|due| due - now)
    }

    /// Not done or skipped, and strictly past its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        !self.state.status.is_complete() && self.due_at().is_some_and(|due| now > due)
    }

    /// When the check-back timer rings: the later of start and last acknowledgement, plus the
    /// step's `check_back`. Only for a step in progress that has a check-back.
    pub fn check_back_at(&self) -> Option<DateTime<Utc>> {
        if self.state.status != StepStatus::Doing {
            return None;
        }
        let every = self.step.check_back?;
        let from = match (self.state.started_at, self.state.check_back_acked_at) {
            (Some(started), Some(acked)) => started.max(acked),
            (started, acked) => started.or(acked)?,
        };
        Some(from + every)
    }

    /// Time left on the check-back timer; negative once it has rung. `None` when no timer runs.
    pub fn check_back_remaining(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.check_back_at().map(|at| at - now)
    }

    /// The check-back timer has rung (now at or past it) and not been acknowledged since.
    pub fn check_back_expired(&self, now: DateTime<Utc>) -> bool {
        self.check_back_at().is_some_and(|at| now >= at)
    }
}

/// The timeline line for a change to `step`, given the state before it:
/// `done: Notify stakeholders`, `skipped: X (reason: …)`, `reopened: X`, `doing: X`,
/// `owner: X → alice`.
pub fn timeline_text(step: &Step, before: &StepState, change: &StepChange) -> String {
    let title = &step.title;
    match &change.action {
        StepAction::SetStatus { status, reason } => match status {
            StepStatus::Doing => format!("doing: {title}"),
            StepStatus::Done => format!("done: {title}"),
            StepStatus::Skipped => match reason.as_deref().map(|r| sanitize_line(r, FIELD_CAP)) {
                Some(reason) if !reason.is_empty() => {
                    format!("skipped: {title} (reason: {reason})")
                }
                _ => format!("skipped: {title}"),
            },
            StepStatus::Todo if before.status == StepStatus::Doing => {
                format!("back to todo: {title}")
            }
            StepStatus::Todo => format!("reopened: {title}"),
        },
        StepAction::Assign { owner } => match owner.as_deref().map(|o| sanitize_line(o, FIELD_CAP))
        {
            Some(owner) => format!("owner: {title} → {owner}"),
            None => match &step.owner {
                Some(default) => format!("owner: {title} → {default} (default)"),
                None => format!("owner: {title} → unassigned"),
            },
        },
        StepAction::AckCheckBack => format!("checked back: {title}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, h, m, s).unwrap()
    }

    fn mins(m: i64) -> TimeDelta {
        TimeDelta::minutes(m)
    }

    #[test]
    fn line_index_matches_counting() {
        let text = "a\nbb\n\nccc\né\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            let counted = text.as_bytes()[..offset.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            assert_eq!(index.line(offset), counted, "offset {offset}");
        }
    }

    #[test]
    fn a_generated_playbook_parses_with_every_step_in_place() {
        let text = generated_playbook(250);
        let pb = parse_playbook("gen", "gen.toml", &text).unwrap();
        assert_eq!(pb.step_count(), 250);
        assert_eq!(pb.sections.len(), 3);
        // The step ids' lines are right, far into the file: a duplicate names both lines.
        let dup = text.replace("id = \"step-249\"", "id = \"step-7\"");
        let err = parse_playbook("gen", "gen.toml", &dup).unwrap_err();
        let line_of = |needle: &str| text[..text.find(needle).unwrap()].lines().count() + 1;
        assert_eq!(err.line, line_of("id = \"step-249\""));
        assert_eq!(
            err.kind,
            PlaybookErrorKind::DuplicateStepId {
                id: "step-7".into(),
                first_line: line_of("id = \"step-7\"\n")
            }
        );
    }

    #[test]
    fn a_playbook_over_8_mib_is_refused_by_size() {
        let mut text = generated_playbook(10);
        text.push_str(&format!("# {}\n", "x".repeat(MAX_PLAYBOOK_BYTES)));
        let err = parse_playbook("big", "big.toml", &text).unwrap_err();
        assert!(
            matches!(err.kind, PlaybookErrorKind::TooLarge { .. }),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("big.toml:1: the file is "),
            "{err}"
        );
        assert!(err.to_string().contains("8 MiB"), "{err}");
        // Just under the limit is fine.
        let mut text = generated_playbook(10);
        text.push_str(&format!(
            "# {}\n",
            "x".repeat(MAX_PLAYBOOK_BYTES - text.len() - 3)
        ));
        assert_eq!(text.len(), MAX_PLAYBOOK_BYTES);
        assert!(parse_playbook("big", "big.toml", &text).is_ok());
    }

    const SMALL: &str = r#"name = "Small"
description = """
First line.
Second line.
"""

[[sections]]
title = "Triage"

[[sections.steps]]
id = "confirm"
title = "Confirm"
owner = "commander"
due = "10m"
required = true
check_back = "5m"

[[sections.steps]]
id = "trace"
title = "Trace"
due = "1h30m"

[[sections]]
title = "Afterwards"

[[sections.steps]]
id = "review"
title = "Review"
detail = "Hold it."
required = true
"#;

    fn small() -> Playbook {
        parse_playbook("small", "playbooks/small.toml", SMALL).unwrap()
    }

    /// Parses `text` expecting failure and returns the error.
    fn bad(text: &str) -> PlaybookError {
        match parse_playbook("foo", "playbooks/foo.toml", text) {
            Ok(pb) => panic!("expected an error, parsed {pb:?}"),
            Err(err) => err,
        }
    }

    fn assert_error(err: &PlaybookError, line: usize, field: Option<&str>, message_part: &str) {
        let shown = err.to_string();
        assert_eq!(err.file, "playbooks/foo.toml", "{shown}");
        assert_eq!(err.line, line, "{shown}");
        assert_eq!(err.field.as_deref(), field, "{shown}");
        let prefix = match field {
            Some(field) => format!("playbooks/foo.toml:{line}: field `{field}`: "),
            None => format!("playbooks/foo.toml:{line}: "),
        };
        assert!(
            shown.starts_with(&prefix),
            "{shown:?} should start with {prefix:?}"
        );
        assert!(
            shown.contains(message_part),
            "{shown:?} should contain {message_part:?}"
        );
    }

    // --- parsing -------------------------------------------------------------------------

    #[test]
    fn parses_a_valid_file() {
        let pb = small();
        assert_eq!(pb.id, "small");
        assert_eq!(pb.name, "Small");
        assert_eq!(pb.description, "First line.\nSecond line.");
        assert_eq!(pb.sections.len(), 2);
        assert_eq!(pb.sections[0].title, "Triage");
        assert_eq!(pb.step_count(), 3);
        let confirm = pb.step("confirm").unwrap();
        assert_eq!(confirm.owner.as_deref(), Some("commander"));
        assert_eq!(confirm.due, Some(mins(10)));
        assert_eq!(confirm.check_back, Some(mins(5)));
        assert!(confirm.required);
        let trace = pb.step("trace").unwrap();
        assert_eq!(trace.due, Some(mins(90)));
        assert_eq!(trace.owner, None);
        assert!(!trace.required);
        assert_eq!(trace.check_back, None);
        assert_eq!(trace.detail, "");
        assert_eq!(pb.step("review").unwrap().detail, "Hold it.");
        assert!(pb.step("nope").is_none());
        let ids: Vec<_> = pb
            .steps()
            .map(|(s, st)| (s.title.as_str(), st.id.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("Triage", "confirm"),
                ("Triage", "trace"),
                ("Afterwards", "review")
            ]
        );
    }

    #[test]
    fn text_fields_are_cleaned_of_escapes() {
        let text = "name = \"Evil\\u001b[31m name\"\n[[sections]]\ntitle = \"S\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"  spaced\\n  out  \"\n";
        let pb = parse_playbook("evil", "evil.toml", text).unwrap();
        assert_eq!(pb.name, "Evil name");
        assert_eq!(pb.sections[0].steps[0].title, "spaced out");
    }

    #[test]
    fn every_builtin_playbook_parses() {
        assert!(BUILTIN_PLAYBOOKS.len() >= 3);
        for (id, text) in BUILTIN_PLAYBOOKS {
            let pb = parse_playbook(id, &format!("builtin:{id}"), text)
                .unwrap_or_else(|err| panic!("built-in {id} does not parse: {err}"));
            assert!(pb.step_count() >= 5, "{id} is too thin");
            assert!(
                pb.steps().any(|(_, s)| s.required),
                "{id} has no required step"
            );
            for (_, step) in pb.steps() {
                assert!(!step.detail.is_empty(), "{id}/{} has no detail", step.id);
                assert!(step.owner.is_some(), "{id}/{} has no owner", step.id);
            }
        }
        let ids: Vec<_> = BUILTIN_PLAYBOOKS.iter().map(|(id, _)| *id).collect();
        assert!(ids.contains(&DEFAULT_PLAYBOOK));
        assert!(ids.contains(&"phishing-surge"));
        assert!(ids.contains(&"post-incident-review"));
    }

    #[test]
    fn cloud_mail_outage_has_the_expected_shape() {
        let (_, text) = BUILTIN_PLAYBOOKS
            .iter()
            .find(|(id, _)| *id == DEFAULT_PLAYBOOK)
            .unwrap();
        let pb = parse_playbook(DEFAULT_PLAYBOOK, "builtin", text).unwrap();
        assert_eq!(pb.name, "Cloud mail outage (Exchange Online)");
        let titles: Vec<_> = pb.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            ["Triage", "Communicate", "Contain", "Recover", "Afterwards"]
        );
        let first = &pb.sections[0].steps[0];
        assert!(first.required);
        assert!(first.due.is_some_and(|d| d >= mins(5) && d <= mins(15)));
        for id in [
            "confirm-provider-incident",
            "subscribe-provider-updates",
            "notify-stakeholders",
            "open-alternate-channels",
            "pause-mail-workflows",
            "trace-message-flow",
            "freeze-tenant-changes",
            "helpdesk-script",
            "keep-timeline",
            "collect-local-logs",
            "snapshot-mail-config",
            "open-vendor-ticket",
            "watch-outage-phishing",
            "request-provider-report",
            "schedule-review",
        ] {
            assert!(pb.step(id).is_some(), "missing step {id}");
        }
        assert_eq!(
            pb.step("subscribe-provider-updates").unwrap().check_back,
            Some(mins(15))
        );
    }

    #[test]
    fn unknown_field_at_each_level_is_named_with_its_line() {
        let err = bad(
            "name = \"x\"\ncolour = \"red\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
        );
        assert_error(
            &err,
            2,
            Some("colour"),
            "unknown field; expected one of name, description, sections",
        );

        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\nowner = \"me\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
        );
        assert_error(
            &err,
            4,
            Some("owner"),
            "unknown field; expected one of title, steps",
        );

        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ndeu = \"5m\"\n",
        );
        assert_error(
            &err,
            7,
            Some("deu"),
            "unknown field; expected one of id, title, detail",
        );
    }

    #[test]
    fn first_unknown_field_in_file_order_is_reported() {
        // Keys are stored sorted; the report must follow the file instead.
        let err = bad(
            "name = \"x\"\nzzz = 1\naaa = 2\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
        );
        assert_error(&err, 2, Some("zzz"), "unknown field");
    }

    #[test]
    fn duplicate_step_id_across_sections_is_refused() {
        let text = "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n\n[[sections]]\ntitle = \"t\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"c\"\n";
        let err = bad(text);
        assert_error(
            &err,
            11,
            Some("id"),
            "step id \"a\" is already used on line 5",
        );
    }

    #[test]
    fn bad_duration_matches_the_documented_message() {
        let text = "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n\n\n\n\n\ndue = \"15x\"\n";
        let err = bad(text);
        assert_eq!(
            err.to_string(),
            "playbooks/foo.toml:12: field `due`: \"15x\" is not a duration (use 15m, 1h30m, 90s)"
        );
        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ncheck_back = \"soon\"\n",
        );
        assert_error(&err, 7, Some("check_back"), "\"soon\" is not a duration");
        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ncheck_back = \"0m\"\n",
        );
        assert_error(&err, 7, Some("check_back"), "longer than zero");
        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\ndue = 15\n",
        );
        assert_error(
            &err,
            7,
            Some("due"),
            "expected a duration string such as \"15m\", found an integer",
        );
    }

    #[test]
    fn missing_titles_are_reported_where_the_table_starts() {
        let err = bad(
            "description = \"d\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
        );
        assert_error(&err, 1, Some("name"), "missing; give the playbook a name");

        let err =
            bad("name = \"x\"\n\n[[sections]]\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n");
        assert_error(
            &err,
            3,
            Some("title"),
            "missing; every section needs a title",
        );

        let err =
            bad("name = \"x\"\n[[sections]]\ntitle = \"s\"\n\n[[sections.steps]]\nid = \"a\"\n");
        assert_error(&err, 5, Some("title"), "missing; every step needs a title");

        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"  \"\n",
        );
        assert_error(&err, 6, Some("title"), "is empty; every step needs a title");
    }

    #[test]
    fn empty_missing_or_unusable_ids_are_refused() {
        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"\"\ntitle = \"b\"\n",
        );
        assert_error(&err, 5, Some("id"), "is empty");

        let err =
            bad("name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\ntitle = \"b\"\n");
        assert_error(&err, 4, Some("id"), "missing; every step needs a short id");

        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"two words\"\ntitle = \"b\"\n",
        );
        assert_error(&err, 5, Some("id"), "\"two words\" is not a usable id");

        let err = parse_playbook("bad name", "playbooks/bad name.toml", SMALL).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(
            err.to_string()
                .contains("does not make a usable playbook id"),
            "{err}"
        );
    }

    #[test]
    fn wrong_types_and_empty_lists_are_refused() {
        let err = bad(
            "name = 3\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\n",
        );
        assert_error(&err, 1, Some("name"), "expected a string, found an integer");

        let err = bad(
            "name = \"x\"\n[[sections]]\ntitle = \"s\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"b\"\nrequired = \"yes\"\n",
        );
        assert_error(
            &err,
            7,
            Some("required"),
            "expected a boolean (true or false), found a string",
        );

        let err = bad("name = \"x\"\nsections = \"none\"\n");
        assert_error(&err, 2, Some("sections"), "expected an array of tables");

        let err = bad("name = \"x\"\n");
        assert_error(&err, 1, Some("sections"), "missing");

        let err = bad("name = \"x\"\nsections = []\n");
        assert_error(&err, 2, Some("sections"), "needs at least one entry");

        let err = bad("name = \"x\"\n[[sections]]\ntitle = \"s\"\nsteps = []\n");
        assert_error(&err, 4, Some("steps"), "needs at least one entry");
    }

    #[test]
    fn toml_syntax_errors_carry_the_line() {
        let err = bad("name = \"x\"\n\ntitle = \n");
        assert_error(&err, 3, None, "not valid TOML");
    }

    #[test]
    fn durations_parse_and_format() {
        for (text, secs) in [
            ("15m", 900),
            ("1h30m", 5400),
            ("90s", 90),
            ("1h", 3600),
            ("2d", 172_800),
            ("1d2h3m4s", 93_784),
            ("0m", 0),
            (" 5M ", 300),
        ] {
            assert_eq!(
                parse_duration(text),
                Some(TimeDelta::seconds(secs)),
                "{text}"
            );
        }
        for text in [
            "",
            "15",
            "m",
            "15x",
            "30m1h",
            "1h1h",
            "1h 30m",
            "-5m",
            "1.5h",
            "31d",
            "9999999999s",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?} should not parse");
        }
        for text in ["15m", "1h30m", "45s", "1d2h3m4s", "0m"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert_eq!(format_duration(-mins(5)), "-5m");
        assert_eq!(format_duration(TimeDelta::seconds(90)), "1m30s");
    }

    // --- loading -------------------------------------------------------------------------

    fn user(id: &str, text: &str) -> (String, String, String) {
        (
            id.to_string(),
            format!("playbooks/{id}.toml"),
            text.to_string(),
        )
    }

    #[test]
    fn user_files_override_builtins_and_bad_files_do_not_stop_the_rest() {
        let builtins: &[(&str, &str)] = &[("small", SMALL), ("zeta", SMALL), ("alpha", SMALL)];
        let override_text = SMALL.replace("name = \"Small\"", "name = \"Mine\"");
        let users = vec![
            user("small", &override_text),
            user("broken", "name = \"x\"\nbogus = 1\n"),
            user("extra", SMALL),
        ];
        let (loaded, errors) = load_playbooks(builtins, &users);
        let ids: Vec<_> = loaded.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["alpha", "extra", "small", "zeta"]);
        assert_eq!(loaded[2].name, "Mine");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "playbooks/broken.toml");
        assert_eq!(errors[0].line, 2);
        assert_eq!(errors[0].field.as_deref(), Some("bogus"));
    }

    #[test]
    fn a_broken_override_keeps_the_builtin_and_is_reported() {
        let builtins: &[(&str, &str)] = &[("small", SMALL)];
        let (loaded, errors) = load_playbooks(builtins, &[user("small", "name = ")]);
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].name, "Small");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "playbooks/small.toml");
    }

    #[test]
    fn two_user_files_with_one_id_keep_the_first() {
        let second = SMALL.replace("name = \"Small\"", "name = \"Second\"");
        let users = vec![
            user("small", SMALL),
            ("small".to_string(), "other/small.toml".to_string(), second),
        ];
        let (loaded, errors) = load_playbooks(&[], &users);
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].name, "Small");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "other/small.toml");
        assert!(
            errors[0]
                .to_string()
                .contains("also defined by playbooks/small.toml")
        );
    }

    #[test]
    fn the_real_builtins_load_without_errors() {
        let (loaded, errors) = load_playbooks(BUILTIN_PLAYBOOKS, &[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(loaded.len(), BUILTIN_PLAYBOOKS.len());
        assert!(loaded.windows(2).all(|w| w[0].id < w[1].id));
    }

    // --- state machine -------------------------------------------------------------------

    const ALL: [StepStatus; 4] = [
        StepStatus::Todo,
        StepStatus::Doing,
        StepStatus::Done,
        StepStatus::Skipped,
    ];

    fn state_in(status: StepStatus) -> StepState {
        let mut state = StepState::default();
        let path: &[StepChange] = match status {
            StepStatus::Todo => &[],
            StepStatus::Doing => &[StepChange::start("small", "confirm", t(10, 0, 0), "ann")],
            StepStatus::Done => &[StepChange::done("small", "confirm", t(10, 0, 0), "ann")],
            StepStatus::Skipped => &[StepChange::skip(
                "small",
                "confirm",
                "n/a",
                t(10, 0, 0),
                "ann",
            )],
        };
        for change in path {
            state = state.after(change).unwrap();
        }
        assert_eq!(state.status, status);
        state
    }

    fn to(status: StepStatus) -> StepChange {
        match status {
            StepStatus::Skipped => {
                StepChange::skip("small", "confirm", "not needed", t(11, 0, 0), "bob")
            }
            _ => StepChange::status("small", "confirm", status, t(11, 0, 0), "bob"),
        }
    }

    #[test]
    fn transition_table_is_exactly_the_documented_one() {
        use StepStatus::*;
        let allowed = [
            (Todo, Doing),
            (Todo, Done),
            (Todo, Skipped),
            (Doing, Todo),
            (Doing, Done),
            (Doing, Skipped),
            (Done, Todo),
            (Skipped, Todo),
        ];
        for from in ALL {
            for target in ALL {
                let result = state_in(from).after(&to(target));
                if allowed.contains(&(from, target)) {
                    let next = result.unwrap_or_else(|e| panic!("{from} -> {target}: {e}"));
                    assert_eq!(next.status, target);
                    assert_eq!(next.changed_at, Some(t(11, 0, 0)));
                    assert_eq!(next.changed_by.as_deref(), Some("bob"));
                } else if from == target {
                    assert_eq!(result, Err(TransitionError::Unchanged(target)));
                } else {
                    assert_eq!(
                        result,
                        Err(TransitionError::NotAllowed { from, to: target })
                    );
                }
            }
        }
    }

    #[test]
    fn doing_sets_started_at_and_done_sets_done_at() {
        let doing = state_in(StepStatus::Todo)
            .after(&to(StepStatus::Doing))
            .unwrap();
        assert_eq!(doing.started_at, Some(t(11, 0, 0)));
        assert_eq!(doing.done_at, None);
        let done = doing
            .after(&StepChange::done("small", "confirm", t(11, 20, 0), "bob"))
            .unwrap();
        assert_eq!(done.started_at, Some(t(11, 0, 0)));
        assert_eq!(done.done_at, Some(t(11, 20, 0)));
    }

    #[test]
    fn reopening_clears_completion_but_keeps_owner() {
        let mut state = state_in(StepStatus::Done);
        state.owner = Some("alice".into());
        let reopened = state.after(&to(StepStatus::Todo)).unwrap();
        assert_eq!(reopened.status, StepStatus::Todo);
        assert_eq!(reopened.done_at, None);
        assert_eq!(reopened.started_at, None);
        assert_eq!(reopened.owner.as_deref(), Some("alice"));

        let reopened = state_in(StepStatus::Skipped)
            .after(&to(StepStatus::Todo))
            .unwrap();
        assert_eq!(reopened.reason, None);
    }

    #[test]
    fn skipping_needs_a_reason_and_only_skipping_takes_one() {
        let todo = StepState::default();
        for reason in [None, Some(""), Some("   "), Some("\u{1b}[0m")] {
            let change = StepChange::new(
                "small",
                "confirm",
                StepAction::SetStatus {
                    status: StepStatus::Skipped,
                    reason: reason.map(str::to_string),
                },
                t(11, 0, 0),
                "bob",
            );
            assert_eq!(
                todo.after(&change),
                Err(TransitionError::ReasonRequired),
                "{reason:?}"
            );
        }
        let skipped = todo.after(&to(StepStatus::Skipped)).unwrap();
        assert_eq!(skipped.reason.as_deref(), Some("not needed"));
        assert_eq!(skipped.done_at, None);

        let with_reason = StepChange::new(
            "small",
            "confirm",
            StepAction::SetStatus {
                status: StepStatus::Done,
                reason: Some("because".into()),
            },
            t(11, 0, 0),
            "bob",
        );
        assert_eq!(
            todo.after(&with_reason),
            Err(TransitionError::ReasonNotAllowed)
        );
    }

    #[test]
    fn assigning_owners() {
        let todo = StepState::default();
        let at = t(11, 0, 0);
        let assigned = todo
            .after(&StepChange::assign(
                "small",
                "confirm",
                Some(" alice "),
                at,
                "bob",
            ))
            .unwrap();
        assert_eq!(assigned.owner.as_deref(), Some("alice"));
        assert_eq!(assigned.status, StepStatus::Todo);
        assert_eq!(
            assigned.after(&StepChange::assign(
                "small",
                "confirm",
                Some("alice"),
                at,
                "bob"
            )),
            Err(TransitionError::OwnerUnchanged)
        );
        assert_eq!(
            todo.after(&StepChange::assign(
                "small",
                "confirm",
                Some("  "),
                at,
                "bob"
            )),
            Err(TransitionError::EmptyOwner)
        );
        assert_eq!(
            todo.after(&StepChange::assign("small", "confirm", None, at, "bob")),
            Err(TransitionError::OwnerUnchanged)
        );
        let cleared = assigned
            .after(&StepChange::assign("small", "confirm", None, at, "bob"))
            .unwrap();
        assert_eq!(cleared.owner, None);
        // Owners can change on completed steps too.
        assert!(
            state_in(StepStatus::Done)
                .after(&StepChange::assign(
                    "small",
                    "confirm",
                    Some("carol"),
                    at,
                    "bob"
                ))
                .is_ok()
        );
        let pb = small();
        let step = pb.step("confirm").unwrap();
        assert_eq!(todo.effective_owner(step), Some("commander"));
        assert_eq!(assigned.effective_owner(step), Some("alice"));
    }

    #[test]
    fn ack_only_on_a_step_in_progress() {
        let ack = StepChange::ack_check_back("small", "confirm", t(11, 0, 0), "bob");
        for status in [StepStatus::Todo, StepStatus::Done, StepStatus::Skipped] {
            assert_eq!(
                state_in(status).after(&ack),
                Err(TransitionError::NotInProgress)
            );
        }
        let acked = state_in(StepStatus::Doing).after(&ack).unwrap();
        assert_eq!(acked.check_back_acked_at, Some(t(11, 0, 0)));
        assert_eq!(acked.status, StepStatus::Doing);
    }

    #[test]
    fn toggle_done_ticks_and_unticks() {
        let at = t(11, 0, 0);
        for (status, expected) in [
            (StepStatus::Todo, StepStatus::Done),
            (StepStatus::Doing, StepStatus::Done),
            (StepStatus::Done, StepStatus::Todo),
            (StepStatus::Skipped, StepStatus::Todo),
        ] {
            let state = state_in(status);
            let change = StepChange::toggle_done("small", "confirm", &state, at, "bob");
            assert_eq!(
                change.action,
                StepAction::SetStatus {
                    status: expected,
                    reason: None
                }
            );
            assert_eq!(state.after(&change).unwrap().status, expected);
        }
    }

    #[test]
    fn apply_records_per_playbook_and_refusals_change_nothing() {
        let mut progress = PlaybookProgress::default();
        apply(
            &mut progress,
            &StepChange::start("small", "confirm", t(10, 0, 0), "ann"),
        )
        .unwrap();
        apply(
            &mut progress,
            &StepChange::done("other", "confirm", t(10, 1, 0), "ann"),
        )
        .unwrap();
        assert_eq!(progress.state("small", "confirm").status, StepStatus::Doing);
        assert_eq!(progress.state("other", "confirm").status, StepStatus::Done);
        assert_eq!(progress.state("small", "trace"), &StepState::default());

        let before = progress.clone();
        let err = apply(
            &mut progress,
            &StepChange::start("small", "confirm", t(10, 2, 0), "ann"),
        );
        assert_eq!(err, Err(TransitionError::Unchanged(StepStatus::Doing)));
        assert_eq!(progress, before);
    }

    #[test]
    fn apply_checked_knows_the_playbook() {
        let pb = small();
        let mut progress = PlaybookProgress::default();
        let at = t(10, 0, 0);
        assert_eq!(
            progress.apply_checked(&pb, &StepChange::done("small", "ghost", at, "ann")),
            Err(TransitionError::UnknownStep {
                playbook: "small".into(),
                step: "ghost".into()
            })
        );
        assert!(matches!(
            progress.apply_checked(&pb, &StepChange::done("other", "confirm", at, "ann")),
            Err(TransitionError::UnknownStep { .. })
        ));
        progress
            .apply_checked(&pb, &StepChange::start("small", "trace", at, "ann"))
            .unwrap();
        assert_eq!(
            progress.apply_checked(
                &pb,
                &StepChange::ack_check_back("small", "trace", at, "ann")
            ),
            Err(TransitionError::NoCheckBack("trace".into()))
        );
        progress
            .apply_checked(&pb, &StepChange::start("small", "confirm", at, "ann"))
            .unwrap();
        progress
            .apply_checked(
                &pb,
                &StepChange::ack_check_back("small", "confirm", at, "ann"),
            )
            .unwrap();
        assert_eq!(
            progress.state("small", "confirm").check_back_acked_at,
            Some(at)
        );
    }

    #[test]
    fn step_change_serialises_flat_and_round_trips() {
        let change = StepChange::skip(
            "cloud-mail-outage",
            "notify",
            "done by phone",
            t(10, 0, 0),
            "ann",
        );
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "playbook": "cloud-mail-outage",
                "step": "notify",
                "op": "set_status",
                "status": "skipped",
                "reason": "done by phone",
                "at": "2026-03-04T10:00:00Z",
                "by": "ann",
            })
        );
        let back: StepChange = serde_json::from_value(json).unwrap();
        assert_eq!(back, change);
        for change in [
            StepChange::assign("p", "s", Some("alice"), t(10, 0, 0), "ann"),
            StepChange::assign("p", "s", None, t(10, 0, 0), "ann"),
            StepChange::ack_check_back("p", "s", t(10, 0, 0), "ann"),
            StepChange::done("p", "s", t(10, 0, 0), "ann"),
        ] {
            let text = serde_json::to_string(&change).unwrap();
            assert_eq!(
                serde_json::from_str::<StepChange>(&text).unwrap(),
                change,
                "{text}"
            );
        }
    }

    // --- timing --------------------------------------------------------------------------

    #[test]
    fn due_countdown_and_overdue_with_a_fixed_clock() {
        let pb = small();
        let start = t(10, 0, 0);
        let mut progress = PlaybookProgress::default();
        let timing = progress.timing(&pb, "confirm", start).unwrap();
        assert_eq!(timing.due_at(), Some(t(10, 10, 0)));
        assert_eq!(timing.countdown(t(10, 3, 0)), Some(mins(7)));
        assert_eq!(timing.countdown(t(10, 12, 0)), Some(mins(-2)));
        assert!(!timing.is_overdue(t(10, 9, 59)));
        assert!(
            !timing.is_overdue(t(10, 10, 0)),
            "due at exactly now is not late yet"
        );
        assert!(timing.is_overdue(t(10, 10, 1)));

        let review = progress.timing(&pb, "review", start).unwrap();
        assert_eq!(review.due_at(), None);
        assert_eq!(review.countdown(t(23, 0, 0)), None);
        assert!(!review.is_overdue(t(23, 0, 0)));
        assert!(progress.timing(&pb, "ghost", start).is_none());

        assert_eq!(
            progress
                .overdue(&pb, start, t(10, 30, 0))
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["confirm"]
        );
        assert_eq!(progress.overdue(&pb, start, t(12, 0, 0)).len(), 2);

        // Doing is still overdue; done and skipped are not.
        apply(
            &mut progress,
            &StepChange::start("small", "confirm", t(10, 5, 0), "ann"),
        )
        .unwrap();
        assert!(
            progress
                .timing(&pb, "confirm", start)
                .unwrap()
                .is_overdue(t(10, 30, 0))
        );
        apply(
            &mut progress,
            &StepChange::done("small", "confirm", t(10, 20, 0), "ann"),
        )
        .unwrap();
        assert!(
            !progress
                .timing(&pb, "confirm", start)
                .unwrap()
                .is_overdue(t(10, 30, 0))
        );
        apply(
            &mut progress,
            &StepChange::skip("small", "trace", "no access", t(10, 20, 0), "ann"),
        )
        .unwrap();
        assert!(progress.overdue(&pb, start, t(12, 0, 0)).is_empty());
    }

    #[test]
    fn check_back_counts_from_start_then_from_the_last_ack() {
        let pb = small();
        let start = t(10, 0, 0);
        let mut progress = PlaybookProgress::default();
        let idle = progress.timing(&pb, "confirm", start).unwrap();
        assert_eq!(
            idle.check_back_remaining(t(10, 0, 0)),
            None,
            "todo has no timer"
        );
        assert!(!idle.check_back_expired(t(11, 0, 0)));

        apply(
            &mut progress,
            &StepChange::start("small", "confirm", t(10, 2, 0), "ann"),
        )
        .unwrap();
        let timing = progress.timing(&pb, "confirm", start).unwrap();
        assert_eq!(timing.check_back_at(), Some(t(10, 7, 0)));
        assert_eq!(timing.check_back_remaining(t(10, 4, 0)), Some(mins(3)));
        assert!(!timing.check_back_expired(t(10, 6, 59)));
        assert!(timing.check_back_expired(t(10, 7, 0)));
        assert_eq!(timing.check_back_remaining(t(10, 9, 0)), Some(mins(-2)));
        assert_eq!(
            progress
                .check_backs_expired(&pb, start, t(10, 8, 0))
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["confirm"]
        );

        apply(
            &mut progress,
            &StepChange::ack_check_back("small", "confirm", t(10, 8, 0), "ann"),
        )
        .unwrap();
        let timing = progress.timing(&pb, "confirm", start).unwrap();
        assert_eq!(timing.check_back_at(), Some(t(10, 13, 0)));
        assert!(!timing.check_back_expired(t(10, 9, 0)));
        assert!(
            progress
                .check_backs_expired(&pb, start, t(10, 9, 0))
                .is_empty()
        );

        // A step without a check-back never has a timer, even in progress.
        apply(
            &mut progress,
            &StepChange::start("small", "trace", t(10, 2, 0), "ann"),
        )
        .unwrap();
        let trace = progress.timing(&pb, "trace", start).unwrap();
        assert_eq!(trace.check_back_remaining(t(10, 30, 0)), None);

        // Done stops the timer; starting again restarts it from the new start, not the old ack.
        apply(
            &mut progress,
            &StepChange::done("small", "confirm", t(10, 10, 0), "ann"),
        )
        .unwrap();
        assert_eq!(
            progress
                .timing(&pb, "confirm", start)
                .unwrap()
                .check_back_at(),
            None
        );
        apply(
            &mut progress,
            &StepChange::reopen("small", "confirm", t(10, 11, 0), "ann"),
        )
        .unwrap();
        apply(
            &mut progress,
            &StepChange::start("small", "confirm", t(10, 20, 0), "ann"),
        )
        .unwrap();
        let timing = progress.timing(&pb, "confirm", start).unwrap();
        assert_eq!(timing.check_back_at(), Some(t(10, 25, 0)));
    }

    // --- progress ------------------------------------------------------------------------

    #[test]
    fn progress_counts_per_section_and_overall() {
        let pb = small();
        let mut progress = PlaybookProgress::default();
        let summary = progress.summary(&pb);
        assert_eq!(summary.sections.len(), 2);
        assert_eq!(summary.sections[0].title, "Triage");
        assert_eq!(
            summary.overall,
            Progress {
                total: 3,
                todo: 3,
                doing: 0,
                done: 0,
                skipped: 0,
                required_open: 2
            }
        );
        assert_eq!(summary.overall.percent(), 0);
        assert!(!summary.overall.is_finished());

        let at = t(10, 0, 0);
        apply(
            &mut progress,
            &StepChange::start("small", "confirm", at, "ann"),
        )
        .unwrap();
        apply(
            &mut progress,
            &StepChange::skip("small", "trace", "no access", at, "ann"),
        )
        .unwrap();
        apply(
            &mut progress,
            &StepChange::done("small", "review", at, "ann"),
        )
        .unwrap();
        // Progress of a different playbook must not leak in.
        apply(
            &mut progress,
            &StepChange::done("other", "confirm", at, "ann"),
        )
        .unwrap();
        let summary = progress.summary(&pb);
        assert_eq!(
            summary.sections[0].progress,
            Progress {
                total: 2,
                todo: 0,
                doing: 1,
                done: 0,
                skipped: 1,
                required_open: 1
            }
        );
        assert_eq!(summary.sections[0].progress.percent(), 50);
        assert_eq!(summary.sections[1].progress.complete(), 1);
        assert!(summary.sections[1].progress.is_finished());
        assert_eq!(summary.overall.complete(), 2);
        assert_eq!(summary.overall.required_open, 1);
        assert_eq!(summary.overall.percent(), 66);

        apply(
            &mut progress,
            &StepChange::done("small", "confirm", at, "ann"),
        )
        .unwrap();
        let summary = progress.summary(&pb);
        assert_eq!(summary.overall.required_open, 0);
        assert_eq!(summary.overall.percent(), 100);
        assert!(summary.overall.is_finished());
        assert_eq!(Progress::default().percent(), 100);
    }

    // --- timeline ------------------------------------------------------------------------

    #[test]
    fn timeline_text_for_each_change() {
        let pb = small();
        let step = pb.step("confirm").unwrap();
        let trace = pb.step("trace").unwrap();
        let at = t(10, 0, 0);
        let todo = StepState::default();
        let text = |step: &Step, before: StepStatus, change: StepChange| {
            timeline_text(step, &state_in(before), &change)
        };
        assert_eq!(
            text(
                step,
                StepStatus::Todo,
                StepChange::done("small", "confirm", at, "a")
            ),
            "done: Confirm"
        );
        assert_eq!(
            text(
                step,
                StepStatus::Todo,
                StepChange::start("small", "confirm", at, "a")
            ),
            "doing: Confirm"
        );
        assert_eq!(
            text(
                step,
                StepStatus::Todo,
                StepChange::skip("small", "confirm", "done by phone", at, "a")
            ),
            "skipped: Confirm (reason: done by phone)"
        );
        assert_eq!(
            text(
                step,
                StepStatus::Done,
                StepChange::reopen("small", "confirm", at, "a")
            ),
            "reopened: Confirm"
        );
        assert_eq!(
            text(
                step,
                StepStatus::Skipped,
                StepChange::reopen("small", "confirm", at, "a")
            ),
            "reopened: Confirm"
        );
        assert_eq!(
            text(
                step,
                StepStatus::Doing,
                StepChange::reopen("small", "confirm", at, "a")
            ),
            "back to todo: Confirm"
        );
        assert_eq!(
            timeline_text(
                step,
                &todo,
                &StepChange::assign("small", "confirm", Some("alice"), at, "a")
            ),
            "owner: Confirm → alice"
        );
        assert_eq!(
            timeline_text(
                step,
                &todo,
                &StepChange::assign("small", "confirm", None, at, "a")
            ),
            "owner: Confirm → commander (default)"
        );
        assert_eq!(
            timeline_text(
                trace,
                &todo,
                &StepChange::assign("small", "trace", None, at, "a")
            ),
            "owner: Trace → unassigned"
        );
        assert_eq!(
            text(
                step,
                StepStatus::Doing,
                StepChange::ack_check_back("small", "confirm", at, "a")
            ),
            "checked back: Confirm"
        );
    }
}
