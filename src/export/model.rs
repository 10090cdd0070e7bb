//! The report before it has a format: its sections built once, as headings, tables, paragraphs
//! and lists of spans that say what each piece of text is (our own words, or text from outside
//! that the format must escape). Markdown and HTML render this same [`Report`], so adding a
//! section is one change here.

use chrono::{DateTime, Utc};

use super::{ExportOptions, Stamp, health_seen, playbook_outcome, state_line, timeline, traces};
use crate::domain::closing::{durations, key_times};
use crate::domain::evidence::{EvidenceFile, Ticket};
use crate::domain::incident::{Incident, Role};
use crate::domain::time::{Zone, format_duration};

/// A piece of text in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// Our own words (labels, times, kinds, levels): written as they are, escaped only where
    /// the format needs it for safety.
    Word(String),
    /// Text from outside on one line (a title, an author, a name): escaped for the format.
    Line(String),
    /// Text from outside whose line breaks are kept (an entry, a reason).
    Lines(String),
    /// Text in bold (escaped for the format).
    Strong(String),
    /// The mark of a pinned entry.
    Pin,
}

/// What a paragraph is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParaKind {
    Plain,
    /// "Nothing here" and side notes: in italics.
    Quiet,
    /// The warning that the incident was closed with required steps open.
    Warning,
}

/// A table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub title: &'static str,
    /// A date or time column (kept on one line).
    pub time: bool,
}

const fn col(title: &'static str) -> Column {
    Column { title, time: false }
}

const fn time_col(title: &'static str) -> Column {
    Column { title, time: true }
}

/// One list item, with the items under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub spans: Vec<Span>,
    pub sub: Vec<Vec<Span>>,
}

/// One block of the report, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section (level 2) or sub-section (level 3) heading.
    Heading(u8, Vec<Span>),
    /// The facts at the top: label and value.
    Facts(Vec<(String, Vec<Span>)>),
    Table {
        columns: Vec<Column>,
        rows: Vec<Vec<Vec<Span>>>,
    },
    Para(ParaKind, Vec<Span>),
    /// Free text from outside, in paragraphs (a summary, the impact).
    Text(String),
    List(Vec<Item>),
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub title: String,
    pub drill: bool,
    pub blocks: Vec<Block>,
}

fn word(s: impl Into<String>) -> Span {
    Span::Word(s.into())
}

fn line(s: impl Into<String>) -> Span {
    Span::Line(s.into())
}

fn when(at: DateTime<Utc>, zone: Zone) -> Span {
    Span::Word(super::when(at, zone))
}

fn quiet(s: &str) -> Block {
    Block::Para(ParaKind::Quiet, vec![word(s)])
}

fn heading(s: &str) -> Block {
    Block::Heading(2, vec![word(s)])
}

/// The post-incident review, after the timeline: each section's latest saved text, else what
/// the incident says of it; sections nobody wrote say so.
fn review(b: &mut Vec<Block>, inc: &Incident, z: Zone) {
    b.push(heading("Review"));
    b.push(match inc.reviews.last() {
        Some(r) => Block::Para(
            ParaKind::Quiet,
            vec![
                word("Saved "),
                when(r.at, z),
                word(" by "),
                line(&r.by),
                word(format!("; {} version(s) kept.", inc.reviews.len())),
            ],
        ),
        None => quiet("Not saved yet: prefilled from the incident (`warroom review` writes it)."),
    });
    for s in super::review::report_sections(inc, z) {
        b.push(Block::Heading(3, vec![line(s.title)]));
        b.push(if s.text.trim().is_empty() {
            quiet(crate::domain::review::NOT_WRITTEN)
        } else {
            Block::Text(s.text)
        });
    }
}

/// Builds the report of `inc`.
pub fn build(inc: &Incident, opts: &ExportOptions) -> Report {
    let z = opts.zone;
    let mut b = Vec::new();

    let mut facts = vec![
        ("Incident".to_string(), vec![line(&inc.id)]),
        ("Severity".to_string(), vec![word(inc.severity.label())]),
        ("Status".to_string(), vec![line(state_line(inc, z))]),
        (
            "Opened".to_string(),
            vec![when(inc.opened_at, z), word(" by "), line(&inc.opened_by)],
        ),
    ];
    for role in Role::ALL {
        if let Some(p) = inc.roles.get(role) {
            let mut label = role.label().to_string();
            label[..1].make_ascii_uppercase();
            facts.push((label, vec![line(p)]));
        }
    }
    facts.push(("Times in".to_string(), vec![word(z.name())]));
    facts.push(("Report made".to_string(), vec![when(opts.generated_at, z)]));
    b.push(Block::Facts(facts));

    b.push(heading("Key times"));
    let rows = key_times(inc)
        .into_iter()
        .map(|k| {
            let at =
                k.at.map(|a| super::when(a, z))
                    .unwrap_or_else(|| "not yet".into());
            let src = match (k.at, k.set) {
                (None, _) => "",
                (Some(_), true) => "set by hand",
                (Some(_), false) => "proposed from the timeline",
            };
            vec![
                vec![word(k.which.as_str())],
                vec![word(at)],
                vec![word(src)],
            ]
        })
        .collect();
    b.push(Block::Table {
        columns: vec![col("Key time"), time_col("When"), col("Source")],
        rows,
    });
    let rows = durations(inc)
        .into_iter()
        .map(|(m, d)| {
            let d = d.map(format_duration).unwrap_or_else(|| "not yet".into());
            vec![vec![word(m.label())], vec![word(d)]]
        })
        .collect();
    b.push(Block::Table {
        columns: vec![col("Duration"), col("")],
        rows,
    });

    let closing = inc.closing.as_ref();
    let not_closed = "Not written yet: the incident has not been closed.";
    let text = |b: &mut Vec<Block>, title: &str, text: Option<&str>, none: &str| {
        b.push(heading(title));
        b.push(match text {
            Some(t) if !t.trim().is_empty() => Block::Text(t.to_string()),
            Some(_) => quiet(none),
            None => quiet(not_closed),
        });
    };
    text(
        &mut b,
        "Summary",
        closing.map(|c| c.summary.as_str()),
        "None given.",
    );
    if let Some(c) = closing
        && inc.closed_at.is_none()
    {
        b.push(Block::Para(
            ParaKind::Quiet,
            vec![
                word("Written at the close of "),
                when(c.at, z),
                word("; the incident was reopened since."),
            ],
        ));
    }
    text(
        &mut b,
        "Impact",
        closing.map(|c| c.impact.as_str()),
        "None given.",
    );
    text(
        &mut b,
        "Root cause",
        closing.map(|c| c.root_cause.as_str()),
        "Not known yet.",
    );
    if let Some(r) = closing.and_then(|c| c.override_reason.as_deref()) {
        b.push(Block::Para(
            ParaKind::Warning,
            vec![
                Span::Strong("Closed with required playbook steps open.".into()),
                word(" Reason: "),
                Span::Lines(r.to_string()),
            ],
        ));
    }

    let entries: Vec<_> = timeline(inc, opts).collect();
    b.push(heading("Timeline"));
    b.push(Block::Para(
        ParaKind::Plain,
        vec![
            word(format!(
                "{} entries{}; times in {}; ",
                entries.len(),
                if opts.pinned_only {
                    " (pinned only)"
                } else {
                    ""
                },
                z.name()
            )),
            Span::Pin,
            word(" marks a pinned entry."),
        ],
    ));
    if entries.is_empty() {
        b.push(quiet("No entries."));
    } else {
        let rows = entries
            .into_iter()
            .map(|e| {
                let s = Stamp::of(e.occurred_at, z);
                let mut text = Vec::new();
                if e.pinned {
                    text.extend([Span::Pin, word(" ")]);
                }
                if let Some(m) = inc.markers.get(&e.id) {
                    text.extend([Span::Strong(m.label().to_string()), word(" ")]);
                }
                text.push(Span::Lines(e.text.clone()));
                vec![
                    vec![word(s.date)],
                    vec![word(format!("{} {}", s.time, s.offset))],
                    vec![word(e.kind.as_str())],
                    vec![line(&e.author)],
                    text,
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                time_col("Date"),
                time_col("Time"),
                col("Kind"),
                col("Author"),
                col("Entry"),
            ],
            rows,
        });
    }

    review(&mut b, inc, z);

    b.push(heading("Playbook outcome"));
    let outcome = playbook_outcome(inc);
    if outcome.is_empty() {
        b.push(quiet("No playbook was attached."));
    }
    for (name, steps) in outcome {
        b.push(Block::Heading(3, vec![line(name)]));
        let rows = steps
            .into_iter()
            .map(|s| {
                let mut step = vec![line(s.section), word(": "), line(s.title)];
                if s.required {
                    step.push(word(" (required)"));
                }
                let change = match (s.changed_by, s.changed_at) {
                    (Some(by), Some(at)) => vec![line(by), word(" at "), when(at, z)],
                    _ => Vec::new(),
                };
                vec![
                    step,
                    vec![word(s.status.to_string())],
                    vec![line(s.owner.unwrap_or_default())],
                    change,
                    vec![Span::Lines(s.reason.unwrap_or_default())],
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                col("Step"),
                col("State"),
                col("Owner"),
                col("Last change"),
                col("Reason for skip"),
            ],
            rows,
        });
    }

    b.push(heading("Health items seen"));
    let health = health_seen(inc);
    if health.is_empty() {
        b.push(quiet("None recorded."));
    } else {
        let items = health
            .into_iter()
            .map(|h| {
                let level = h.level.map(|l| l.as_str()).unwrap_or("unknown");
                Item {
                    spans: vec![
                        Span::Strong(h.source),
                        word(" "),
                        line(h.item.as_deref().unwrap_or("(whole source)")),
                        word(format!(": last level {level}")),
                    ],
                    sub: h
                        .changes
                        .into_iter()
                        .map(|(at, text)| vec![when(at, z), word(": "), Span::Lines(text)])
                        .collect(),
                }
            })
            .collect();
        b.push(Block::List(items));
    }

    b.push(heading("Trace snapshots"));
    let tr = traces(inc);
    if tr.is_empty() {
        b.push(quiet("None recorded."));
    } else {
        let items = tr
            .into_iter()
            .map(|e| Item {
                spans: vec![
                    when(e.occurred_at, z),
                    word(" ("),
                    line(&e.author),
                    word("): "),
                    Span::Lines(e.text.clone()),
                ],
                sub: Vec::new(),
            })
            .collect();
        b.push(Block::List(items));
    }

    let at = |a| word(super::when(a, z));
    evidence_sections(&mut b, inc.custody.files(), &inc.custody.tickets, &at);

    b.push(heading("Follow-ups"));
    // Every follow-up decided at a close, with where it stands and its tracker issues.
    let f = inc.followups();
    if f.is_empty() {
        b.push(quiet("None recorded."));
    } else {
        let rows = f
            .iter()
            .map(|f| {
                let state = match (&f.state, &f.reason) {
                    (s, Some(r)) => format!("{s}: {r}"),
                    (s, None) => s.to_string(),
                };
                let issues: Vec<String> = f
                    .pushed
                    .iter()
                    .map(|p| format!("{} {}", p.key, p.url))
                    .collect();
                vec![
                    vec![line(&f.action)],
                    vec![line(&f.owner)],
                    vec![line(f.due_text.as_deref().unwrap_or(""))],
                    vec![line(&state)],
                    vec![line(issues.join(", "))],
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                col("Action"),
                col("Owner"),
                col("Due"),
                col("State"),
                col("Tracker issue"),
            ],
            rows,
        });
    }

    Report {
        title: inc.title.clone(),
        drill: inc.drill,
        blocks: b,
    }
}

/// Evidence with its hashes, and the support cases recorded: shared with the claim pack
/// (`when` writes a time as the document does).
pub(crate) fn evidence_sections(
    b: &mut Vec<Block>,
    files: Vec<EvidenceFile>,
    tickets: &[Ticket],
    when: &dyn Fn(DateTime<Utc>) -> Span,
) {
    b.push(heading("Evidence"));
    if files.is_empty() {
        b.push(quiet("None recorded."));
    } else {
        b.push(Block::Para(
            ParaKind::Plain,
            vec![word(
                "Files in the incident's folder, with the size and SHA-256 recorded when each was kept (`warroom evidence verify` checks them again).",
            )],
        ));
        let rows = files
            .into_iter()
            .map(|f| {
                let mut what = vec![line(f.what)];
                if !f.note.is_empty() {
                    what.extend([word(" — "), line(f.note)]);
                }
                if let Some(s) = f.step {
                    what.extend([word(" (step "), line(s), word(")")]);
                }
                vec![
                    vec![when(f.at)],
                    vec![line(f.by)],
                    vec![word(f.kind.as_str())],
                    vec![line(f.file)],
                    vec![word(f.size.map(|s| s.to_string()).unwrap_or_default())],
                    vec![word(f.sha256.unwrap_or_else(|| "not recorded".into()))],
                    what,
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                time_col("Kept"),
                col("By"),
                col("Kind"),
                col("File"),
                col("Bytes"),
                col("SHA-256"),
                col("What"),
            ],
            rows,
        });
    }

    b.push(heading("Support cases"));
    if tickets.is_empty() {
        b.push(quiet("None recorded."));
    } else {
        let rows = tickets
            .iter()
            .map(|t| {
                vec![
                    vec![when(t.at)],
                    vec![line(&t.ticket.provider)],
                    vec![line(&t.ticket.reference)],
                    vec![line(&t.by)],
                    vec![line(&t.ticket.note)],
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                time_col("Recorded"),
                col("Provider"),
                col("Reference"),
                col("By"),
                col("Note"),
            ],
            rows,
        });
    }
}
