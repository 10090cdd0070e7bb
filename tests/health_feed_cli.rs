//! `warroom feed` against a loopback Statuspage server and a dead port.

mod common;

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
