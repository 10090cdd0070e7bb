//! `warroom list` over 200 incidents of 5,000 events each (a million events, about 250 MB of
//! journal): only the events that make the summary are parsed in full. Target: under 1 s.
//! Also: the same listing when every journal has one damaged line (the full read, with its
//! notice, for each), and the full fold of one 5,000-event journal for comparison.

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Severity, Status};
use warroom::store::DataDir;

const EVENTS: usize = 5_000;

/// 200 under `cargo bench`; `cargo test --all-targets` runs each benchmark once as a smoke
/// test, on 4 incidents rather than writing 250 MB of journals.
fn incidents() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        4
    }
}

/// The lines of one incident's journal after its opening: notes, edits, pins, a few header
/// changes, as a busy incident has them.
fn body_lines(n: usize, seed: usize) -> String {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    let kinds = [
        EntryKind::Note,
        EntryKind::Action,
        EntryKind::Decision,
        EntryKind::Comms,
    ];
    let statuses = [Status::Identified, Status::Mitigated, Status::Monitoring];
    let mut text = String::new();
    let mut last = None;
    for i in 1..n {
        let at = t0 + Duration::milliseconds(i as i64 * 900);
        let body = match (i % 500, i % 10, last) {
            (0, _, _) => EventBody::StatusSet {
                status: statuses[(i / 500) % 3],
            },
            (250, _, _) => EventBody::TitleSet {
                title: format!("Mail delayed, update {i}"),
            },
            (_, 7, Some(entry)) => EventBody::EntryEdited {
                entry,
                text: Some(format!("edited entry {i}: queue depth now {}", i * 3)),
                occurred_at: None,
                kind: None,
            },
            (_, 9, Some(entry)) => EventBody::EntryPinned {
                entry,
                pinned: true,
            },
            _ => EventBody::EntryAdded {
                occurred_at: at - Duration::seconds((i % 5) as i64 * 30),
                kind: kinds[(i + seed) % 4],
                text: format!(
                    "entry {i}: 451 4.7.500 Server busy seen on edge{:02}, retrying via the backup relay; {} messages queued",
                    i % 7,
                    i * 13 % 9000
                ),
                step: None,
            },
        };
        let ev = Event::new(at, "bench-author", body);
        if matches!(ev.body, EventBody::EntryAdded { .. }) {
            last = Some(ev.id);
        }
        text.push_str(&serde_json::to_string(&ev).unwrap());
        text.push('\n');
    }
    text
}

fn data_dir() -> (tempfile::TempDir, DataDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    let body = body_lines(EVENTS, 0);
    for i in 0..incidents() {
        let id = data
            .create(
                &format!("incident {i}"),
                Severity::Sev2,
                "bench",
                t0 + Duration::hours(i as i64),
                false,
            )
            .unwrap();
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.journal_path(&id))
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
    }
    (dir, data)
}

fn list(c: &mut Criterion) {
    let (_dir, data) = data_dir();
    let ids = data.ids().unwrap();
    let bytes: u64 = ids
        .iter()
        .map(|id| std::fs::metadata(data.journal_path(id)).unwrap().len())
        .sum();
    eprintln!(
        "{} incidents, {} MB of journal",
        ids.len(),
        bytes / 1_000_000
    );
    let mut g = c.benchmark_group("list");
    g.sample_size(10);
    g.bench_function("200 incidents x 5000 events", |b| {
        b.iter(|| {
            let l = data.list().unwrap();
            assert_eq!(l.len(), ids.len());
            assert!(l.iter().all(|x| x.summary().is_some()));
            l
        })
    });
    g.bench_function("one incident, full fold of 5000 events", |b| {
        b.iter(|| data.load(&ids[0]).unwrap())
    });
    let bytes = std::fs::read(data.journal_path(&ids[0])).unwrap();
    g.bench_function("one incident, quick read of 5000 events in memory", |b| {
        b.iter(|| warroom::store::summary::headers_of(&bytes).unwrap())
    });
    // Every journal with a damaged line: each is read the whole way (and reported).
    for id in &ids {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.journal_path(id))
            .unwrap()
            .write_all(b"{\"torn\n")
            .unwrap();
    }
    g.bench_function("200 damaged incidents x 5000 events", |b| {
        b.iter(|| data.list().unwrap())
    });
    g.finish();
}

criterion_group!(benches, list);
criterion_main!(benches);
