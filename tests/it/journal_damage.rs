//! Damaged, unreadable and odd journals, through the real binary: one copy per distinct damage
//! and one warning per verb; no incident disappears from `warroom list`; verbs that act on a
//! broken incident say which file and why (never "there is no open incident"); lines from a
//! newer version; the 64 KiB entry limit and the typed-time rule on the command line.

// The crate denies unsafe code; this test needs `geteuid` and `mkfifo` through libc.
#![allow(unsafe_code)]

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, Utc};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Severity};
use warroom::store::DataDir;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run_in(data: &Path, args: &[&str], unprivileged: bool) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
    c.args(["--config", "/dev/null", "--data-dir"])
        .arg(data)
        .args(args)
        .env_remove("WARROOM_CONFIG")
        .env("USER", "ic");
    // Permissions mean nothing to root: run as nobody then.
    if unprivileged && unsafe { libc::geteuid() } == 0 {
        c.uid(65534).gid(65534);
    }
    let out = c.output().unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(data: &Path, args: &[&str]) -> Run {
    run_in(data, args, false)
}

fn note(text: &str) -> Event {
    Event::new(
        Utc::now(),
        "t",
        EventBody::EntryAdded {
            occurred_at: Utc::now(),
            kind: EntryKind::Note,
            text: text.into(),
            step: None,
        },
    )
}

fn append_raw(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

fn copies(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect();
    v.sort();
    v
}

fn warnings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("warroom: warning:"))
        .collect()
}

/// An incident with `n` notes, made through the library.
fn incident(data: &DataDir, title: &str, n: usize) -> String {
    let id = data
        .create(title, Severity::Sev2, "t", Utc::now(), false)
        .unwrap();
    let mut j = data.journal(&id).unwrap();
    for i in 0..n {
        j.append(&note(&format!("note {i}"))).unwrap();
    }
    id
}

#[test]
fn one_copy_per_damage_and_one_warning_from_every_verb() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident(&data, "damaged", 3);
    let journal = data.journal_path(&id);
    // A 1 MB line of garbage in the middle (line 5), then more good lines.
    let mut bad = vec![b'#'; 1 << 20];
    bad.push(b'\n');
    append_raw(&journal, &bad);
    let mut j = data.journal(&id).unwrap();
    j.append(&note("after the damage")).unwrap();
    let verbs: &[&[&str]] = &[
        &["list"],
        &["list", "--json"],
        &["timeline"],
        &["timeline", "--json"],
        &["log", "a new line"],
        &["export", "--format", "md"],
        &["update", "--dry-run"],
        &["timeline"],
        &["close", "--summary", "done", "--override", "drill"],
        &["reopen"],
    ];
    for args in verbs {
        let r = run(dir.path(), args);
        assert!(r.ok, "{args:?}: {}", r.stderr);
        let w = warnings(&r.stderr);
        assert_eq!(w.len(), 1, "{args:?}: one warning, got: {}", r.stderr);
        let found = copies(journal.parent().unwrap());
        assert_eq!(found.len(), 1, "{args:?}: {found:?}");
        assert!(
            w[0].contains(&journal.display().to_string())
                && w[0].contains("line 5 is damaged")
                && w[0].contains(&found[0].display().to_string()),
            "{args:?}: {}",
            w[0]
        );
    }
    // 10 reads of a journal with a 1 MB bad line: one 1 MB copy, not ten.
    let copy = &copies(journal.parent().unwrap())[0];
    assert!(std::fs::metadata(copy).unwrap().len() < 2 << 20);
    // The entries around the damage are all there.
    let r = run(dir.path(), &["timeline", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let texts: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    for t in ["note 0", "note 2", "after the damage", "a new line"] {
        assert!(texts.contains(&t), "{t}: {texts:?}");
    }
    // New damage elsewhere is a new copy, and the warning names both lines.
    append_raw(&journal, b"{\"v\":1,\"id\":\n");
    let r = run(dir.path(), &["timeline"]);
    let w = warnings(&r.stderr);
    assert_eq!(w.len(), 1, "{}", r.stderr);
    assert!(w[0].contains("are damaged"), "{}", w[0]);
    assert_eq!(copies(journal.parent().unwrap()).len(), 2);
}

#[test]
fn a_journal_whose_every_line_is_bad_is_damaged_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let good = incident(&data, "good one", 1);
    let bad = incident(&data, "all garbage", 0);
    std::fs::write(data.journal_path(&bad), "garbage\n{\"v\":1\n").unwrap();
    let r = run(dir.path(), &["list"]);
    assert!(r.ok, "{}", r.stderr);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with(&bad))
        .unwrap_or_else(|| panic!("{bad} is not listed: {}", r.stdout));
    assert!(line.contains("damaged: no valid events"), "{line}");
    assert!(r.stdout.contains(&good));
    assert_eq!(warnings(&r.stderr).len(), 1, "{}", r.stderr);
    // The JSON stays an array; the broken one carries an error.
    let r = run(dir.path(), &["list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    let entry = arr.iter().find(|e| e["id"] == bad.as_str()).unwrap();
    assert_eq!(entry["error"], "damaged: no valid events");
    assert_eq!(
        entry["journal"],
        data.journal_path(&bad).display().to_string()
    );
    let ok = arr.iter().find(|e| e["id"] == good.as_str()).unwrap();
    assert!(ok.get("error").is_none() && ok["severity"] == "sev2");
    // Acting on it fails naming the file and the reason.
    for args in [
        vec!["log", "--incident", &bad, "x"],
        vec!["timeline", "--incident", &bad],
        vec!["export", "--incident", &bad, "--format", "json"],
    ] {
        let r = run(dir.path(), &args);
        assert!(!r.ok, "{args:?}");
        let err = r.stderr.lines().last().unwrap();
        assert!(
            err.contains(&data.journal_path(&bad).display().to_string())
                && err.contains("damaged: no valid events")
                && !err.contains("no open incident"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn no_incident_disappears_from_the_list() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = DataDir::new(dir.path());
    let good = incident(&data, "fine", 1);
    let locked = incident(&data, "locked", 1);
    let empty = incident(&data, "empty", 0);
    let missing = incident(&data, "missing", 0);
    let folder = incident(&data, "folder", 0);
    let fifo = incident(&data, "fifo", 0);
    std::fs::set_permissions(
        data.journal_path(&locked),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::write(data.journal_path(&empty), "").unwrap();
    std::fs::remove_file(data.journal_path(&missing)).unwrap();
    std::fs::remove_file(data.journal_path(&folder)).unwrap();
    std::fs::create_dir(data.journal_path(&folder)).unwrap();
    std::fs::remove_file(data.journal_path(&fifo)).unwrap();
    let c = std::ffi::CString::new(data.journal_path(&fifo).to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let r = run_in(dir.path(), &["list"], true);
    assert!(r.ok, "{}", r.stderr);
    let reason = |id: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} is not listed: {}", r.stdout))
            .to_string()
    };
    assert!(reason(&locked).contains("unreadable: permission denied"));
    assert!(reason(&empty).contains("damaged: the journal is empty"));
    assert!(reason(&missing).contains("damaged: journal.jsonl is missing"));
    assert!(reason(&folder).contains("unreadable: is a directory"));
    // A FIFO would block a reader forever: it is not read.
    assert!(reason(&fifo).contains("unreadable: not a regular file"));
    assert!(reason(&good).contains("fine"));
    let r = run_in(dir.path(), &["list", "--json"], true);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);
    let errors: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["error"].as_str())
        .collect();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors.contains(&"unreadable: permission denied"));
    // Acting on the locked one says so, with the file.
    let r = run_in(dir.path(), &["timeline", "--incident", &locked], true);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("unreadable: permission denied")
            && r.stderr
                .contains(&data.journal_path(&locked).display().to_string())
            && r.stderr.contains("Fix its permissions"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
}

#[test]
fn a_damaged_incident_is_never_skipped_when_picking_the_one_to_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let older = incident(&data, "older and fine", 0);
    let broken = incident(&data, "current and broken", 0);
    std::fs::write(data.journal_path(&broken), "\u{0}\u{0}\u{0}\n").unwrap();
    // It is current: `log` must not quietly write to the other one.
    assert_eq!(data.current().as_deref(), Some(broken.as_str()));
    let r = run(dir.path(), &["log", "where does this go?"]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains(&broken) && r.stderr.contains("damaged: no valid events"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("no open incident"), "{}", r.stderr);
    assert_eq!(data.load(&older).unwrap().incident.entries.len(), 0);
    // Not current, but created after the open one: it might be the one meant.
    std::fs::remove_file(dir.path().join("current")).unwrap();
    let r = run(dir.path(), &["log", "and now?"]);
    assert!(!r.ok && r.stderr.contains(&broken), "{}", r.stderr);
    assert!(r.stderr.contains("--incident"), "{}", r.stderr);
    // Naming the other one works.
    let r = run(dir.path(), &["log", "--incident", &older, "here"]);
    assert!(r.ok, "{}", r.stderr);
    // Only broken incidents: the error names one, it never invites a duplicate incident.
    let dir2 = tempfile::tempdir().unwrap();
    let data2 = DataDir::new(dir2.path());
    let only = incident(&data2, "only one", 0);
    std::fs::write(data2.journal_path(&only), "").unwrap();
    std::fs::remove_file(dir2.path().join("current")).unwrap();
    for args in [
        vec!["log", "x"],
        vec!["timeline"],
        vec!["update", "--dry-run"],
    ] {
        let r = run(dir2.path(), &args);
        assert!(!r.ok, "{args:?}");
        assert!(
            r.stderr.contains(&only)
                && r.stderr.contains("damaged: the journal is empty")
                && !r.stderr.contains("warroom new"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn an_older_damaged_incident_does_not_block_the_open_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let old = data
        .create(
            "last week",
            Severity::Sev3,
            "t",
            Utc::now() - Duration::days(7),
            false,
        )
        .unwrap();
    std::fs::write(data.journal_path(&old), "not json\n").unwrap();
    let new = incident(&data, "today", 0);
    std::fs::remove_file(dir.path().join("current")).unwrap();
    let r = run(dir.path(), &["log", "fine"]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(data.load(&new).unwrap().incident.entries.len(), 1);
}

#[test]
fn an_empty_incident_id_is_refused_with_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    incident(&data, "one", 0);
    for args in [
        vec!["log", "--incident", "", "x"],
        vec!["timeline", "--incident", " "],
        vec!["export", "--incident", "", "--format", "md"],
    ] {
        let r = run(dir.path(), &args);
        assert!(!r.ok, "{args:?}");
        assert!(
            r.stderr.contains("the incident id is empty")
                && r.stderr.contains("warroom list")
                && r.stderr.contains("leave --incident out"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn lines_from_a_newer_version_are_kept_and_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident(&data, "mixed versions", 1);
    let mut v2 = serde_json::to_value(note("written by warroom 2")).unwrap();
    v2["v"] = 2.into();
    append_raw(&data.journal_path(&id), format!("{v2}\n").as_bytes());
    let r = run(dir.path(), &["timeline"]);
    assert!(r.ok, "{}", r.stderr);
    let w = warnings(&r.stderr);
    assert_eq!(w.len(), 1, "{}", r.stderr);
    assert!(
        w[0].contains("line 3 was written by a newer warroom (journal format v2)"),
        "{}",
        w[0]
    );
    assert!(!r.stdout.contains("written by warroom 2"), "{}", r.stdout);
    assert!(r.stdout.contains("note 0"));
    // Kept in the file; not damage, so no copy.
    let text = std::fs::read_to_string(data.journal_path(&id)).unwrap();
    assert!(text.contains("written by warroom 2"));
    assert!(copies(&data.incident_dir(&id)).is_empty());
}

#[test]
fn log_refuses_an_entry_over_64_kib_and_keeps_one_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = incident(&data, "long texts", 0);
    let over = "x".repeat(65_537);
    let r = run(dir.path(), &["log", &over]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("65,537 bytes")
            && r.stderr.contains("the limit is 65,536 bytes (64 KiB)"),
        "{}",
        r.stderr
    );
    assert_eq!(data.load(&id).unwrap().incident.entries.len(), 0);
    let exact = "y".repeat(65_536);
    let r = run(dir.path(), &["log", &exact]);
    assert!(r.ok, "{}", r.stderr);
    let inc = data.load(&id).unwrap().incident;
    assert_eq!(inc.entries[0].text.len(), 65_536);
}

#[test]
fn typed_times_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let opened = Utc::now() - Duration::hours(1);
    let id = data
        .create("times", Severity::Sev2, "t", opened, false)
        .unwrap();
    let iso = |t: chrono::DateTime<Utc>| t.to_rfc3339();
    let future = iso(Utc::now() + Duration::minutes(10));
    let r = run(dir.path(), &["log", "--at", &future, "x"]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("--at") && r.stderr.contains("is in the future"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["log", "--at", "1999-12-31 12:00", "x"]);
    assert!(
        !r.ok && r.stderr.contains("before the year 2000"),
        "{}",
        r.stderr
    );
    let long_ago = iso(opened - Duration::days(8));
    let r = run(dir.path(), &["log", "--at", &long_ago, "first symptom"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("more than 7 days before"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["log", "--at", "-5m", "plain backdating"]);
    assert!(r.ok && r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(data.load(&id).unwrap().incident.entries.len(), 2);
    // close --started and its siblings.
    let r = run(
        dir.path(),
        &[
            "close",
            "--summary",
            "s",
            "--override",
            "test",
            "--mitigated",
            &future,
        ],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("--mitigated") && r.stderr.contains("is in the future"),
        "{}",
        r.stderr
    );
    assert!(!data.load(&id).unwrap().incident.is_closed());
    let r = run(
        dir.path(),
        &[
            "close",
            "--summary",
            "s",
            "--override",
            "test",
            "--started",
            "1990-01-01 00:00",
        ],
    );
    assert!(!r.ok && r.stderr.contains("--started"), "{}", r.stderr);
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let r = run(&file.join("data"), &["list"]);
    assert!(!r.ok);
    assert_eq!(
        r.stderr.matches("Not a directory").count(),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("os error").count(), 1, "{}", r.stderr);
}
