//! One frame of the console at 200x60 with the timeline holding 100 and 100,000 entries.
//! Target: under 1 ms, and no slower with 100,000 than with 100.

use chrono::{Duration, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity, Status};
use warroom::domain::time::Zone;
use warroom::tui::app::{Action, AppState, update};
use warroom::tui::keymap::Command;
use warroom::tui::ui;

fn incident(n: usize) -> Incident {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
    let mut inc = Incident::from_events(&[Event::new(
        t0,
        "ic",
        EventBody::IncidentOpened {
            incident: "bench".into(),
            title: "Exchange Online outage".into(),
            severity: Severity::Sev1,
            status: Status::Investigating,
            started_at: None,
            drill: false,
        },
    )])
    .unwrap();
    for i in 0..n {
        inc.apply(&Event::new(
            t0 + Duration::milliseconds(i as i64 * 100),
            "bench",
            EventBody::EntryAdded {
                occurred_at: t0 + Duration::milliseconds(i as i64 * 100),
                kind: EntryKind::ALL[i % 4],
                text: format!("entry {i}: deferred queue at {} messages", i * 7),
                step: None,
            },
        ));
    }
    inc
}

fn frame(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame 200x60");
    for n in [100usize, 100_000] {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap();
        let mut app = AppState::new(incident(n), "ic".into(), Zone::UTC, now);
        update(
            &mut app,
            Action::Resize {
                width: 200,
                height: 60,
            },
        );
        // Somewhere in the middle, so the window is not at either end.
        update(&mut app, Action::Command(Command::Top));
        for _ in 0..(n / 2).min(50) {
            update(&mut app, Action::Command(Command::PageDown));
        }
        let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                term.draw(|f| ui::render(f, &app)).unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, frame);
criterion_main!(benches);
