//! Reading playbook files: the TOML text to a [`Playbook`], with errors that name the file, the
//! line and the field; the built-in and the user's playbooks.

use super::*;

/// Parses a playbook duration (`15m`, `1h30m`, `90s`, `1d`; see
/// [`crate::domain::time::parse_duration`]), at most 30 days.
pub(super) fn parse_due(text: &str) -> Option<TimeDelta> {
    crate::domain::time::parse_duration_within(text, TimeDelta::seconds(MAX_DURATION_SECS))
}

pub use crate::domain::time::format_duration;

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
    "run",
    "ticket",
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
    let required = boolean(src, table, "required")?;
    let run = command(src, table, "run")?;
    let ticket = boolean(src, table, "ticket")?;
    Ok(Step {
        id,
        title,
        detail,
        owner,
        due,
        required,
        check_back,
        run,
        ticket,
    })
}

/// A boolean that may be absent (false then).
fn boolean(src: &Source<'_>, table: &Table<'_>, field: &str) -> Result<bool, PlaybookError> {
    match table.get(field) {
        Some(value) => match value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            other => Err(wrong_type(
                src,
                field,
                value,
                "a boolean (true or false)",
                other,
            )),
        },
        None => Ok(false),
    }
}

/// A command as an argument list (`["pwsh", "-Command", "..."]`), run without a shell: at least
/// the program, every element a string, none empty or with control characters. Absent: empty.
fn command(src: &Source<'_>, table: &Table<'_>, field: &str) -> Result<Vec<String>, PlaybookError> {
    let Some(value) = table.get(field) else {
        return Ok(Vec::new());
    };
    let expected = "a list of strings: the program and its arguments, e.g. [\"pwsh\", \"-Command\", \"Get-TransportRule\"]";
    let items = match value.get_ref() {
        DeValue::Array(items) => items,
        other => return Err(wrong_type(src, field, value, expected, other)),
    };
    if items.is_empty() {
        return Err(src.error(
            value.span(),
            Some(field),
            PlaybookErrorKind::Empty {
                hint: "name the program and its arguments, or leave `run` out",
            },
        ));
    }
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::String(s) => {
                let arg = s.as_ref();
                if arg.chars().any(char::is_control) || (arg.trim().is_empty()) {
                    Err(src.error(
                        item.span(),
                        Some(field),
                        PlaybookErrorKind::Empty {
                            hint: "each argument needs text, without control characters",
                        },
                    ))
                } else {
                    Ok(arg.to_string())
                }
            }
            other => Err(wrong_type(src, field, item, expected, other)),
        })
        .collect()
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
    parse_due(text).map(Some).ok_or_else(|| {
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
