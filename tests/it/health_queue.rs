//! Queue sources: recorded `postqueue -j` listings, stand-in commands that fail in every way a
//! real one does (hang, garbage, huge output, non-zero exit, missing), threshold crossings in the
//! timeline, `feed --once --json`, the pane's sparkline and config errors.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{ack, app, appends, empty_incident, now};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::config::Config;
use warroom::domain::event::EventBody;
use warroom::domain::health::{HealthSourceConfig, Level, SourceSnapshot};
use warroom::domain::incident::EntryKind;
use warroom::health::{PollerOptions, SourceContext, poll_source, spawn_pollers_with};
use warroom::net::{HttpClient, HttpOptions};
use warroom::tui::app::{Action, AppState, update};
use warroom::tui::keymap::Command;
use warroom::tui::ui;

fn fixture_path(name: &str) -> String {
    format!(
        "{}/tests/fixtures/postqueue/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn toml_list(argv: &[&str]) -> String {
    let items: Vec<String> = argv
        .iter()
        .map(|a| toml::Value::String(a.to_string()).to_string())
        .collect();
    format!("[{}]", items.join(", "))
}

fn queue_source(name: &str, kind: &str, argv: &[&str], extra: &str) -> HealthSourceConfig {
    common::source(&format!(
        "name = \"{name}\"\nkind = \"{kind}\"\ncommand = {}\n{extra}",
        toml_list(argv)
    ))
}

async fn poll_at(cfg: &HealthSourceConfig, at: DateTime<Utc>) -> SourceSnapshot {
    let mut ctx = SourceContext::new(HttpClient::new(HttpOptions::default()).unwrap())
        .with_clock(common::clock(at));
    poll_source(cfg, &mut ctx).await
}

/// A stand-in command: a shell script in `dir`, run as `sh <script>`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

#[tokio::test]
async fn a_recorded_postqueue_listing_is_summarised() {
    let path = fixture_path("outage.jsonl");
    let cfg = queue_source("relay1", "postfix-queue", &["cat", &path], "");
    let snap = poll_at(&cfg, common::at(14, 0)).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(snap.kind, "postfix-queue");
    let q = snap.queue.as_ref().expect("a summary");
    assert_eq!(q.total, 14);
    assert_eq!(q.waiting, 13, "hold is not waiting");
    let by: Vec<(&str, u64)> = q.by_queue.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        by,
        vec![
            ("active", 2),
            ("deferred", 10),
            ("hold", 1),
            ("incoming", 1)
        ]
    );
    // The oldest waiting message arrived 2 h 10 m 40 s before; the nine-day-old held one does
    // not count.
    assert_eq!(q.oldest_seconds, Some(7840));
    // Default thresholds: 13 messages is fine, two hours is a warning.
    assert_eq!(snap.level, Level::Degraded);
    assert_eq!(q.crossed.as_deref(), Some("oldest 2h10m ≥ warn_age 1h00m"));
    // Seven recipients deferred by Exchange Online's front ends, each from another address:
    // one reason, normalised as the trace breakdown does.
    assert_eq!(q.top_reasons[0].count, 7);
    assert!(
        q.top_reasons[0].key.starts_with(
            "4.7.500 host contoso-com.mail.protection.outlook.com[#] said: # # Server busy."
        ),
        "{:?}",
        q.top_reasons
    );
    assert_eq!(q.top_reasons[1].count, 2);
    assert_eq!(
        q.top_reasons[1].key,
        "connect to #[#]:#: Connection timed out"
    );
    assert_eq!(q.top_reasons.len(), 5);
    assert_eq!(q.top_domains[0].key, "contoso.com");
    assert_eq!(q.top_domains[0].count, 9);
    assert_eq!(q.top_domains[1].key, "fabrikam.com");
    assert_eq!(q.top_domains[1].count, 3);
    assert!(
        q.top_domains
            .iter()
            .all(|d| d.key != "contoso.com" || d.count == 9)
    );
    assert_eq!(q.skipped, 0);
}

#[tokio::test]
async fn damaged_lines_are_skipped_and_counted() {
    let path = fixture_path("damaged.jsonl");
    let cfg = queue_source("relay1", "postfix-queue", &["cat", &path], "");
    let snap = poll_at(&cfg, common::at(14, 0)).await;
    assert_eq!(snap.last_error, None);
    let q = snap.queue.unwrap();
    assert_eq!((q.total, q.skipped), (5, 2));
}

#[tokio::test]
async fn an_empty_listing_is_an_empty_queue() {
    let cfg = queue_source("relay1", "postfix-queue", &["true"], "");
    let snap = poll_at(&cfg, common::at(14, 0)).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(snap.level, Level::Operational);
    assert_eq!(snap.queue.unwrap().total, 0);
}

#[tokio::test]
async fn every_way_a_command_fails_makes_the_source_unknown_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let garbage = script(
        d,
        "garbage.sh",
        "echo 'Mail queue is empty'; printf '\\033]0;pwned\\007<html>oops</html>\\n'\n",
    );
    let failing = script(
        d,
        "failing.sh",
        "printf '\\033[31mpostqueue: fatal: Queue report unavailable - mail system is down\\033[0m\\nsecond line\\n' >&2; exit 69\n",
    );
    let huge = script(
        d,
        "huge.sh",
        "line='{\"queue_name\":\"deferred\",\"arrival_time\":1772459000,\"recipients\":[]}'\ni=0\nwhile [ $i -lt 4000 ]; do echo \"$line\"; i=$((i+1)); done\n",
    );
    let hang = script(d, "hang.sh", "sleep 30 & sleep 30\n");
    let g = garbage.to_str().unwrap();
    let f = failing.to_str().unwrap();
    let h = huge.to_str().unwrap();
    let hg = hang.to_str().unwrap();
    let cases: Vec<(HealthSourceConfig, &str)> = vec![
        (
            queue_source("q", "postfix-queue", &["sh", g], ""),
            "not a `postqueue -j` listing",
        ),
        (
            queue_source("q", "command-queue", &["sh", g], ""),
            "not a JSON array of queues",
        ),
        (
            queue_source("q", "postfix-queue", &["sh", f], ""),
            "failed (exit code 69): postqueue: fatal: Queue report unavailable - mail system is down",
        ),
        (
            queue_source("q", "postfix-queue", &["sh", h], "max_output = \"64KiB\""),
            "output over 64 KiB",
        ),
        (
            queue_source("q", "postfix-queue", &["sh", hg], "timeout = \"300ms\""),
            "did not finish within 300 ms",
        ),
        (
            queue_source(
                "q",
                "postfix-queue",
                &["warroom-no-such-postqueue", "-j"],
                "",
            ),
            "`warroom-no-such-postqueue` was not found",
        ),
    ];
    for (cfg, want) in cases {
        let started = Instant::now();
        let snap = poll_at(&cfg, common::at(14, 0)).await;
        assert!(started.elapsed() < Duration::from_secs(10));
        let err = snap.last_error.clone().unwrap_or_default();
        assert!(err.contains(want), "{want:?} not in {err:?}");
        assert!(
            !err.chars().any(|c| c.is_control()) && !err.contains("pwned"),
            "{err:?}"
        );
        assert!(!err.contains("second line"), "{err}");
        assert_eq!(snap.level, Level::Unknown, "{err}");
        assert!(snap.queue.is_none());
    }
}

#[tokio::test]
async fn a_failure_after_a_good_listing_is_unknown_too() {
    let dir = tempfile::tempdir().unwrap();
    let listing = dir.path().join("listing.jsonl");
    std::fs::copy(fixture_path("outage.jsonl"), &listing).unwrap();
    let cfg = queue_source(
        "relay1",
        "postfix-queue",
        &["cat", listing.to_str().unwrap()],
        "",
    );
    let mut ctx = SourceContext::new(HttpClient::new(HttpOptions::default()).unwrap())
        .with_clock(common::clock(common::at(14, 0)));
    let first = poll_source(&cfg, &mut ctx).await;
    assert_eq!(first.level, Level::Degraded);
    std::fs::remove_file(&listing).unwrap();
    let second = poll_source(&cfg, &mut ctx).await;
    assert_eq!(second.level, Level::Unknown);
    assert!(second.last_error.unwrap().contains("failed (exit code 1)"));
    assert_eq!(second.last_success, first.last_success);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_command_never_holds_up_another_source() {
    let dir = tempfile::tempdir().unwrap();
    let hang = script(dir.path(), "hang.sh", "sleep 30\n");
    let path = fixture_path("outage.jsonl");
    let sources = vec![
        queue_source(
            "stuck",
            "postfix-queue",
            &["sh", hang.to_str().unwrap()],
            "timeout = \"2s\"",
        ),
        queue_source("relay1", "postfix-queue", &["cat", &path], ""),
    ];
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let started = Instant::now();
    let _pollers = spawn_pollers_with(
        sources,
        tx,
        PollerOptions::default(),
        common::clock(common::at(14, 0)),
    );
    let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.source, "relay1");
    assert!(first.snapshot.queue.is_some());
    let second = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.source, "stuck");
    assert_eq!(second.snapshot.level, Level::Unknown);
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A `postqueue -j` listing of `n` deferred messages, the oldest `age` seconds old at `at`.
fn listing(n: usize, age: i64, at: DateTime<Utc>) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"queue_name\":\"deferred\",\"queue_id\":\"4Q{i:08}\",\"arrival_time\":{},\"message_size\":1000,\"sender\":\"a@fabrikam.com\",\"recipients\":[{{\"address\":\"u{i}@contoso.com\",\"delay_reason\":\"connect to mx{i}.contoso.com[192.0.2.{}]:25: Connection timed out\"}}]}}\n",
                at.timestamp() - age + i as i64,
                i % 250
            )
        })
        .collect()
}

fn queue_snapshot(cfg: &HealthSourceConfig, text: &str, at: DateTime<Utc>) -> SourceSnapshot {
    let q = cfg.kind.queue().unwrap();
    let (level, summary) = warroom::health::queue::summarise(text, true, q, at).unwrap();
    SourceSnapshot {
        name: cfg.name.clone(),
        kind: cfg.kind.name().into(),
        level,
        items: vec![],
        last_success: Some(at),
        last_error: None,
        polled_at: at,
        queue: Some(summary),
    }
}

fn health_texts(a: &AppState) -> Vec<String> {
    a.incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Health)
        .map(|e| e.text.clone())
        .collect()
}

#[test]
fn each_threshold_crossing_is_one_timeline_entry() {
    let cfg = queue_source(
        "relay1",
        "postfix-queue",
        &["postqueue", "-j"],
        "warn_count = 5\nalert_count = 20\nwarn_age = \"30m\"\nalert_age = \"2h\"",
    );
    let mut a = app(empty_incident());
    a.health_sources = vec![cfg.clone()];
    let t = |m: i64| now() + chrono::Duration::minutes(m);
    let steps: Vec<(usize, i64)> = vec![
        (2, 60),    // fine
        (3, 120),   // fine, different numbers: nothing
        (6, 300),   // warn (count)
        (9, 600),   // still warn, more mail: nothing
        (12, 900),  // still warn
        (25, 1200), // alert (count)
        (30, 1500), // still alert
        (3, 2400),  // warn (age: 40 min)
        (0, 0),     // empty: fine again
    ];
    let mut per_step = Vec::new();
    for (n, (count, age)) in steps.iter().enumerate() {
        let at = t(n as i64);
        let fx = update(
            &mut a,
            Action::HealthPolled(Box::new(queue_snapshot(
                &cfg,
                &listing(*count, *age, at),
                at,
            ))),
        );
        let changed = appends(&fx)
            .iter()
            .filter(|e| matches!(e.body, EventBody::HealthChanged { .. }))
            .count();
        per_step.push(changed);
        ack(&mut a, fx);
    }
    assert_eq!(per_step, vec![0, 0, 1, 0, 0, 1, 0, 1, 1]);
    let texts = health_texts(&a);
    assert_eq!(texts.len(), 4, "{texts:#?}");
    assert_eq!(
        texts[0],
        "relay1: overall operational → degraded: 6 waiting ≥ warn_count 5; 6 queued (deferred 6) · oldest 5m"
    );
    assert!(
        texts[1]
            .starts_with("relay1: overall degraded → partial_outage: 25 waiting ≥ alert_count 20;"),
        "{texts:#?}"
    );
    assert!(
        texts[2]
            .starts_with("relay1: overall partial_outage → degraded: oldest 40m ≥ warn_age 30m;"),
        "{texts:#?}"
    );
    assert_eq!(texts[3], "relay1: overall degraded → operational: 0 queued");

    // A restart on the same journal: the same listing again adds nothing.
    let mut b = app(a.incident.clone());
    b.health_sources = vec![cfg.clone()];
    let at = t(20);
    let fx = update(
        &mut b,
        Action::HealthPolled(Box::new(queue_snapshot(&cfg, &listing(0, 0, at), at))),
    );
    assert!(appends(&fx).is_empty(), "{fx:?}");

    // A failed listing adds nothing, and the sparkline gets a gap.
    let failed = SourceSnapshot::failed(
        "relay1",
        "postfix-queue",
        None,
        "`postqueue -j` failed (exit code 69): postqueue: fatal: Queue report unavailable".into(),
        t(21),
    );
    let fx = update(&mut a, Action::HealthPolled(Box::new(failed)));
    assert!(appends(&fx).is_empty());
    let history = a.queue_history["relay1"].shape(100);
    assert_eq!(history.len(), 10);
    assert_eq!(&history[7..], &[Some(3), Some(0), None]);
}

fn frame(a: &mut AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 30)).unwrap();
    term.draw(|f| ui::render(f, a)).unwrap();
    term.backend().to_string()
}

#[test]
fn pane_snapshot_with_a_growing_queue_and_its_sparkline() {
    let cfg = queue_source(
        "relay1",
        "postfix-queue",
        &["ssh", "relay1", "postqueue", "-j"],
        "warn_count = 40\nalert_count = 120",
    );
    let exch = queue_source(
        "exch",
        "command-queue",
        &["pwsh", "-File", "queues.ps1"],
        "",
    );
    let mx = common::source("name = \"mx\"\nkind = \"smtp\"\nhost = \"127.0.0.1\"");
    let mut a = app(empty_incident());
    a.health_sources = vec![cfg.clone(), exch.clone(), mx];
    let depths = [0usize, 2, 4, 9, 15, 22, 31, 45, 60, 78, 95, 130];
    for (n, d) in depths.iter().enumerate() {
        let at = now() - chrono::Duration::seconds(((depths.len() - n) * 30) as i64);
        let fx = update(
            &mut a,
            Action::HealthPolled(Box::new(queue_snapshot(&cfg, &listing(*d, 900, at), at))),
        );
        ack(&mut a, fx);
        if n == 8 {
            let fx = update(
                &mut a,
                Action::HealthPolled(Box::new(SourceSnapshot::failed(
                    "relay1",
                    "postfix-queue",
                    None,
                    "ssh: connect to host relay1 port 22: Connection timed out".into(),
                    at,
                ))),
            );
            ack(&mut a, fx);
        }
    }
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(SourceSnapshot::failed(
            "exch",
            "command-queue",
            None,
            "`pwsh -File queues.ps1` failed (exit code 1): Get-Queue : The term 'Get-Queue' is not recognized".into(),
            now(),
        ))),
    );
    ack(&mut a, fx);
    update(&mut a, Action::Command(Command::FocusHealth));
    update(&mut a, Action::Command(Command::Zoom));
    let screen = frame(&mut a);
    assert!(screen.contains("130 queued (deferred 130)"), "{screen}");
    insta::assert_snapshot!(screen);
}

fn run_feed(config: &Path, json: bool) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            config.parent().unwrap().to_str().unwrap(),
            "feed",
            "--once",
        ])
        .args(if json { &["--json"][..] } else { &[] })
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn feed_once_json_includes_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let exchange = r#"[{"queue":"Submission","count":3,"oldest_seconds":40,"reason":null},{"queue":"deferred","count":412,"oldest_seconds":5400,"reason":"451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761)","domain":"contoso.com"}]"#;
    std::fs::write(
        &cfg,
        format!(
            "[[health.sources]]\nname = \"relay1\"\nkind = \"postfix-queue\"\ncommand = {}\n\n[[health.sources]]\nname = \"exch\"\nkind = \"command-queue\"\ncommand = {}\n",
            toml_list(&["cat", &fixture_path("outage.jsonl")]),
            toml_list(&["printf", "%s", exchange]),
        ),
    )
    .unwrap();
    let (ok, out, err) = run_feed(&cfg, false);
    assert!(ok, "{err}");
    assert!(
        out.contains("relay1\tpostfix-queue\tpartial_outage\tok\n  queue\toldest "),
        "{out}"
    );
    assert!(
        out.contains("14 queued (deferred 10, active 2, hold 1, incoming 1)"),
        "{out}"
    );
    let (ok, out, err) = run_feed(&cfg, true);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let relay = &v["sources"][0];
    assert_eq!(relay["kind"], "postfix-queue");
    assert_eq!(relay["ok"], true);
    let q = &relay["queue"];
    assert_eq!(q["total"], 14);
    assert_eq!(q["waiting"], 13);
    assert_eq!(
        q["by_queue"],
        serde_json::json!({"active": 2, "deferred": 10, "hold": 1, "incoming": 1})
    );
    assert!(q["oldest_seconds"].as_u64().unwrap() > 7840);
    assert_eq!(q["top_reasons"][0]["count"], 7);
    assert!(
        q["top_reasons"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("4.7.500 ")
    );
    assert_eq!(
        q["top_domains"][0],
        serde_json::json!({"domain": "contoso.com", "count": 9})
    );
    assert_eq!(q["skipped_lines"], 0);
    // The recorded listing is months old by now: past the alert age.
    assert_eq!(relay["level"], "partial_outage");
    assert!(q["threshold"].as_str().unwrap().contains("alert_age"));

    let exch = &v["sources"][1];
    assert_eq!(exch["kind"], "command-queue");
    assert_eq!(exch["queue"]["total"], 415);
    assert_eq!(exch["queue"]["by_queue"]["submission"], 3);
    assert_eq!(exch["queue"]["oldest_seconds"], 5400);
    assert_eq!(exch["level"], "degraded");

    // A source that cannot list: `queue` is null, the error says why, the exit status is not 0.
    std::fs::write(
        &cfg,
        "[[health.sources]]\nname = \"relay2\"\nkind = \"postfix-queue\"\ncommand = [\"warroom-no-such-postqueue\", \"-j\"]\n",
    )
    .unwrap();
    let (ok, out, err) = run_feed(&cfg, true);
    assert!(!ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["sources"][0]["queue"].is_null());
    assert_eq!(v["sources"][0]["level"], "unknown");
    assert!(err.contains("was not found"), "{err}");
}

#[test]
fn bad_queue_settings_are_config_errors_that_say_what_to_do() {
    let cases = [
        (
            "kind = \"postfix-queue\"\nwarn_count = 5000\nalert_count = 100",
            "`warn_count` (5000) is above `alert_count` (100)",
        ),
        (
            "kind = \"postfix-queue\"\nwarn_age = \"6h\"",
            "`warn_age` (6h00m) is longer than `alert_age` (4h00m)",
        ),
        ("kind = \"postfix-queue\"\nwarn_count = -3", "warn_count"),
        ("kind = \"postfix-queue\"\nwarn_age = \"soon\"", "warn_age"),
        (
            "kind = \"postfix-queue\"\ncommand = []",
            "`command` is empty",
        ),
        ("kind = \"command-queue\"", "`command` is missing"),
        (
            "kind = \"postfix-queue\"\nmax_body = \"1MiB\"",
            "`max_output`",
        ),
        (
            "kind = \"postfix-queue\"\nmax_output = 0",
            "`max_output` must be more than zero",
        ),
        (
            "kind = \"postfix-queue\"\nurl = \"http://x\"",
            "`url` does not apply",
        ),
        (
            "kind = \"smtp\"\nhost = \"h\"\nwarn_count = 3",
            "`warn_count` does not apply",
        ),
    ];
    for (body, want) in cases {
        let text = format!("[[health.sources]]\nname = \"relay1\"\n{body}\n");
        let err = Config::parse(&text, Path::new("c.toml"))
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:"), "{err}");
        assert!(err.contains(want), "{want:?} not in {err:?}");
    }
    // The defaults: `postqueue -j`, 20 s, 16 MiB, 200/2000 messages, 1 h/4 h.
    let cfg = Config::parse(
        "[[health.sources]]\nname = \"relay1\"\nkind = \"postfix-queue\"\n",
        Path::new("c.toml"),
    )
    .unwrap();
    let src = &cfg.health.sources[0];
    assert_eq!(src.timeout, Duration::from_secs(20));
    let q = src.kind.queue().unwrap();
    assert_eq!(q.command, vec!["postqueue", "-j"]);
    assert_eq!(q.max_output, 16 * 1024 * 1024);
    assert_eq!(
        (q.thresholds.warn_count, q.thresholds.alert_count),
        (200, 2000)
    );
    assert_eq!(q.thresholds.warn_age, Duration::from_secs(3600));
    assert_eq!(q.thresholds.alert_age, Duration::from_secs(4 * 3600));
}
