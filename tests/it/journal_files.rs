//! The journal on real files: torn last lines, unknown events, other writers, bad data dirs.

use std::io::Write;
use std::process::Command;

use chrono::Utc;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Severity};
use warroom::store::DataDir;
use warroom::store::journal::{Journal, Reader};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_warroom"))
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

#[test]
fn a_torn_last_line_loads_with_a_warning_and_loses_nothing_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = data
        .create("torn", Severity::Sev2, "t", Utc::now(), false)
        .unwrap();
    let mut j = data.journal(&id).unwrap();
    for i in 0..10 {
        j.append(&note(&format!("kept {i}"))).unwrap();
    }
    let half = serde_json::to_string(&note("torn away")).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(data.journal_path(&id))
        .unwrap();
    f.write_all(&half.as_bytes()[..half.len() / 2]).unwrap();
    drop(f);
    let loaded = data.load(&id).unwrap();
    assert_eq!(loaded.incident.entries.len(), 10);
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].to_string().contains("line 12"));
    assert!(loaded.notice.unwrap().contains("line 12 is damaged"));
    // The CLI says so too, and still prints the timeline.
    let out = bin()
        .args(["--data-dir", dir.path().to_str().unwrap(), "timeline"])
        .env_remove("WARROOM_CONFIG")
        .args(["--config", "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 12 is damaged"), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches("kept").count(),
        10
    );
    // A new entry after the torn line is not lost with it.
    let out = bin()
        .args([
            "--config",
            "/dev/null",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "log",
            "after the crash",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = data.load(&id).unwrap();
    assert_eq!(loaded.incident.entries.len(), 11);
    assert_eq!(loaded.incident.entries[10].text, "after the crash");
}

#[test]
fn unknown_event_types_of_this_version_load_quietly_and_stay_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = data
        .create("future", Severity::Sev2, "t", Utc::now(), false)
        .unwrap();
    let line = "{\"v\":1,\"id\":\"01a22aa1-6733-751e-8288-f7b31f317b24\",\"at\":\"2026-11-30T14:00:00Z\",\"by\":\"x\",\"type\":\"hologram_added\",\"x\":1}\n";
    std::fs::OpenOptions::new()
        .append(true)
        .open(data.journal_path(&id))
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    data.journal(&id).unwrap().append(&note("after")).unwrap();
    let loaded = data.load(&id).unwrap();
    assert!(loaded.warnings.is_empty());
    assert_eq!(loaded.incident.unknown_events, 1);
    assert_eq!(loaded.incident.entries.len(), 1);
    let text = std::fs::read_to_string(data.journal_path(&id)).unwrap();
    assert!(text.contains("hologram_added"));
}

#[test]
fn lines_from_another_writer_are_picked_up_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path());
    let id = data
        .create("two writers", Severity::Sev2, "t", Utc::now(), false)
        .unwrap();
    let mut reader = Reader::new(&data.journal_path(&id));
    assert_eq!(reader.read_new().unwrap().events.len(), 1);
    let out = bin()
        .args([
            "--config",
            "/dev/null",
            "--data-dir",
            dir.path().to_str().unwrap(),
            "log",
            "--kind",
            "action",
            "--at",
            "-5m",
            "from",
            "a",
            "script",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(reader.has_more());
    let batch = reader.read_new().unwrap();
    assert_eq!(batch.events.len(), 1);
    let EventBody::EntryAdded {
        kind,
        text,
        occurred_at,
        ..
    } = &batch.events[0].body
    else {
        panic!()
    };
    assert_eq!(*kind, EntryKind::Action);
    assert_eq!(text, "from a script");
    assert!((Utc::now() - *occurred_at).num_seconds() >= 299);
}

#[test]
fn a_full_disk_is_an_error_that_says_so() {
    // /dev/full takes the open and the lock but fails every write with ENOSPC.
    let Ok(mut j) = Journal::open(std::path::Path::new("/dev/full")) else {
        return;
    };
    let e = j.append(&note("x")).unwrap_err().to_string();
    assert!(e.contains("disk is full"), "{e}");
}

#[test]
fn an_unusable_data_dir_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    let bad = file.join("data");
    for args in [
        vec!["new", "--title", "x"],
        vec!["list"],
        vec!["log", "hello"],
    ] {
        let out = bin()
            .args(["--config", "/dev/null", "--data-dir", bad.to_str().unwrap()])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("--data-dir") || err.contains("warroom new"),
            "{args:?}: {err}"
        );
    }
    // Nothing half-made was left behind.
    assert!(!bad.exists());
}

#[test]
fn cli_verbs_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = bin()
            .args(["--config", "/dev/null", "--data-dir", d])
            .args(args)
            .env("USER", "ic")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, id, _) = run(&["new", "--title", "EXO mail delayed", "--severity", "sev1"]);
    assert!(ok);
    let id = id.trim().to_string();
    assert!(id.ends_with("exo-mail-delayed"));
    assert!(run(&["log", "--at", "-1h30m", "first NDR seen"]).0);
    assert!(
        run(&[
            "log",
            "--incident",
            &id[..8],
            "--kind",
            "decision",
            "hold changes"
        ])
        .0
    );
    let (ok, _, err) = run(&["log", "--at", "99:99", "x"]);
    assert!(!ok && err.contains("-5m"), "{err}");
    let (ok, _, err) = run(&["log", "--incident", "nope", "x"]);
    assert!(!ok && err.contains("warroom list"), "{err}");
    let (ok, _, err) = run(&["log", "--kind", "health", "x"]);
    assert!(
        !ok && err.contains("note, action, decision or comms"),
        "{err}"
    );
    let (ok, json, _) = run(&["timeline", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let entries = v["entries"].as_array().unwrap();
    // The default playbook's attachment, and the two entries.
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().any(|e| {
        e["text"]
            .as_str()
            .unwrap()
            .starts_with("playbook attached: Cloud mail outage")
    }));
    assert_eq!(entries[0]["text"], "first NDR seen");
    assert_eq!(entries[0]["author"], "ic");
    for key in [
        "id",
        "occurred_at",
        "logged_at",
        "author",
        "kind",
        "text",
        "pinned",
    ] {
        assert!(entries[1].get(key).is_some(), "{key}");
    }
    assert_eq!(entries[2]["kind"], "decision");
    let (ok, json, _) = run(&["list", "--json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["id"], id.as_str());
    assert_eq!(v[0]["severity"], "sev1");
    assert_eq!(v[0]["status"], "investigating");
    assert!(v[0]["closed"].is_null());
    let (ok, text, _) = run(&["list"]);
    assert!(ok && text.contains("SEV1") && text.contains("EXO mail delayed"));
    // Hostile text from a script is cleaned before it is stored.
    assert!(run(&["log", "evil \u{1b}]0;owned\u{7}title \u{1b}[2J"]).0);
    let (_, text, _) = run(&["timeline"]);
    assert!(
        text.contains("evil title") && !text.contains('\u{1b}'),
        "{text:?}"
    );
}

#[test]
fn an_invalid_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "author = \"x\"\n\ntimezone = \"Nowhere/Land\"\n").unwrap();
    let out = bin()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            dir.path().to_str().unwrap(),
            "list",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3: key `timezone`", cfg.display())),
        "{err}"
    );
    // A config named explicitly must exist.
    let out = bin()
        .args(["--config", "/nonexistent/c.toml", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/c.toml"));
}

#[test]
fn playbook_verbs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_dir = dir.path().join("cfg");
    std::fs::create_dir_all(cfg_dir.join("playbooks")).unwrap();
    std::fs::write(cfg_dir.join("config.toml"), "").unwrap();
    // A user playbook, and a broken one that must not stop the others.
    std::fs::write(
        cfg_dir.join("playbooks/dns-failover.toml"),
        "name = \"DNS failover\"\n[[sections]]\ntitle = \"Do\"\n[[sections.steps]]\nid = \"flip\"\ntitle = \"Flip the MX\"\ndue = \"5m\"\nrequired = true\n",
    )
    .unwrap();
    std::fs::write(
        cfg_dir.join("playbooks/broken.toml"),
        "name = \"Broken\"\n[[sections]]\ntitle = \"S\"\n[[sections.steps]]\nid = \"a\"\ntitle = \"A\"\ndue = \"15x\"\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = bin()
            .args([
                "--config",
                cfg_dir.join("config.toml").to_str().unwrap(),
                "--data-dir",
                dir.path().to_str().unwrap(),
            ])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, list, err) = run(&["playbook", "list"]);
    assert!(ok);
    let ids: Vec<&str> = list
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cloud-mail-outage",
            "dns-failover",
            "phishing-surge",
            "post-incident-review"
        ]
    );
    assert!(list.lines().next().unwrap().ends_with("steps"));
    assert!(
        err.contains("broken.toml:7") && err.contains("due"),
        "{err}"
    );
    let (ok, show, _) = run(&["playbook", "show", "cloud-mail-outage"]);
    assert!(ok);
    assert!(
        show.contains("## Triage")
            && show.contains("[notify-stakeholders]")
            && show.contains("required")
    );
    let (ok, _, err) = run(&["playbook", "show", "nope"]);
    assert!(!ok && err.contains("cloud-mail-outage"), "{err}");
    // `new --playbook` attaches the user's playbook, text and all.
    let (ok, id, _) = run(&["new", "--title", "DNS", "--playbook", "dns-failover"]);
    assert!(ok);
    let journal = std::fs::read_to_string(
        dir.path()
            .join("incidents")
            .join(id.trim())
            .join("journal.jsonl"),
    )
    .unwrap();
    assert!(journal.contains("\"type\":\"playbook_attached\"") && journal.contains("Flip the MX"));
    let (ok, _, err) = run(&["new", "--title", "x", "--playbook", "nope"]);
    assert!(!ok && err.contains("known ones are"), "{err}");
    let (ok, id, _) = run(&["new", "--title", "bare", "--playbook", "none"]);
    assert!(ok);
    let journal = std::fs::read_to_string(
        dir.path()
            .join("incidents")
            .join(id.trim())
            .join("journal.jsonl"),
    )
    .unwrap();
    assert_eq!(journal.lines().count(), 1);
}
