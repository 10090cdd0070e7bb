//! No leftovers: a write that fails half-way (a full disk) leaves neither the file nor its
//! temporary file, for every file warroom puts in place by a rename: reports and exports,
//! trace evidence, the `current` pointer, copies of damaged journals.
//!
//! A full disk is played by a file-size limit (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored): writes
//! past it fail with `EFBIG` after the temporary file was created and partly written, exactly
//! where a full disk fails them. The limit is set in a child process (the test binary run again,
//! or the real `warroom` under `ulimit -f`), never in the test process itself.

// The crate denies unsafe code; this test needs libc calls (`geteuid`, and the setup of a full disk).
#![allow(unsafe_code)]

use crate::common;
use std::path::Path;
use std::process::Command;

use chrono::{TimeZone, Utc};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity, Status};
use warroom::domain::trace::{TraceQuery, TraceRow, TraceStatus, TraceSummary};
use warroom::export::ExportOptions;
use warroom::store::DataDir;

const CHILD_ENV: &str = "WARROOM_LEFTOVERS_CHILD_DIR";
/// The file-size limit in the child: the files written below are all bigger.
const LIMIT: u64 = 4096;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn big_incident() -> (Incident, Vec<Event>) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap();
    let mut events = vec![Event::new(
        t0,
        "alice",
        EventBody::IncidentOpened {
            incident: "20261130-1400-big".into(),
            title: "big".into(),
            severity: Severity::Sev2,
            status: Status::Investigating,
            started_at: None,
            drill: false,
        },
    )];
    for i in 0..200 {
        events.push(Event::new(
            t0,
            "bob",
            EventBody::EntryAdded {
                occurred_at: t0,
                kind: EntryKind::Note,
                text: format!("entry {i}: queues are still growing on the edge relays"),
                step: None,
            },
        ));
    }
    (Incident::from_events(&events).unwrap(), events)
}

fn rows(n: usize) -> Vec<TraceRow> {
    let t = Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap();
    (0..n)
        .map(|i| TraceRow {
            received: t,
            sender: format!("sender{i}@fabrikam.example"),
            recipient: format!("user{i}@contoso.example"),
            subject: "Quarterly report".into(),
            status: TraceStatus::Pending,
            reply: "451 4.7.500 Server busy".into(),
            message_id: format!("<{i}@fabrikam.example>"),
            source: "edge".into(),
            key: format!("{i}"),
            deferrals: Vec::new(),
            last_event: None,
            delay_ms: None,
            dsn: String::new(),
        })
        .collect()
}

/// Run as the child: under the file-size limit, every write must fail and clean up after
/// itself. Prints one line per write that failed as it should.
#[test]
fn leftovers_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = Path::new(&dir);
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit {
            rlim_cur: LIMIT,
            rlim_max: LIMIT,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
    let big = vec![b'x'; 64 * 1024];
    let e = warroom::store::fsutil::write_atomic(&dir.join("plain.bin"), &big).unwrap_err();
    println!("write_atomic: {e}");
    let e = warroom::export::write_file(&dir.join("report.md"), std::str::from_utf8(&big).unwrap())
        .unwrap_err();
    println!("export::write_file: {e}");
    let (inc, events) = big_incident();
    let opts = ExportOptions {
        zone: warroom::domain::time::Zone::UTC,
        pinned_only: false,
        generated_at: Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap(),
    };
    let e = warroom::export::write_all(&dir.join("exports"), &inc, &events, &opts).unwrap_err();
    println!("export::write_all: {e}");
    let rows = rows(200);
    let summary = TraceSummary::from_rows(&rows, &TraceQuery::default());
    let e = warroom::tui::trace_runner::save_evidence(
        &dir.join("incident"),
        "since:1h",
        &rows,
        &summary,
        opts.generated_at,
    )
    .unwrap_err();
    println!("save_evidence: {e}");
    let e = warroom::store::fsutil::copy_atomic(&dir.join("source.bin"), &dir.join("copy.bin"))
        .unwrap_err();
    println!("copy_atomic: {e}");
}

#[test]
fn a_write_that_fails_half_way_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // Written before the limit applies, copied under it.
    std::fs::write(dir.path().join("source.bin"), vec![b'y'; 64 * 1024]).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &common::harness_name(module_path!(), "leftovers_child"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for what in [
        "write_atomic",
        "export::write_file",
        "export::write_all",
        "save_evidence",
        "copy_atomic",
    ] {
        assert!(stdout.contains(&format!("{what}: ")), "{what}: {stdout}");
    }
    assert!(stdout.contains("File too large"), "{stdout}");
    // The folders made on the way may stay; no file, whole or partial, does.
    assert_eq!(
        names(dir.path()),
        ["exports", "incident", "source.bin"],
        "{stdout}"
    );
    assert!(names(&dir.path().join("exports")).is_empty());
    assert!(names(&dir.path().join("incident/evidence")).is_empty());
}

#[test]
fn a_read_only_folder_is_refused_in_one_line_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let id = data
        .create("read-only", Severity::Sev2, "t", Utc::now(), false)
        .unwrap();
    let out_dir = dir.path().join("ro");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("old.md"), "kept").unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut c = bin();
    c.args(["--data-dir", data.root().to_str().unwrap()])
        .args(["export", "--incident", &id, "--format", "md", "-o"])
        .arg(out_dir.join("report.md"));
    // Permissions mean nothing to root: write as nobody then.
    if unsafe { libc::geteuid() } == 0 {
        c.uid(65534).gid(65534);
    }
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("report.md") && err.contains("Permission denied"),
        "{err}"
    );
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    assert_eq!(names(&out_dir), ["old.md"]);
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
    c.args(["--config", "/dev/null"])
        .env_remove("WARROOM_CONFIG");
    c
}

#[test]
fn warroom_export_on_a_full_disk_says_so_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let id = data
        .create("full disk", Severity::Sev2, "t", Utc::now(), false)
        .unwrap();
    let mut j = data.journal(&id).unwrap();
    for i in 0..100 {
        j.append(&Event::new(
            Utc::now(),
            "t",
            EventBody::EntryAdded {
                occurred_at: Utc::now(),
                kind: EntryKind::Note,
                text: format!("entry {i} with enough words to make the report big"),
                step: None,
            },
        ))
        .unwrap();
    }
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let report = out_dir.join("report.html");
    // `ulimit -f` counts blocks of 512 or 1024 bytes depending on the shell: 8 is at most 8 KiB,
    // less than the report.
    let script = format!(
        "ulimit -f 8 && trap '' XFSZ && exec {} --config /dev/null --data-dir {} export --incident {id} --format html -o {}",
        env!("CARGO_BIN_EXE_warroom"),
        data.root().display(),
        report.display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .env_remove("WARROOM_CONFIG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("report.html") && err.contains("too large"),
        "{err}"
    );
    assert!(names(&out_dir).is_empty(), "{:?}", names(&out_dir));
    // Without the limit it is written.
    let out = bin()
        .args(["--data-dir", data.root().to_str().unwrap()])
        .args(["export", "--incident", &id, "--format", "html", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names(&out_dir), ["report.html"]);
    assert!(std::fs::metadata(&report).unwrap().len() > 8 * 1024);
}
