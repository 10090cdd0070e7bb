//! `warroom close`, `reopen` and `export` through the real binary.

use std::path::Path;

use crate::common;
use warroom::domain::incident::EntryKind;
use warroom::store::DataDir;

/// Runs the binary as alice on data dir `data`, with no config.
fn run(data: &Path, args: &[&str]) -> (bool, String, String) {
    common::run_warroom(data, Path::new("/dev/null"), args, &[])
}

#[test]
fn close_is_refused_with_required_steps_open_until_overridden_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A new incident gets the cloud-mail playbook, whose required steps are all open.
    let (ok, id, err) = run(d, &["new", "--title", "EXO inbound delayed"]);
    assert!(ok, "{err}");
    let id = id.trim().to_string();
    let data = DataDir::new(d);

    let (ok, _, err) = run(d, &["close", "--summary", "MX fixed"]);
    assert!(!ok);
    assert!(err.contains("required playbook steps are open"), "{err}");
    assert!(err.contains("--override"), "{err}");
    assert!(!data.load(&id).unwrap().incident.is_closed());

    let (ok, out, err) = run(
        d,
        &[
            "close",
            "--summary",
            "MX fixed",
            "--impact",
            "mail late for 2h",
            "--follow-up",
            "Add a second MX | bob | 2026-12-15",
            "--override",
            "vendor steps tracked in the ticket",
            "--mitigated",
            "-5m",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains(&format!("closed {id}")), "{out}");
    assert!(out.contains("reports written to"), "{out}");
    let inc = data.load(&id).unwrap().incident;
    assert!(inc.is_closed());
    let closing = inc.closing.clone().unwrap();
    assert_eq!(closing.follow_ups[0].owner, "bob");
    assert!(
        inc.key_times_set
            .contains_key(&warroom::domain::closing::KeyTime::Mitigated)
    );
    // The override is in the timeline.
    assert!(inc.visible_entries().any(|e| {
        e.kind == EntryKind::Incident
            && e.text
                .contains("override: vendor steps tracked in the ticket")
    }),);
    // Every format is in exports/.
    let mut exts: Vec<String> = std::fs::read_dir(data.exports_dir(&id))
        .unwrap()
        .filter_map(|e| {
            e.unwrap()
                .path()
                .extension()
                .map(|x| x.to_string_lossy().into_owned())
        })
        .collect();
    exts.sort();
    assert_eq!(exts, ["csv", "html", "json", "md"]);

    // Read-only: log is refused, a second close too.
    let (ok, _, err) = run(d, &["log", "--incident", &id, "late note"]);
    assert!(!ok);
    assert!(
        err.contains("closed") && err.contains("warroom reopen"),
        "{err}"
    );
    let (ok, _, err) = run(d, &["close", "--incident", &id, "--summary", "again"]);
    assert!(!ok);
    assert!(err.contains("closed already"), "{err}");

    // Export works on the closed (current) incident, in another zone.
    let (ok, md, err) = run(d, &["export", "--format", "md", "--tz", "America/New_York"]);
    assert!(ok, "{err}");
    assert!(
        md.contains("# Incident report: EXO inbound delayed"),
        "{md}"
    );
    assert!(md.contains("Times in | America/New_York"), "{md}");
    assert!(md.contains(" -05:00 |") || md.contains(" -04:00 |"), "{md}");
    let file = d.join("report.csv");
    let (ok, _, err) = run(
        d,
        &["export", "--format", "csv", "-o", file.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .starts_with("date,time,utc_offset")
    );
    let (ok, _, err) = run(d, &["export", "--format", "pdf"]);
    assert!(!ok);
    assert!(err.contains("md, html, json or csv"), "{err}");

    // Reopen is logged, and the incident takes entries again.
    let (ok, _, err) = run(d, &["reopen", "--reason", "queues again"]);
    assert!(ok, "{err}");
    let inc = data.load(&id).unwrap().incident;
    assert!(!inc.is_closed());
    assert_eq!(inc.entries.last().unwrap().text, "reopened: queues again");
    let (ok, _, err) = run(d, &["log", "--incident", &id, "queues draining"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(d, &["reopen"]);
    assert!(!ok);
    assert!(err.contains("not closed"), "{err}");
}

#[test]
fn close_without_a_summary_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, _, err) = run(d, &["new", "--title", "t", "--playbook", "none"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(d, &["close"]);
    assert!(!ok);
    assert!(err.contains("--summary"), "{err}");
    let (ok, _, err) = run(d, &["close", "--summary", "s", "--follow-up", "no owner"]);
    assert!(!ok);
    assert!(err.contains("action | owner | due"), "{err}");
    // No playbook: nothing required, no override needed.
    let (ok, _, err) = run(d, &["close", "--summary", "s"]);
    assert!(ok, "{err}");
}
