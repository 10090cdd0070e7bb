//! Runs a sender query over a folder of MSGTRK logs and prints timing, for measuring by hand
//! (e.g. under `/usr/bin/time -v`).
//!
//! `cargo run --release --example trace_query -- <dir> <sender>`

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use warroom::domain::trace::TraceQuery;
use warroom::trace::{ScanMsg, ScanSource, run_query};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(sender)) = (args.first(), args.get(1)) else {
        eprintln!("usage: trace_query <dir> <sender>");
        return ExitCode::from(2);
    };
    let sources = [ScanSource::exchange_logs("bench", dir)];
    let query = TraceQuery {
        sender: Some(sender.clone()),
        ..Default::default()
    };
    let started = Instant::now();
    let mut rows = 0usize;
    let mut warnings = 0usize;
    let result = run_query(
        &sources,
        &query,
        |m| match m {
            ScanMsg::Row(_) => rows += 1,
            ScanMsg::Warning(w) => {
                warnings += 1;
                eprintln!("warning: {w}");
            }
            _ => {}
        },
        &AtomicBool::new(false),
    );
    match result {
        Ok(stats) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{} files, {:.1} MiB in {secs:.3} s ({:.0} MiB/s); {} lines parsed; {} rows ({} row messages); {warnings} warnings",
                stats.files,
                stats.bytes as f64 / 1048576.0,
                stats.bytes as f64 / 1048576.0 / secs,
                stats.lines_parsed,
                stats.rows,
                rows
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
