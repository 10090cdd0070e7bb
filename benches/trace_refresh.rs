//! The refresh that reads only what grew, against a full scan of the same files.
//!
//! `WARROOM_BENCH_BYTES` (default 1 GiB) of generated MSGTRK logs; each refresh first appends
//! 1 MiB (`WARROOM_BENCH_APPEND`) of new lines to the newest file. A sender query, as in
//! `trace_scan`. First a summary: the refresh time as a share of the full scan and, when `rg`
//! is on the PATH, the full scan against `rg -i -F` (the same needle, case-insensitive, fixed
//! string) over the same files, all with a warm cache; then criterion's figures.
//!
//! `cargo bench --bench trace_refresh` (under `cargo test --all-targets`: 16 MiB, no summary)

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use warroom::domain::trace::TraceQuery;
use warroom::trace::r#gen::{RARE_SENDER, write_msgtrk};
use warroom::trace::{ScanSource, TraceScan};

fn env_bytes(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// About `bytes` of MSGTRK lines (no header) to append.
fn new_lines(bytes: u64) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let g = write_msgtrk(dir.path(), bytes.max(4096), 7).expect("generate");
    let mut out = Vec::new();
    for f in &g.files {
        let text = std::fs::read(f).expect("read generated");
        for line in text.split_inclusive(|b| *b == b'\n') {
            if !line.starts_with(b"#") {
                out.extend_from_slice(line);
            }
        }
    }
    out.truncate(bytes as usize);
    let end = out.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    out.truncate(end);
    out
}

fn append(path: &Path, data: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(data).expect("append");
}

fn full_scan(sources: &[ScanSource], q: &TraceQuery) -> usize {
    let mut rows = 0;
    TraceScan::new(sources, q)
        .run(
            q,
            false,
            |m| {
                if matches!(m, warroom::trace::ScanMsg::Row(_)) {
                    rows += 1;
                }
            },
            &AtomicBool::new(false),
        )
        .expect("scan");
    rows
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench_refresh(c: &mut Criterion) {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs each benchmark once as a
    // smoke test, on less data and without the summary.
    let measuring = std::env::args().any(|a| a == "--bench");
    let bytes = env_bytes(
        "WARROOM_BENCH_BYTES",
        if measuring { 1 << 30 } else { 16 << 20 },
    );
    let grow = env_bytes("WARROOM_BENCH_APPEND", 1 << 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let generated = write_msgtrk(dir.path(), bytes, 1).expect("generate logs");
    let newest: PathBuf = generated.files.last().expect("a file").clone();
    let chunk = new_lines(grow);
    let sources = [ScanSource::exchange_logs("bench", dir.path())];
    let query = TraceQuery {
        sender: Some(RARE_SENDER.to_string()),
        ..Default::default()
    };
    let never = AtomicBool::new(false);
    if measuring {
        summary(dir.path(), &sources, &query, &newest, &chunk);
    }
    let mut group = c.benchmark_group("trace_refresh");
    group.sample_size(10);
    group.bench_function("full_scan", |b| {
        b.iter(|| black_box(full_scan(&sources, black_box(&query))))
    });
    let mut live = TraceScan::new(&sources, &query);
    live.run(&query, false, |_| {}, &never).expect("first run");
    group.bench_function("refresh_after_append", |b| {
        b.iter_batched(
            || append(&newest, &chunk),
            |()| {
                live.run(&query, true, |m| drop(black_box(m)), &never)
                    .expect("refresh")
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// The figures asked for, measured the same way for all three (median of 7, warm cache) on the
/// logs as generated, before criterion's iterations make them grow.
fn summary(dir: &Path, sources: &[ScanSource], query: &TraceQuery, newest: &Path, chunk: &[u8]) {
    let never = AtomicBool::new(false);
    let total: u64 = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    black_box(full_scan(sources, query));
    let full = median(
        (0..7)
            .map(|_| {
                let t = Instant::now();
                black_box(full_scan(sources, query));
                t.elapsed()
            })
            .collect(),
    );
    let rg = (0..7)
        .map(|_| {
            let t = Instant::now();
            let out = std::process::Command::new("rg")
                .args(["-i", "-F", "-c", RARE_SENDER])
                .arg(dir)
                .output()
                .ok()?;
            out.status.success().then(|| t.elapsed())
        })
        .collect::<Option<Vec<Duration>>>()
        .map(median);
    let mut live = TraceScan::new(sources, query);
    live.run(query, false, |_| {}, &never).expect("first run");
    let refresh = median(
        (0..7)
            .map(|_| {
                append(newest, chunk);
                let t = Instant::now();
                live.run(query, true, |_| {}, &never).expect("refresh");
                t.elapsed()
            })
            .collect(),
    );
    println!(
        "trace_refresh: {:.1} MiB of logs, {:.2} MiB appended: full scan {:.1} ms, refresh {:.2} ms = {:.2} % of a full scan",
        total as f64 / 1048576.0,
        chunk.len() as f64 / 1048576.0,
        full.as_secs_f64() * 1e3,
        refresh.as_secs_f64() * 1e3,
        100.0 * refresh.as_secs_f64() / full.as_secs_f64()
    );
    match rg {
        Some(rg) => println!(
            "trace_refresh: rg -i -F {:.1} ms on the same files; the full scan takes {:.2}x rg's time",
            rg.as_secs_f64() * 1e3,
            full.as_secs_f64() / rg.as_secs_f64()
        ),
        None => println!("trace_refresh: rg is not installed; no comparison with rg -i -F"),
    }
}

criterion_group!(benches, bench_refresh);
criterion_main!(benches);
