//! `warroom feed` against a loopback Statuspage server and a dead port.

use crate::common;

use axum::Router;
use axum::routing::get;

fn run(config: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            config.parent().unwrap().to_str().unwrap(),
            "feed",
        ])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_once_json_and_failures() {
    let body = common::fixture("statuspage/summary-major.json");
    let server = common::start(Router::new().route(
        "/api/v2/summary.json",
        get(move || async move { body.clone() }),
    ))
    .await;
    // A port nothing listens on: bind, note it, close it.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[health.sources]]\nname = \"provider\"\nkind = \"statuspage\"\nurl = \"{}\"\ntimeout = \"5s\"\n",
            server.base
        ),
    )
    .unwrap();
    let cfg2 = cfg.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || run(&cfg2, &["--once", "--json"]))
        .await
        .unwrap();
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let src = &v["sources"][0];
    assert_eq!(src["name"], "provider");
    assert_eq!(src["kind"], "statuspage");
    assert_eq!(src["ok"], true);
    assert!(src["error"].is_null());
    assert_ne!(src["level"], "operational");
    let items = src["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for key in [
        "id", "title", "service", "level", "status", "started", "updated", "resolved", "updates",
    ] {
        assert!(items[0].get(key).is_some(), "item key {key}");
    }

    // Add a source whose server refuses connections: exit non-zero, the failure named.
    std::fs::write(
        &cfg,
        format!(
            "[[health.sources]]\nname = \"provider\"\nkind = \"statuspage\"\nurl = \"{}\"\n\n[[health.sources]]\nname = \"down\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:{dead_port}\"\ntimeout = \"2s\"\n",
            server.base
        ),
    )
    .unwrap();
    let cfg2 = cfg.clone();
    let (ok, out, err) = tokio::task::spawn_blocking(move || run(&cfg2, &["--once"]))
        .await
        .unwrap();
    assert!(!ok);
    assert!(out.contains("provider\tstatuspage"), "{out}");
    assert!(err.contains("1 source(s) failed: down:"), "{err}");

    // No sources: a clear error.
    std::fs::write(&cfg, "").unwrap();
    let (ok, _, err) = run(&cfg, &["--once"]);
    assert!(!ok && err.contains("[[health.sources]]"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_once_is_bounded_by_twice_the_timeout_against_long_retry_after() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::{StatusCode, header};

    let hits = Arc::new(AtomicUsize::new(0));
    let (h1, h2) = (hits.clone(), hits.clone());
    let server = common::start(
        Router::new()
            .route(
                "/api/v2/summary.json",
                get(move || {
                    h1.fetch_add(1, Ordering::SeqCst);
                    async {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [(header::RETRY_AFTER, "3600")],
                            "",
                        )
                    }
                }),
            )
            .route(
                "/rss.xml",
                get(move || {
                    h2.fetch_add(1, Ordering::SeqCst);
                    async {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(header::RETRY_AFTER, "20")],
                            "",
                        )
                    }
                }),
            ),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[health.sources]]\nname = \"provider\"\nkind = \"statuspage\"\nurl = \"{b}\"\ntimeout = \"2s\"\n\n[[health.sources]]\nname = \"rss\"\nkind = \"feed\"\nurl = \"{b}/rss.xml\"\ntimeout = \"2s\"\n",
            b = server.base
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (ok, out, err) = tokio::task::block_in_place(|| run(&cfg, &["--once"]));
    let took = started.elapsed();
    // Twice the 2 s timeout, whatever the servers ask for.
    assert!(took < std::time::Duration::from_secs(4), "took {took:?}");
    assert!(!ok);
    assert_eq!(hits.load(Ordering::SeqCst), 2, "a retry was attempted");
    let provider = out.lines().find(|l| l.starts_with("provider\t")).unwrap();
    assert!(
        provider.contains("\tthrottled: retry after 3600 s ("),
        "{out}"
    );
    let rss = out.lines().find(|l| l.starts_with("rss\t")).unwrap();
    assert!(rss.contains("\tthrottled: retry after 20 s ("), "{out}");
    assert!(err.contains("2 source(s) failed"), "{err}");
}

/// The lines `warroom feed` prints for its first poll (it polls on; the lines of one poll come
/// together, so a quiet second after the first line ends the reading).
fn first_poll_lines(config: &std::path::Path, args: &[&str]) -> Vec<String> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            config.parent().unwrap().to_str().unwrap(),
            "feed",
        ])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = vec![
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("a first line"),
    ];
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(1)) {
        lines.push(line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_feed_prints_one_line_an_item_as_the_timeline_does() {
    use common::graph::{SECRET, default_docs, secret_file, start_graph};
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[[health.sources]]
name = "m365"
kind = "graph"
tenant = "contoso.onmicrosoft.com"
client_id = "535fb089-9ff3-47b6-9bfb-4f1264799865"
client_secret_file = "{}"
base_url = "{base}"
token_url = "{base}"
services = ["Exchange Online"]
timeout = "5s"
interval = "1h"
"#,
            secret.path.display(),
            base = g.server.base
        ),
    )
    .unwrap();
    let cfg2 = cfg.clone();
    let (json, text) = tokio::task::spawn_blocking(move || {
        (
            first_poll_lines(&cfg2, &["--json"]),
            first_poll_lines(&cfg2, &[]),
        )
    })
    .await
    .unwrap();
    // JSON: one object a change, as the journal keeps them.
    let changes: Vec<serde_json::Value> = json
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut items: Vec<String> = changes
        .iter()
        .filter_map(|c| c["item_id"].as_str().map(str::to_string))
        .collect();
    items.sort();
    items.dedup();
    let source_level = changes.iter().filter(|c| c["item_id"].is_null()).count();
    assert!(!items.is_empty(), "{json:?}");
    // Text: one line an item (and one for the source's level), continuation lines indented.
    let entries: Vec<&String> = text.iter().filter(|l| l.starts_with("20")).collect();
    assert_eq!(entries.len(), items.len() + source_level, "{text:#?}");
    for id in &items {
        assert_eq!(
            entries.iter().filter(|l| l.contains(id.as_str())).count(),
            1,
            "{id} in {text:#?}"
        );
    }
    // Worded as the timeline words it (`m365 EX1234567 new: degraded, …`).
    assert!(
        entries
            .iter()
            .any(|l| l.contains("m365 EX1234567 new: degraded, ")),
        "{text:#?}"
    );
    for l in text.iter().filter(|l| !l.starts_with("20")) {
        assert!(l.starts_with("                      "), "{l:?}");
    }
}
