//! The service-credit claim pack (`warroom export --format claim [--provider NAME]`): a
//! Markdown document to attach to a support case or a credit request. It holds what a
//! provider asks for and what our side can show:
//!
//! - the provider incidents the health sources saw (their ids, the provider's title, first and
//!   last seen, every change of status), and the services and features they named;
//! - the window in which our own signals showed impact: each source's level changes (health
//!   levels, SMTP probe failures, queue thresholds: any source-level change), and the message
//!   traces kept with their counts of deferred and failed mail;
//! - the support cases recorded with `ticket`, and the evidence with its hashes;
//! - and, plainly, what it cannot show.
//!
//! Every time is given in UTC and in the chosen zone. `--provider` keeps the health sources
//! and support cases whose name contains it (case-insensitive); our own signals are kept whole.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::markdown::{block_text, inline};
use super::model::{Block, Column, ParaKind, Span};
use super::{ExportOptions, Stamp, health_seen, model};
use crate::domain::event::{Event, EventBody};
use crate::domain::health::{ChangeKind, Level};
use crate::domain::incident::Incident;
use crate::domain::time::Zone;

/// `2026-11-30 14:03:00 UTC (09:03:00 -05:00)`; only UTC when the zone is UTC.
fn both(at: DateTime<Utc>, z: Zone) -> String {
    let utc = at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    if z == Zone::UTC {
        return utc;
    }
    let local = Stamp::of(at, z);
    let utc_date = at.format("%Y-%m-%d").to_string();
    if local.date == utc_date {
        format!("{utc} ({} {})", local.time, local.offset)
    } else {
        format!("{utc} ({})", local.full())
    }
}

fn word(s: impl Into<String>) -> Span {
    Span::Word(s.into())
}

fn line(s: impl Into<String>) -> Span {
    Span::Line(s.into())
}

fn heading(s: &str) -> Block {
    Block::Heading(2, vec![word(s)])
}

fn quiet(s: impl Into<String>) -> Block {
    Block::Para(ParaKind::Quiet, vec![word(s)])
}

const fn col(title: &'static str) -> Column {
    Column { title, time: false }
}

const fn time_col(title: &'static str) -> Column {
    Column { title, time: true }
}

/// Whether `name` matches the `--provider` filter.
fn matches(name: &str, provider: Option<&str>) -> bool {
    provider.is_none_or(|p| name.to_lowercase().contains(&p.to_lowercase()))
}

/// One level change of a whole source (our own signals).
struct LevelChange {
    at: DateTime<Utc>,
    source: String,
    level: Option<Level>,
    text: String,
}

/// The level a source-level `health_changed` event moved to: from its changes when it keeps
/// them, else from its key (`<source>/level/<level>@<time>`).
fn level_of(
    source: &str,
    key: &str,
    changes: &[crate::domain::health::HealthChange],
) -> Option<Level> {
    let from_changes = changes.iter().find_map(|c| match &c.kind {
        ChangeKind::SourceLevelChanged { to, .. } => Some(*to),
        _ => None,
    });
    from_changes.or_else(|| {
        let rest = key.strip_prefix(source)?.strip_prefix("/level/")?;
        rest.split('@').next()?.parse().ok()
    })
}

fn level_changes(events: &[Event]) -> Vec<LevelChange> {
    let mut out: Vec<LevelChange> = events
        .iter()
        .filter_map(|ev| match &ev.body {
            EventBody::HealthChanged {
                source,
                item: None,
                key,
                text,
                changes,
            } => Some(LevelChange {
                at: ev.at,
                source: source.clone(),
                level: level_of(source, key, changes),
                text: text.clone(),
            }),
            _ => None,
        })
        .collect();
    out.sort_by_key(|c| c.at);
    out
}

/// The spans in which any source was at a problem level: (start, end; `None` while it lasted
/// to the last record).
fn impact_windows(changes: &[LevelChange]) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut now: BTreeMap<&str, Level> = BTreeMap::new();
    let mut out = Vec::new();
    let mut open: Option<DateTime<Utc>> = None;
    for c in changes {
        let Some(level) = c.level else { continue };
        now.insert(&c.source, level);
        let bad = now.values().any(|l| l.is_problem());
        match (open, bad) {
            (None, true) => open = Some(c.at),
            (Some(start), false) => {
                out.push((start, Some(c.at)));
                open = None;
            }
            _ => {}
        }
    }
    if let Some(start) = open {
        out.push((start, None));
    }
    out
}

/// `m365 EX1 new: degraded, investigating: Title…` → `Title…` (the provider's title).
fn provider_title(source: &str, item: &str, first_text: &str) -> Option<String> {
    let first_line = first_text.lines().next()?;
    let rest = first_line.strip_prefix(&format!("{source} {item} new: "))?;
    let (_, title) = rest.split_once(": ")?;
    Some(title.trim().to_string()).filter(|t| !t.is_empty())
}

/// The claim pack. The level changes are read from the incident's events in fold order (the
/// same in every console that holds them).
pub fn render(inc: &Incident, opts: &ExportOptions, provider: Option<&str>) -> String {
    let z = opts.zone;
    let mut b: Vec<Block> = Vec::new();
    let mut cannot: Vec<String> = Vec::new();

    let mut facts = vec![
        ("Incident".to_string(), vec![line(&inc.id)]),
        ("Title".to_string(), vec![line(&inc.title)]),
        ("Opened".to_string(), vec![word(both(inc.opened_at, z))]),
        (
            "First symptom".to_string(),
            vec![word(both(inc.started_at, z))],
        ),
    ];
    if let Some(c) = inc.closed_at {
        facts.push(("Closed".to_string(), vec![word(both(c, z))]));
    }
    facts.push((
        "Provider".to_string(),
        vec![match provider {
            Some(p) => line(p),
            None => word("every health source"),
        }],
    ));
    facts.push((
        "Times in".to_string(),
        vec![word(format!("UTC and {}", z.name()))],
    ));
    facts.push((
        "Prepared".to_string(),
        vec![word(both(opts.generated_at, z))],
    ));
    b.push(Block::Facts(facts));

    // The provider's incidents.
    b.push(heading("Provider incidents seen"));
    let items: Vec<_> = health_seen(inc)
        .into_iter()
        .filter(|h| h.item.is_some() && !h.changes.is_empty() && matches(&h.source, provider))
        .collect();
    let mut named: Vec<(String, String, String)> = Vec::new();
    if items.is_empty() {
        let why = match provider {
            // Typed on the command line: escaped like any text from outside.
            Some(p) => format!(
                "No provider incident was recorded by a health source whose name contains \"{}\".",
                inline(p)
            ),
            None => "No provider incident was recorded by the health sources.".to_string(),
        };
        b.push(quiet(why.clone()));
        cannot.push(format!(
            "{why} This pack cannot show that the provider acknowledged the outage: add the provider's status page or service health to the health sources, or attach its notice as evidence."
        ));
    }
    for h in &items {
        let item = h.item.clone().unwrap_or_default();
        let (first, last) = (h.changes[0].0, h.changes[h.changes.len() - 1].0);
        if let Some(t) = provider_title(&h.source, &item, &h.changes[0].1) {
            named.push((h.source.clone(), item.clone(), t));
        }
        b.push(Block::Heading(
            3,
            vec![line(&item), word(" ("), line(&h.source), word(")")],
        ));
        let mut facts = vec![
            ("First seen".to_string(), vec![word(both(first, z))]),
            ("Last seen".to_string(), vec![word(both(last, z))]),
        ];
        if let Some(l) = h.level {
            facts.push(("Last level".to_string(), vec![word(l.as_str())]));
        }
        b.push(Block::Facts(facts));
        let rows = h
            .changes
            .iter()
            .map(|(at, text)| vec![vec![word(both(*at, z))], vec![Span::Lines(text.clone())]])
            .collect();
        b.push(Block::Table {
            columns: vec![time_col("When"), col("Change, as the source reported it")],
            rows,
        });
    }

    b.push(heading("Services and features named"));
    if named.is_empty() {
        b.push(quiet(
            "None: no provider incident with a title was recorded.",
        ));
    } else {
        b.push(Block::List(
            named
                .into_iter()
                .map(|(source, item, title)| model::Item {
                    spans: vec![
                        Span::Strong(item),
                        word(" ("),
                        line(source),
                        word("): "),
                        line(title),
                    ],
                    sub: Vec::new(),
                })
                .collect(),
        ));
    }

    // Our own signals.
    b.push(heading("Impact seen by our own signals"));
    let levels = level_changes(inc.events_in_order());
    let windows = impact_windows(&levels);
    if windows.is_empty() {
        b.push(quiet(
            "No source of ours recorded a level of degraded or worse.",
        ));
    } else {
        let items = windows
            .iter()
            .map(|(start, end)| {
                let end_text = match end {
                    Some(e) => format!(
                        "{} ({})",
                        both(*e, z),
                        crate::domain::time::format_duration(*e - *start)
                    ),
                    None => "still showing impact at the last record".to_string(),
                };
                model::Item {
                    spans: vec![
                        word("From "),
                        word(both(*start, z)),
                        word(" to "),
                        word(end_text),
                    ],
                    sub: Vec::new(),
                }
            })
            .collect();
        b.push(Block::List(items));
    }
    b.push(Block::Heading(
        3,
        vec![word("Level changes of our sources")],
    ));
    if levels.is_empty() {
        b.push(quiet("None recorded."));
        cannot.push("No health source of ours (SMTP probes, queues, service health) recorded a level change: this pack cannot show when impact began or ended by our own measure.".into());
    } else {
        let rows = levels
            .iter()
            .map(|c| {
                vec![
                    vec![word(both(c.at, z))],
                    vec![line(&c.source)],
                    vec![word(c.level.map(|l| l.as_str()).unwrap_or("?"))],
                    vec![Span::Lines(c.text.clone())],
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                time_col("When"),
                col("Source"),
                col("Level"),
                col("What it said"),
            ],
            rows,
        });
    }
    b.push(Block::Heading(3, vec![word("Message traces kept")]));
    if inc.custody.traces.is_empty() {
        b.push(quiet("None kept."));
        cannot.push("No trace snapshot was kept (t in the console's trace pane): this pack cannot show how much mail was deferred or failed.".into());
    } else {
        let rows = inc
            .custody
            .traces
            .iter()
            .map(|t| {
                let n = |k: &str| t.by_status.get(k).copied().unwrap_or(0).to_string();
                vec![
                    vec![word(both(t.at, z))],
                    vec![line(&t.query)],
                    vec![word(t.rows.to_string())],
                    vec![word(n("deferred"))],
                    vec![word(n("failed"))],
                    vec![line(t.evidence.clone().unwrap_or_default())],
                ]
            })
            .collect();
        b.push(Block::Table {
            columns: vec![
                time_col("Taken"),
                col("Query"),
                col("Rows"),
                col("Deferred"),
                col("Failed"),
                col("Rows kept in"),
            ],
            rows,
        });
    }

    // Support cases and evidence, as in the report (support cases filtered by provider).
    let tickets: Vec<_> = inc
        .custody
        .tickets
        .iter()
        .filter(|t| t.ticket.provider.is_empty() || matches(&t.ticket.provider, provider))
        .cloned()
        .collect();
    let files = inc.custody.files();
    let no_files = files.is_empty();
    let at = |a| word(both(a, z));
    model::evidence_sections(&mut b, files, &tickets, &at);
    if tickets.is_empty() {
        cannot.push("No support case was recorded (`warroom ticket add REF`): most providers want the case number in a credit request.".into());
    }
    if no_files {
        cannot.push("No evidence file was kept (`warroom evidence add FILE`, `warroom evidence run -- CMD`).".into());
    }

    b.push(heading("What this pack cannot show"));
    cannot.push("Health sources are polled: a change is known from the poll that saw it, so its time is accurate to the poll interval, not to the second.".into());
    cannot.push("Provider ids, titles and statuses are the provider's own words as its feed gave them; services and features are named only as far as the provider's titles name them.".into());
    cannot.push("The hashes are those recorded when each file was kept; `warroom evidence verify` checks that the files still match them.".into());
    b.push(Block::List(
        cannot
            .into_iter()
            .map(|c| model::Item {
                spans: vec![word(c)],
                sub: Vec::new(),
            })
            .collect(),
    ));

    let mut o = String::new();
    let _ = writeln!(o, "# Service-credit claim pack: {}\n", inline(&inc.title));
    if inc.drill {
        let _ = writeln!(o, "> **DRILL**: this incident was an exercise.\n");
    }
    for (i, blk) in b.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        block_text(&mut o, blk);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
    }

    #[test]
    fn windows_open_on_the_first_problem_and_close_when_every_source_is_fine() {
        let c = |m, s: &str, l| LevelChange {
            at: at(14, m),
            source: s.into(),
            level: Some(l),
            text: String::new(),
        };
        let w = impact_windows(&[
            c(0, "smtp", Level::Degraded),
            c(5, "queue", Level::MajorOutage),
            c(10, "smtp", Level::Operational),
            c(20, "queue", Level::Operational),
            c(30, "smtp", Level::PartialOutage),
        ]);
        assert_eq!(w, [(at(14, 0), Some(at(14, 20))), (at(14, 30), None)]);
    }

    #[test]
    fn levels_come_from_the_key_when_the_event_keeps_no_changes() {
        assert_eq!(
            level_of(
                "relay",
                "relay/level/partial_outage@2026-11-30T14:00:00Z",
                &[]
            ),
            Some(Level::PartialOutage)
        );
        assert_eq!(level_of("relay", "other/level/degraded@x", &[]), None);
    }

    #[test]
    fn times_are_in_utc_and_the_zone() {
        let ny: Zone = "America/New_York".parse().unwrap();
        assert_eq!(
            both(at(14, 3), ny),
            "2026-11-30 14:03:00 UTC (09:03:00 -05:00)"
        );
        assert_eq!(
            both(at(3, 0), ny),
            "2026-11-30 03:00:00 UTC (2026-11-29 22:00:00 -05:00)"
        );
        assert_eq!(both(at(3, 0), Zone::UTC), "2026-11-30 03:00:00 UTC");
    }
}
