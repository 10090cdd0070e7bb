//! Crash safety: a child process appends entries as fast as it can and is killed with SIGKILL at
//! random moments, 200 times. Every entry whose append had returned (the child prints its id
//! only after that) must be in the journal afterwards, and the journal must still load.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;
use chrono::Utc;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity};
use warroom::store::DataDir;
use warroom::store::journal::{Journal, read_all};

const CHILD_ENV: &str = "WARROOM_CRASH_CHILD_JOURNAL";

/// Run as the child: append forever, printing each id once its append has returned.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut j = Journal::open(std::path::Path::new(&path)).expect("open");
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let ev = Event::new(
            Utc::now(),
            "child",
            EventBody::EntryAdded {
                occurred_at: Utc::now(),
                kind: EntryKind::Note,
                text: format!("entry {n} {}", "x".repeat(n % 700)),
                step: None,
            },
        );
        j.append(&ev).expect("append");
        use std::io::Write;
        writeln!(out, "{}", ev.id).expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn entries_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = data
        .create("crash test", Severity::Sev3, "t", Utc::now(), false)
        .unwrap();
    let path = data.journal_path(&id);
    let exe = std::env::current_exe().unwrap();
    let mut acknowledged = Vec::new();
    // A cheap deterministic spread of kill delays, 0..~15 ms.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let started = Instant::now();
    for _round in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_micros(seed % 15_000);
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                &common::harness_name(module_path!(), "crash_child"),
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        // SIGKILL: no destructors, no flush, no unlock but the kernel's.
        child.kill().unwrap();
        let stdout = child.stdout.take().unwrap();
        child.wait().unwrap();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(id) = uuid::Uuid::parse_str(line.trim()) {
                acknowledged.push(id);
            }
        }
    }
    let batch = read_all(&path).unwrap();
    let inc = Incident::from_events(&batch.events).expect("the journal loads");
    let ids: std::collections::HashSet<_> = inc.entries.iter().map(|e| e.id).collect();
    let lost: Vec<_> = acknowledged.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged entries lost: {lost:?}",
        lost.len()
    );
    assert!(
        acknowledged.len() > 50,
        "the child should have appended something in 200 rounds ({} in {:?})",
        acknowledged.len(),
        started.elapsed()
    );
    // Whatever was torn by a kill is only ever the line being written, never one before it.
    for w in &batch.warnings {
        assert!(
            w.message.contains("torn")
                || w.message.contains("copy")
                || w.message.contains("not a valid"),
            "{w}"
        );
    }
}
