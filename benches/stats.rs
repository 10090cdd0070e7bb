//! `warroom stats` over 500 incidents of about 300 events each (notes, status changes, key
//! times, updates, a close with follow-ups and their changes). Target: under 1 s for the whole
//! command. Measured three ways: the figures alone over incidents already folded
//! (`domain::stats::compute`), the fold of every journal plus the figures, and the real binary
//! (`warroom stats --json`, process start and config included).

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::domain::close_record::FollowUp;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::followup::{FollowUpState, derived_id};
use warroom::domain::incident::{EntryKind, Incident, KeyTime, Severity, Status};
use warroom::domain::stats::{StatsFilter, compute};
use warroom::domain::updates::Cadence;
use warroom::store::DataDir;

/// 500 under `cargo bench`; `cargo test --all-targets` runs each benchmark once as a smoke
/// test, on 4 incidents.
fn incidents() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        500
    } else {
        4
    }
}

/// The events of incident `i` after its opening at `t0`.
fn events(i: usize, t0: chrono::DateTime<Utc>) -> Vec<Event> {
    let at = |m: i64| t0 + Duration::minutes(m);
    let mut evs = vec![Event::new(
        at(1),
        "bench",
        EventBody::KeyTimeSet {
            which: KeyTime::Started,
            time: at(-((i % 30) as i64)),
        },
    )];
    for n in 0..280 {
        let m = 2 + n as i64 / 2;
        let body = match n % 40 {
            0 => EventBody::UpdateSent {
                template: "internal".into(),
                channels_ok: vec!["file".into()],
                channels_failed: vec![],
                text: format!("update {n}: mail is still delayed, next update in 30 minutes"),
                retry_of: None,
                statuspage: vec![],
            },
            13 => EventBody::StatusSet {
                status: [Status::Identified, Status::Mitigated, Status::Monitoring][n / 40 % 3],
            },
            _ => EventBody::EntryAdded {
                occurred_at: at(m),
                kind: EntryKind::Note,
                text: format!("entry {n}: 451 4.7.500 Server busy on edge{:02}", n % 7),
                step: None,
            },
        };
        evs.push(Event::new(at(m), "bench", body));
    }
    evs.push(Event::new(
        at(150),
        "bench",
        EventBody::StatusSet {
            status: Status::Resolved,
        },
    ));
    let close = Event::new(
        at(160),
        "bench",
        EventBody::Closed {
            summary: "fixed".into(),
            impact: "mail late".into(),
            root_cause: "a stale MX".into(),
            follow_ups: (0..4)
                .map(|k| {
                    FollowUp::parse(&format!("action {k} | bob | 2026-12-{:02}", k + 1)).unwrap()
                })
                .collect(),
            override_reason: None,
        },
    );
    let done = derived_id(close.id, 0);
    evs.push(close);
    evs.push(Event::new(
        at(170),
        "bench",
        EventBody::FollowupChanged {
            followup: done,
            state: FollowUpState::Done,
            reason: None,
        },
    ));
    evs
}

fn stats(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let now = Utc::now();
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 8, 0, 0)
        .unwrap()
        .min(now - Duration::days(80));
    let sev = [
        Severity::Sev1,
        Severity::Sev2,
        Severity::Sev3,
        Severity::Sev4,
    ];
    for i in 0..incidents() {
        let opened = t0 + Duration::hours(3 * i as i64);
        let id = data
            .create(&format!("incident {i}"), sev[i % 4], "bench", opened, false)
            .unwrap();
        let mut text = String::new();
        for ev in events(i, opened) {
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
    }
    let ids = data.ids().unwrap();
    let folded: Vec<Incident> = ids
        .iter()
        .map(|id| data.load(id).unwrap().incident)
        .collect();
    let filter = StatsFilter::default();
    let today = now.date_naive();
    let s = compute(&folded, &filter, &Cadence::default(), today);
    eprintln!("{} incidents counted of {}", s.incidents, ids.len());
    assert_eq!(s.incidents, ids.len());
    let mut g = c.benchmark_group("stats");
    g.sample_size(10);
    g.bench_function("figures over 500 folded incidents", |b| {
        b.iter(|| compute(&folded, &filter, &Cadence::default(), today))
    });
    g.bench_function("fold 500 journals and the figures", |b| {
        b.iter(|| {
            let incs: Vec<Incident> = ids
                .iter()
                .map(|id| data.load(id).unwrap().incident)
                .collect();
            compute(&incs, &filter, &Cadence::default(), today)
        })
    });
    g.bench_function("warroom stats --json, 500 incidents", |b| {
        b.iter(|| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
                .args(["--config", "/dev/null", "--data-dir"])
                .arg(dir.path())
                .args(["stats", "--json"])
                .output()
                .unwrap();
            assert!(out.status.success());
            out
        })
    });
    g.finish();
}

criterion_group!(benches, stats);
criterion_main!(benches);
