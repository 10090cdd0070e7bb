//! Creating incidents with real processes: eight `warroom new` at once all succeed, and a
//! `new` killed at any moment leaves either no incident or a whole one (opening and playbook).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use warroom::domain::event::EventBody;
use warroom::domain::incident::Severity;
use warroom::store::{DataDir, Listed, StoreError};

fn bin(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
    c.args(["--config", "/dev/null", "--data-dir"])
        .arg(data)
        .env_remove("WARROOM_CONFIG");
    c
}

fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// Every incident listed loads whole: the opening, then the default playbook attached.
fn assert_all_whole(data: &DataDir) -> usize {
    let list = data.list().unwrap();
    for item in &list {
        let Listed::Ok(s) = item else {
            panic!("a half-made incident is listed: {item:?}")
        };
        let (inc, events, warnings) = data.load_events(&s.id).unwrap();
        assert!(warnings.is_empty(), "{}: {warnings:?}", s.id);
        assert_eq!(events.len(), 2, "{}: {events:?}", s.id);
        assert!(matches!(events[0].body, EventBody::IncidentOpened { .. }));
        assert!(matches!(events[1].body, EventBody::PlaybookAttached { .. }));
        assert_eq!(inc.playbooks.len(), 1);
        assert_eq!(inc.id, s.id);
        assert!(data.exports_dir(&s.id).is_dir() && data.evidence_dir(&s.id).is_dir());
    }
    list.len()
}

#[test]
fn eight_concurrent_news_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..8)
        .map(|_| {
            bin(dir.path())
                .args(["new", "--title", "Exchange Online down"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "{ids:?}");
    let data = DataDir::new(dir.path());
    assert_eq!(assert_all_whole(&data), 8);
    // The current pointer names one of them, whole; no temporary file or folder is left.
    let current = data.current().unwrap();
    assert!(ids.contains(&current), "{current}");
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
    assert!(hidden(&dir.path().join("incidents")).is_empty());
}

#[test]
fn a_new_killed_at_any_moment_leaves_no_incident_or_a_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    // A cheap deterministic spread of kill delays, 0..~60 ms (a `new` takes a few tens).
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut printed = Vec::new();
    for _ in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = bin(dir.path())
            .args(["new", "--title", "killed"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % 60_000));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !id.is_empty() {
            printed.push(id);
        }
    }
    let n = assert_all_whole(&data);
    eprintln!(
        "40 kills: {n} incidents made, {} ids printed, {} half-built folders left",
        printed.len(),
        hidden(&dir.path().join("incidents")).len()
    );
    // Every id that was printed is there (and some that were killed after the rename).
    assert!(n >= printed.len(), "{n} < {}", printed.len());
    for id in &printed {
        assert!(data.load(id).is_ok(), "{id}");
    }
    // The listing and the verbs do not see half-built folders.
    let out = bin(dir.path()).args(["list", "--json"]).output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), n);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("error").is_none())
    );
}

#[test]
fn half_built_folders_are_ignored_and_stale_ones_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let incidents = dir.path().join("incidents");
    // Left by a `new` killed long ago, and by one still running.
    let stale = incidents.join(".new.tmp-1-0-00000000");
    let fresh = incidents.join(".new.tmp-2-0-00000000");
    for d in [&stale, &fresh] {
        std::fs::create_dir_all(d.join("exports")).unwrap();
        std::fs::write(d.join("journal.jsonl"), "{\"v\":1,").unwrap();
    }
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = bin(dir.path()).args(["list"]).output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("no incidents yet"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = bin(dir.path())
        .args(["new", "--title", "after a crash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!stale.exists(), "a stale half-built folder is cleaned up");
    assert!(
        fresh.exists(),
        "one that may still be in the making is left alone"
    );
    assert_eq!(assert_all_whole(&DataDir::new(dir.path())), 1);
}

#[test]
fn a_drill_is_never_the_incident_a_verb_picks_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let t = chrono::Utc::now();
    let real = data
        .create("Exchange Online down", Severity::Sev2, "alice", t, false)
        .unwrap();
    let drill = data
        .create("Drill: exo-mailflow", Severity::Sev2, "alice", t, true)
        .unwrap();
    // Created later, but neither made current nor taken as the most recent open one.
    assert_eq!(data.current().as_deref(), Some(real.as_str()));
    assert_eq!(data.pick(None).unwrap(), real);
    // Named, it is found.
    assert_eq!(data.pick(Some(&drill)).unwrap(), drill);
    // With only the drill open, a verb without --incident finds nothing to act on.
    let only = tempfile::tempdir().unwrap();
    let data = DataDir::new(only.path());
    data.create("Drill: exo-mailflow", Severity::Sev2, "alice", t, true)
        .unwrap();
    assert_eq!(data.current(), None);
    assert!(matches!(data.pick(None), Err(StoreError::NoneOpen)));
}
