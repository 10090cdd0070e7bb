//! Replay of a 100,000-event journal: read, parse, fold. Target: under 150 ms.

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Severity};
use warroom::store::DataDir;

fn journal_with(n: usize) -> (tempfile::TempDir, DataDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    let id = data
        .create("bench", Severity::Sev2, "bench", t0, false)
        .unwrap();
    // Written in one go (the append path fsyncs each line; that is measured elsewhere).
    let mut text = String::new();
    let kinds = [
        EntryKind::Note,
        EntryKind::Action,
        EntryKind::Decision,
        EntryKind::Comms,
    ];
    let mut last = None;
    for i in 0..n {
        let at = t0 + Duration::milliseconds(i as i64 * 250);
        let body = match (i % 10, last) {
            (7, Some(entry)) => EventBody::EntryEdited {
                entry,
                text: Some(format!("edited entry {i}: queue depth now {}", i * 3)),
                occurred_at: None,
                kind: None,
            },
            (9, Some(entry)) => EventBody::EntryPinned {
                entry,
                pinned: true,
            },
            _ => EventBody::EntryAdded {
                occurred_at: at - Duration::seconds((i % 5) as i64 * 30),
                kind: kinds[i % 4],
                text: format!(
                    "entry {i}: 451 4.7.500 Server busy seen on edge{:02}, retrying via backup relay",
                    i % 7
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
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(data.journal_path(&id))
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    (dir, data, id)
}

fn replay(c: &mut Criterion) {
    let (_dir, data, id) = journal_with(100_000);
    let mut g = c.benchmark_group("journal");
    g.sample_size(20);
    g.bench_function("replay 100k events", |b| {
        b.iter(|| {
            let loaded = data.load(&id).unwrap();
            assert!(loaded.incident.entries.len() > 70_000);
            loaded
        })
    });
    g.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
