//! `warroom followups`: listing, done and drop through the real binary, on closed incidents.

use std::path::Path;

use serde_json::Value;

use crate::common;
use warroom::store::DataDir;

fn run(d: &Path, args: &[&str]) -> (bool, String, String) {
    common::run_warroom(d, Path::new("/dev/null"), args, &[])
}

/// A closed incident with the given follow-ups; returns its id.
fn closed_incident(d: &Path, title: &str, follow_ups: &[&str]) -> String {
    let (ok, id, err) = run(d, &["new", "--title", title, "--playbook", "none"]);
    assert!(ok, "{err}");
    let mut args = vec!["close", "--summary", "fixed"];
    for f in follow_ups {
        args.extend(["--follow-up", f]);
    }
    let (ok, _, err) = run(d, &args);
    assert!(ok, "{err}");
    id.trim().to_string()
}

fn list_json(d: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["followups", "--json"];
    args.extend(extra);
    let (ok, out, err) = run(d, &args);
    assert!(ok, "{err}");
    serde_json::from_str::<Vec<Value>>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn done_and_drop_change_follow_ups_of_a_closed_incident() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = closed_incident(
        d,
        "MX down",
        &[
            "Add a second MX | bob | 2020-01-15",
            "Alert on queue growth | carol | next sprint",
            "Write the runbook | dave",
        ],
    );
    let rows = list_json(d, &[]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["incident"], id.as_str());
    assert_eq!(rows[0]["owner"], "bob");
    assert_eq!(rows[0]["due_date"], "2020-01-15");
    assert_eq!(rows[0]["overdue"], true, "a past due date is overdue");
    assert_eq!(rows[1]["due"], "next sprint");
    assert_eq!(rows[1]["due_date"], Value::Null);
    assert_eq!(rows[1]["overdue"], false);
    let short = |i: usize| rows[i]["short_id"].as_str().unwrap().to_string();

    // The plain list shows the short id, state, due, owner, action and incident.
    let (ok, out, _) = run(d, &["followups"]);
    assert!(ok);
    let first = out.lines().nth(1).unwrap();
    assert!(
        first.starts_with(&format!("{}\topen OVERDUE\t2020-01-15\t", short(0))),
        "{out}"
    );
    assert!(
        first.contains("bob\tAdd a second MX\t") && first.ends_with(&id),
        "{out}"
    );

    // Done with a unique prefix, on the closed incident.
    let (ok, out, err) = run(d, &["followups", "done", &short(0)[..5]]);
    assert!(ok, "{err}");
    assert!(out.contains("done: Add a second MX"), "{out}");
    let (ok, _, err) = run(d, &["followups", "done", &short(0)]);
    assert!(!ok);
    assert!(err.contains("is done already"), "{err}");

    // Drop needs a reason.
    let (ok, _, err) = run(d, &["followups", "drop", &short(1)]);
    assert!(!ok && err.contains("--reason"), "{err}");
    let (ok, _, err) = run(d, &["followups", "drop", &short(1), "--reason", " "]);
    assert!(!ok && err.contains("say why"), "{err}");
    let (ok, _, err) = run(
        d,
        &[
            "followups",
            "drop",
            &short(1),
            "--reason",
            "the vendor alerts already",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run(d, &["followups", "done", "zzzz"]);
    assert!(!ok && err.contains("not a follow-up id"), "{err}");
    let (ok, _, err) = run(d, &["followups", "done", "0000000"]);
    assert!(!ok && err.contains("--all"), "{err}");

    let rows = list_json(d, &[]);
    assert_eq!(rows[0]["state"], "done");
    assert_eq!(rows[0]["overdue"], false, "done is never overdue");
    assert_eq!(rows[1]["state"], "dropped");
    assert_eq!(rows[1]["reason"], "the vendor alerts already");
    let open = list_json(d, &["--open"]);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["action"], "Write the runbook");

    // The changes are journal events, shown in the timeline; the incident stays closed and
    // other changes are still refused.
    let loaded = DataDir::new(d).load(&id).unwrap().incident;
    assert!(loaded.is_closed());
    assert!(
        loaded
            .visible_entries()
            .any(|e| e.text == "follow-up done: Add a second MX" && e.author == "alice")
    );
    assert!(loaded.visible_entries().any(|e| e.text
        == "follow-up dropped: Alert on queue growth (reason: the vendor alerts already)"));
    let (ok, md, err) = run(d, &["export", "--format", "md"]);
    assert!(ok, "{err}");
    assert!(
        md.contains("| dropped: the vendor alerts already |"),
        "{md}"
    );
    assert!(
        md.contains("follow-up done: Add a second MX"),
        "in the timeline too: {md}"
    );
    let (ok, _, err) = run(d, &["log", "--incident", &id, "late note"]);
    assert!(!ok && err.contains("closed"), "{err}");
}

#[test]
fn a_re_close_keeps_follow_ups_and_all_lists_every_incident() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = closed_incident(d, "MX down", &["Add a second MX | bob | 2026-12-15"]);
    let before = list_json(d, &[]);
    let short = before[0]["short_id"].as_str().unwrap().to_string();
    let (ok, _, err) = run(d, &["followups", "done", &short]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(d, &["reopen", "--reason", "queues again"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(
        d,
        &[
            "close",
            "--summary",
            "fixed for good",
            "--follow-up",
            "add a second  MX | erin | 2027-01-10",
            "--follow-up",
            "Check the TTLs | bob",
        ],
    );
    assert!(ok, "{err}");
    let rows = list_json(d, &[]);
    assert_eq!(
        rows.len(),
        2,
        "the follow-up named again is not duplicated: {rows:?}"
    );
    assert_eq!(rows[0]["id"], before[0]["id"]);
    assert_eq!(rows[0]["state"], "done", "its state is kept");
    assert_eq!(
        rows[0]["owner"], "erin",
        "its owner and due follow the last close"
    );
    assert_eq!(rows[0]["due_date"], "2027-01-10");
    assert_eq!(rows[1]["action"], "Check the TTLs");

    // A second incident: --all lists both, the default only the current one.
    let other = closed_incident(d, "Relay down", &["Second relay | carol"]);
    assert_ne!(other, id);
    assert_eq!(list_json(d, &[]).len(), 1);
    let all = list_json(d, &["--all"]);
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|r| r["incident"] == id.as_str()));
    assert!(all.iter().any(|r| r["incident_title"] == "Relay down"));
    // Done by id finds the follow-up of another incident than the current one.
    let (ok, out, err) = run(
        d,
        &["followups", "done", rows[1]["short_id"].as_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(out.contains(&format!("(incident {id})")), "{out}");
    let (ok, out, _) = run(d, &["followups", "--incident", &id, "--open"]);
    assert!(ok);
    assert!(out.contains("has no open follow-ups"), "{out}");
}
