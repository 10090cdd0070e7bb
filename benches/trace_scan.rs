//! Sender query over generated MSGTRK logs.
//!
//! Size from `WARROOM_BENCH_BYTES` (default 64 MiB); the logs are written once into a
//! temporary folder. `cargo bench --bench trace_scan`

use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use warroom::domain::trace::TraceQuery;
use warroom::trace::r#gen::{RARE_SENDER, write_msgtrk};
use warroom::trace::{ScanSource, collect_query};

fn bench_sender_query(c: &mut Criterion) {
    let bytes: u64 = std::env::var("WARROOM_BENCH_BYTES")
        .ok()
        .and_then(|s| s.parse().ok())
        // `cargo test --all-targets` runs the benchmark once as a smoke test: less data.
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            64 << 20
        } else {
            4 << 20
        });
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = write_msgtrk(dir.path(), bytes, 1).expect("generate logs");
    let sources = [ScanSource::exchange_logs("bench", dir.path())];
    let query = TraceQuery {
        sender: Some(RARE_SENDER.to_string()),
        ..Default::default()
    };
    let cancel = AtomicBool::new(false);
    let mut group = c.benchmark_group("trace_scan");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(generated.bytes));
    group.bench_function("sender_query", |b| {
        b.iter(|| {
            let (rows, _, _) = collect_query(&sources, black_box(&query), &cancel).expect("scan");
            assert_eq!(rows.len() as u64, generated.rare_rows);
            black_box(rows)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_sender_query);
criterion_main!(benches);
