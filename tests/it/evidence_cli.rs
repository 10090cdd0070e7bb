//! `warroom evidence add|run|list|verify` and `warroom ticket add` through the real binary.

use std::path::Path;

use crate::common;
use warroom::domain::event::EventBody;
use warroom::domain::evidence::EvidenceKind;
use warroom::store::DataDir;

/// Runs the binary as alice on data dir `data`, with no config.
fn run(data: &Path, args: &[&str]) -> (bool, String, String) {
    common::run_warroom(data, Path::new("/dev/null"), args, &[])
}

fn new_incident(d: &Path) -> String {
    let (ok, id, err) = run(d, &["new", "--title", "EXO inbound delayed"]);
    assert!(ok, "{err}");
    id.trim().to_string()
}

#[test]
fn add_copies_hashes_and_never_overwrites_then_verify_finds_a_changed_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let src = tempfile::tempdir().unwrap();
    let log = src.path().join("relay.log");
    std::fs::write(
        &log,
        "Dec  2 14:03:00 relay1 postfix/smtp: status=deferred\n",
    )
    .unwrap();
    let shot = src.path().join("portal.png");
    std::fs::write(&shot, [0x89u8, b'P', b'N', b'G', 0, 1, 2]).unwrap();

    let (ok, out, err) = run(
        d,
        &[
            "evidence",
            "add",
            log.to_str().unwrap(),
            shot.to_str().unwrap(),
            "--note",
            "before rotation",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("evidence/relay.log\tsha256:"), "{out}");
    // The same name again gets a suffix; the first copy is untouched.
    std::fs::write(&log, "a later tail\n").unwrap();
    let (ok, out, err) = run(d, &["evidence", "add", log.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("evidence/relay-2.log"), "{out}");

    let data = DataDir::new(d);
    let inc = data.load(&id).unwrap().incident;
    let files = inc.custody.files();
    assert_eq!(files.len(), 3);
    assert_eq!(files[0].file, "evidence/relay.log");
    assert_eq!(files[0].note, "before rotation");
    assert_eq!(files[0].by, "alice");
    assert_eq!(files[0].size, Some(53));
    assert_eq!(
        files[0].sha256.as_deref(),
        Some(
            warroom::evidence::hash::sha256_hex(
                b"Dec  2 14:03:00 relay1 postfix/smtp: status=deferred\n"
            )
            .as_str()
        )
    );
    assert!(
        inc.visible_entries()
            .any(|e| e.text.starts_with("evidence: ")
                && e.text.contains("relay.log kept as evidence/relay.log"))
    );

    let (ok, out, err) = run(d, &["evidence", "verify"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("3 evidence file(s) checked: all as recorded"),
        "{out}"
    );

    // One file edited, one removed: both named, and a non-zero exit.
    let ev = data.evidence_dir(&id);
    std::fs::write(ev.join("relay.log"), "tampered\n").unwrap();
    std::fs::remove_file(ev.join("portal.png")).unwrap();
    let (ok, out, err) = run(d, &["evidence", "verify"]);
    assert!(!ok);
    assert!(
        out.contains("CHANGED\tevidence/relay.log: now 9 bytes"),
        "{out}"
    );
    assert!(out.contains("MISSING\tevidence/portal.png"), "{out}");
    assert!(out.contains("ok\tevidence/relay-2.log"), "{out}");
    assert!(
        err.contains("2 of 3 evidence file(s) changed or went missing"),
        "{err}"
    );

    // list, as text and JSON.
    let (ok, out, _) = run(d, &["evidence", "list"]);
    assert!(ok);
    assert!(
        out.contains("file\tevidence/portal.png\t7 bytes\tsha256:"),
        "{out}"
    );
    let (ok, out, _) = run(d, &["evidence", "list", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[1]["kind"], "file");
    assert_eq!(v[1]["size"], 7);
}

#[test]
fn add_refuses_a_folder_and_a_missing_file_but_keeps_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let src = tempfile::tempdir().unwrap();
    let good = src.path().join("ok.txt");
    std::fs::write(&good, "x").unwrap();
    let (ok, _, err) = run(
        d,
        &[
            "evidence",
            "add",
            src.path().to_str().unwrap(),
            "/nonexistent/x.log",
            good.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(err.contains("is not a regular file"), "{err}");
    assert!(err.contains("cannot read /nonexistent/x.log"), "{err}");
    assert!(err.contains("2 of 3 file(s) were not kept"), "{err}");
    let inc = DataDir::new(d).load(&id).unwrap().incident;
    assert_eq!(inc.custody.files().len(), 1);
}

#[test]
fn run_keeps_output_error_exit_and_duration_and_works_on_a_closed_incident() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let (ok, _, err) = run(d, &["close", "--summary", "done", "--override", "drill"]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        d,
        &[
            "evidence",
            "run",
            "--note",
            "queue at close",
            "--",
            "sh",
            "-c",
            "echo 'active 3 deferred 41'; echo 'warning: slow' >&2; exit 3",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("(exit code 3,"), "{out}");
    let data = DataDir::new(d);
    let (inc, events, _) = data.load_events(&id).unwrap();
    let EventBody::EvidenceAdded(e) = &events.last().unwrap().body else {
        panic!("{:?}", events.last())
    };
    assert_eq!(e.kind, EvidenceKind::Command);
    assert_eq!(e.note, "queue at close");
    let c = e.command.as_ref().unwrap();
    assert_eq!(c.exit_code, Some(3));
    assert_eq!(c.argv[0], "sh");
    assert!(c.duration_ms < 30_000);
    let dir = data.incident_dir(&id);
    assert_eq!(
        std::fs::read_to_string(dir.join(&e.file)).unwrap(),
        "active 3 deferred 41\n"
    );
    let stderr = c.stderr.as_ref().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join(&stderr.file)).unwrap(),
        "warning: slow\n"
    );
    assert_eq!(inc.custody.files().len(), 2);
    let (ok, out, _) = run(d, &["evidence", "verify"]);
    assert!(ok, "{out}");
}

#[test]
fn run_says_when_the_output_was_cut_and_when_it_timed_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    // 20 MiB of output: more than the 16 MiB kept.
    let (ok, out, err) = run(
        d,
        &[
            "evidence",
            "run",
            "--",
            "sh",
            "-c",
            "head -c 20971520 /dev/zero",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("(output longer than kept: cut)"), "{out}");
    let (ok, out, err) = run(
        d,
        &["evidence", "run", "--timeout", "1s", "--", "sleep", "30"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("(timed out,"), "{out}");
    let inc = DataDir::new(d).load(&id).unwrap().incident;
    let cut = &inc.custody.evidence[0].added;
    assert!(cut.command.as_ref().unwrap().stdout_cut);
    assert_eq!(cut.size, 16 * 1024 * 1024);
    // A command that is not there keeps nothing and says what to do.
    let (ok, _, err) = run(d, &["evidence", "run", "--", "no-such-command-xyz"]);
    assert!(!ok);
    assert!(err.contains("`no-such-command-xyz` was not found"), "{err}");
    let (ok, _, err) = run(d, &["evidence", "run", "--timeout", "soon", "--", "true"]);
    assert!(!ok);
    assert!(err.contains("is not a time limit"), "{err}");
}

#[test]
fn ticket_add_records_a_support_case_in_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let (ok, out, err) = run(
        d,
        &[
            "ticket",
            "add",
            "MS-2611300042",
            "--provider",
            "Microsoft",
            "--note",
            "asked for trace logs",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "support case with Microsoft: MS-2611300042 (asked for trace logs)"
    );
    let inc = DataDir::new(d).load(&id).unwrap().incident;
    assert_eq!(inc.custody.tickets[0].ticket.reference, "MS-2611300042");
    assert!(
        inc.visible_entries()
            .any(|e| e.text.starts_with("support case with Microsoft"))
    );
    let (ok, _, err) = run(d, &["ticket", "add", " \u{1b}[31m "]);
    assert!(!ok);
    assert!(err.contains("the ticket needs its reference"), "{err}");
}
