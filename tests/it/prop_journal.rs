//! Property tests of reading journal lines and replaying them: arbitrary bytes and arbitrary
//! mutations of valid journals never panic; every line left intact is read back; reading a
//! growing file bit by bit gives the same events and the same skipped line numbers as reading
//! it at once; `warroom list`'s quick read of the summary events agrees with the full fold.
//!
//! Each property runs 64 cases (about a second in all); set `PROPTEST_CASES` for a longer
//! session. Everything here is pure (bytes in memory): no file, no fsync.

use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity, Status};
use warroom::store::IncidentSummary;
use warroom::store::journal::{ReadBatch, Reader};
use warroom::store::summary::headers_of;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn read_at_once(bytes: &[u8]) -> ReadBatch {
    Reader::new(std::path::Path::new("journal.jsonl")).read_bytes(bytes)
}

/// Places where a growing journal can be seen to end: just before or just after a newline (a
/// writer holds the lock for its whole line; a crash can stop it before the newline, which the
/// next append then writes).
fn cut_points(bytes: &[u8], picks: &[u16]) -> Vec<usize> {
    let allowed: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .flat_map(|(i, _)| [i, i + 1])
        .collect();
    if allowed.is_empty() {
        return Vec::new();
    }
    let mut cuts: Vec<usize> = picks
        .iter()
        .map(|p| allowed[*p as usize % allowed.len()])
        .collect();
    cuts.sort();
    cuts.dedup();
    cuts
}

/// Reads `bytes` as a file that grew to each cut point in turn, then to its end.
fn read_bit_by_bit(bytes: &[u8], cuts: &[usize]) -> (Vec<Uuid>, Vec<usize>) {
    let mut r = Reader::new(std::path::Path::new("journal.jsonl"));
    let mut ids = Vec::new();
    let mut lines = Vec::new();
    for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let b = r.read_bytes(&bytes[..c]);
        ids.extend(b.events.iter().map(|e| e.id));
        lines.extend(b.warnings.iter().map(|w| w.line));
    }
    (ids, lines)
}

fn check_bit_by_bit(bytes: &[u8], picks: &[u16]) -> Result<(), TestCaseError> {
    let whole = read_at_once(bytes);
    let (ids, lines) = read_bit_by_bit(bytes, &cut_points(bytes, picks));
    let whole_ids: Vec<Uuid> = whole.events.iter().map(|e| e.id).collect();
    let whole_lines: Vec<usize> = whole.warnings.iter().map(|w| w.line).collect();
    prop_assert_eq!(ids, whole_ids);
    prop_assert_eq!(lines, whole_lines);
    Ok(())
}

/// The summary the listing shows, from a fold.
fn shown(inc: &Incident) -> String {
    let s = IncidentSummary::of(inc);
    format!(
        "{} {} {:?} {:?} {} {} {:?}",
        s.id, s.title, s.severity, s.status, s.drill, s.opened, s.closed
    )
}

fn check_headers_agree(bytes: &[u8], events: &[Event]) -> Result<(), TestCaseError> {
    if let (Some(headers), Ok(full)) = (headers_of(bytes), Incident::from_events(events))
        && let Ok(quick) = Incident::from_events(&headers)
    {
        prop_assert_eq!(shown(&quick), shown(&full));
    }
    Ok(())
}

fn t(n: u16) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + Duration::seconds(i64::from(n))
}

/// A valid journal's events: the opening, then one event per spec.
fn journal(specs: &[(u8, u16, String)]) -> Vec<Event> {
    let mut out = vec![Event::new(
        t(0),
        "alice",
        EventBody::IncidentOpened {
            incident: "20261130-1400-prop".into(),
            title: "Mail delayed".into(),
            severity: Severity::Sev2,
            status: Status::Investigating,
            started_at: None,
            drill: false,
        },
    )];
    let mut last_entry = None;
    for (kind, n, text) in specs {
        let body = match kind % 9 {
            0..=2 => EventBody::EntryAdded {
                occurred_at: t(*n),
                kind: EntryKind::TYPED[*n as usize % 4],
                text: text.clone(),
                step: None,
            },
            3 => EventBody::TitleSet {
                title: text.clone(),
            },
            4 => EventBody::SeveritySet {
                severity: Severity::ALL[*n as usize % 4],
            },
            5 => EventBody::StatusSet {
                status: Status::ALL[*n as usize % 5],
            },
            6 => EventBody::Closed {
                summary: text.clone(),
                impact: String::new(),
                root_cause: String::new(),
                follow_ups: Vec::new(),
                override_reason: None,
            },
            7 => EventBody::Reopened { reason: None },
            _ => match last_entry {
                Some(entry) => EventBody::EntryEdited {
                    entry,
                    text: Some(text.clone()),
                    occurred_at: None,
                    kind: None,
                },
                None => EventBody::Reopened { reason: None },
            },
        };
        let ev = Event::new(t(*n), "bob", body);
        if matches!(ev.body, EventBody::EntryAdded { .. }) {
            last_entry = Some(ev.id);
        }
        out.push(ev);
    }
    out
}

/// How a line is damaged (or not).
#[derive(Debug, Clone)]
enum Mutation {
    Keep,
    /// Cut short at this byte (a torn write).
    Truncate(u16),
    /// One byte changed.
    Flip(u16, u8),
    /// Bytes put in at a place.
    Insert(u16, Vec<u8>),
    /// Written by a newer version.
    NewerVersion(u32),
    /// The same line twice (the same event id).
    Repeat,
    /// A blank line after it.
    BlankAfter,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => Just(Mutation::Keep),
        1 => any::<u16>().prop_map(Mutation::Truncate),
        1 => (any::<u16>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => (any::<u16>(), proptest::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (2u32..1000).prop_map(Mutation::NewerVersion),
        1 => Just(Mutation::Repeat),
        1 => Just(Mutation::BlankAfter),
    ]
}

/// The file's bytes, and the ids of the events whose lines were left whole.
fn mutate(events: &[Event], muts: &[Mutation]) -> (Vec<u8>, Vec<Uuid>) {
    let mut bytes = Vec::new();
    let mut intact = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        let line = serde_json::to_vec(ev).unwrap();
        let m = muts.get(i).cloned().unwrap_or(Mutation::Keep);
        let at = |k: u16| k as usize % line.len().max(1);
        let mut out = line.clone();
        match &m {
            Mutation::Keep | Mutation::BlankAfter => intact.push(ev.id),
            Mutation::Repeat => {
                intact.push(ev.id);
                out.push(b'\n');
                out.extend_from_slice(&line);
                intact.push(ev.id);
            }
            Mutation::Truncate(k) => out.truncate(at(*k)),
            Mutation::Flip(k, b) => {
                let k = at(*k);
                out[k] = if *b == b'\n' { b'x' } else { *b };
            }
            Mutation::Insert(k, ins) => {
                let ins: Vec<u8> = ins
                    .iter()
                    .map(|b| if *b == b'\n' { b' ' } else { *b })
                    .collect();
                out.splice(at(*k)..at(*k), ins);
            }
            Mutation::NewerVersion(v) => {
                let mut value = serde_json::to_value(ev).unwrap();
                value["v"] = (*v).into();
                out = serde_json::to_vec(&value).unwrap();
            }
        }
        bytes.extend_from_slice(&out);
        bytes.push(b'\n');
        if matches!(m, Mutation::BlankAfter) {
            bytes.push(b'\n');
        }
    }
    (bytes, intact)
}

fn specs() -> impl Strategy<Value = Vec<(u8, u16, String)>> {
    proptest::collection::vec(
        (
            any::<u8>(),
            any::<u16>(),
            "[a-zA-Z0-9 \"\\\\{}:,é\u{1b}]{0,40}",
        ),
        0..40,
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096),
                                   picks in proptest::collection::vec(any::<u16>(), 0..8)) {
        let b = read_at_once(&bytes);
        let _ = Incident::from_events(&b.events);
        let _ = headers_of(&bytes);
        check_bit_by_bit(&bytes, &picks)?;
    }

    #[test]
    fn json_like_text_never_panics(text in "([{}\\[\\]\":,0-9a-z_ .\n-]|\"v\":1|\"type\":\"closed\"|\"id\":\"01a22aa1-6733-751e-8288-f7b31f317b24\"){0,400}",
                                   picks in proptest::collection::vec(any::<u16>(), 0..8)) {
        let bytes = text.as_bytes();
        let b = read_at_once(bytes);
        let _ = Incident::from_events(&b.events);
        check_headers_agree(bytes, &b.events)?;
        check_bit_by_bit(bytes, &picks)?;
    }

    #[test]
    fn mutated_journals_keep_every_intact_line(specs in specs(),
                                               muts in proptest::collection::vec(mutation(), 0..41),
                                               picks in proptest::collection::vec(any::<u16>(), 0..10)) {
        let events = journal(&specs);
        let (bytes, intact) = mutate(&events, &muts);
        let b = read_at_once(&bytes);
        let read: Vec<Uuid> = b.events.iter().map(|e| e.id).collect();
        // Every whole line is read back, in order (a damaged line may still parse: a flipped
        // byte inside a text is a different text, not damage).
        let mut it = read.iter();
        for id in &intact {
            prop_assert!(it.any(|r| r == id), "{} missing from {:?}", id, read);
        }
        // Nothing is skipped without a warning, and a warning is about a line that exists.
        let lines = bytes.split(|c| *c == b'\n').count();
        for w in &b.warnings {
            prop_assert!(w.line >= 1 && w.line <= lines, "{:?}", w);
        }
        prop_assert_eq!(b.notice.is_some(), !b.warnings.is_empty());
        // The fold takes each event once however often its line is there.
        if let Ok(inc) = Incident::from_events(&b.events) {
            let mut ids: Vec<Uuid> = inc.entries.iter().map(|e| e.id).collect();
            let n = ids.len();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), n);
        }
        check_headers_agree(&bytes, &b.events)?;
        check_bit_by_bit(&bytes, &picks)?;
    }

    #[test]
    fn a_valid_journal_reads_back_whole(specs in specs()) {
        let events = journal(&specs);
        let (bytes, _) = mutate(&events, &[]);
        let b = read_at_once(&bytes);
        prop_assert!(b.warnings.is_empty() && b.notice.is_none());
        prop_assert_eq!(&b.events, &events);
        let full = Incident::from_events(&b.events).unwrap();
        let quick = Incident::from_events(&headers_of(&bytes).unwrap()).unwrap();
        prop_assert_eq!(shown(&quick), shown(&full));
    }
}
