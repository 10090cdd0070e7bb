//! Publishing to Statuspage against a loopback server that follows the documented API: the
//! first send creates the incident, later ones (also from another process) update the same one;
//! one request per second per key; 420/429 retried after the given delay; the key never shows.

use crate::common;

use std::time::Duration;

use common::{STATUSPAGE_KEY, statuspage_server, updates_config};
use serde_json::json;
use warroom::domain::incident::{Severity, Status};
use warroom::domain::updates::ComponentStatus;
use warroom::net::{HttpClient, HttpOptions};
use warroom::updates::{Outgoing, send_all};

fn channel_toml(base: &str, key_file: &std::path::Path) -> String {
    format!(
        r#"
[[channels]]
name = "status"
kind = "statuspage"
audience = "external"
page_id = "pg1"
api_key_file = "{}"
base_url = "{base}/v1"
components = {{ "Email" = "cmpemail", "Web mail" = "cmpweb" }}
"#,
        key_file.display()
    )
}

fn key_file(dir: &std::path::Path, key: &str) -> std::path::PathBuf {
    let p = dir.join("statuspage-key");
    std::fs::write(&p, format!("{key}\n")).unwrap();
    p
}

fn http() -> HttpClient {
    HttpClient::new(HttpOptions::default()).unwrap()
}

fn message() -> Outgoing {
    let mut m = Outgoing::example();
    m.severity = Severity::Sev1;
    m.status = Status::Investigating;
    m.title = "Email delivery delayed".into();
    m.text = "We are investigating delayed email.\nNext update by 14:33 UTC.".into();
    m
}

#[tokio::test]
async fn the_first_send_creates_and_the_next_patches_the_same_incident_once_a_second() {
    let (server, sp) = statuspage_server().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = updates_config(&channel_toml(
        &server.base,
        &key_file(dir.path(), STATUSPAGE_KEY),
    ));
    let mut m = message();
    m.components.insert(
        "status".into(),
        [("Web mail".to_string(), ComponentStatus::DegradedPerformance)].into(),
    );
    let first = send_all(&http(), &cfg.channels, &m).await;
    assert_eq!(first.ok, ["status"], "{:?}", first.failed);
    let p = &first.published[0];
    assert_eq!(
        (
            p.channel.as_str(),
            p.page_id.as_str(),
            p.incident_id.as_str(),
            p.status.as_str()
        ),
        ("status", "pg1", "sp0001", "investigating")
    );
    // The next send (as recorded in the journal) continues it.
    let mut m2 = message();
    m2.status = Status::Mitigated;
    m2.text = "A fix is rolling out.".into();
    m2.statuspage.insert("pg1".into(), "sp0001".into());
    let second = send_all(&http(), &cfg.channels, &m2).await;
    assert_eq!(second.ok, ["status"], "{:?}", second.failed);
    assert_eq!(second.published[0].incident_id, "sp0001");
    assert_eq!(second.published[0].status, "monitoring");

    let reqs = sp.lock().unwrap().requests.clone();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("POST", "/v1/pages/pg1/incidents")
    );
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("PATCH", "/v1/pages/pg1/incidents/sp0001")
    );
    for r in &reqs {
        assert_eq!(r.authorization, format!("OAuth {STATUSPAGE_KEY}"));
    }
    assert_eq!(
        reqs[0].body,
        json!({"incident": {
            "name": "Email delivery delayed",
            "impact_override": "critical",
            "status": "investigating",
            "body": "We are investigating delayed email.\nNext update by 14:33 UTC.",
            "component_ids": ["cmpemail", "cmpweb"],
            "components": {"cmpemail": "major_outage", "cmpweb": "degraded_performance"}
        }})
    );
    assert_eq!(
        reqs[1].body,
        json!({"incident": {
            "status": "monitoring",
            "body": "A fix is rolling out.",
            "component_ids": ["cmpemail", "cmpweb"],
            "components": {"cmpemail": "major_outage", "cmpweb": "major_outage"}
        }})
    );
    // One request per second per key.
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_millis(950), "{gap:?}");
}

#[tokio::test]
async fn throttled_answers_420_and_429_are_retried_after_the_given_delay() {
    let (server, sp) = statuspage_server().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = updates_config(&channel_toml(
        &server.base,
        &key_file(dir.path(), STATUSPAGE_KEY),
    ));
    sp.lock().unwrap().script.extend([
        (420, Some("1".to_string()), "Enhance your calm".to_string()),
        (
            429,
            Some("2".to_string()),
            "Rate limit exceeded".to_string(),
        ),
    ]);
    let report = send_all(&http(), &cfg.channels, &message()).await;
    assert_eq!(report.ok, ["status"], "{:?}", report.failed);
    let reqs = sp.lock().unwrap().requests.clone();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.method == "POST"));
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(950));
    assert!(reqs[2].at - reqs[1].at >= Duration::from_millis(1950));
    assert_eq!(report.published[0].incident_id, "sp0001");
}

#[tokio::test]
async fn errors_never_echo_the_key() {
    let (server, sp) = statuspage_server().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = updates_config(&channel_toml(
        &server.base,
        &key_file(dir.path(), STATUSPAGE_KEY),
    ));
    sp.lock().unwrap().script.push_back((
        401,
        None,
        format!("{{\"error\":\"invalid key {STATUSPAGE_KEY}\"}}"),
    ));
    let report = send_all(&http(), &cfg.channels, &message()).await;
    let e = &report.failed[0].error;
    assert!(e.starts_with("HTTP 401"), "{e}");
    assert!(e.contains("was refused: check it is current"), "{e}");
    assert!(!e.contains(STATUSPAGE_KEY), "{e}");
    // A key nobody can read says where it looked.
    let cfg = updates_config(&channel_toml(&server.base, &dir.path().join("no-such-key")));
    let report = send_all(&http(), &cfg.channels, &message()).await;
    let e = &report.failed[0].error;
    assert!(e.starts_with("cannot read the API key from "), "{e}");
}

fn cli(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "--config",
            dir.join("config.toml").to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ])
        .args(args)
        .env_remove("WARROOM_CONFIG")
        .env_remove("WARROOM_DATA_DIR")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warroom_update_continues_the_journaled_incident_and_close_resolves_it() {
    let (server, sp) = statuspage_server().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let key = key_file(&d, STATUSPAGE_KEY);
    let channels = channel_toml(&server.base, &key).replace("[[channels]]", "[[updates.channels]]");
    std::fs::write(d.join("config.toml"), channels).unwrap();
    let run = move |args: Vec<&'static str>| {
        let d = d.clone();
        tokio::task::spawn_blocking(move || cli(&d, &args))
    };
    let (ok, out, err) = run(vec!["new", "--title", "Mail delayed", "--severity", "2"])
        .await
        .unwrap();
    assert!(ok, "{err}");
    let id = out.trim().to_string();

    // External without --yes and without a terminal: refused, nothing sent.
    let (ok, out, err) = run(vec!["update", "--template", "external", "--send", "status"])
        .await
        .unwrap();
    assert!(!ok);
    assert!(out.contains("Email service update"), "{out}");
    assert!(
        err.contains("goes to external channel(s) status") && err.contains("--yes"),
        "{err}"
    );
    assert!(sp.lock().unwrap().requests.is_empty());

    // A dry run shows the exact request, the key masked.
    let (ok, out, err) = run(vec![
        "update",
        "--template",
        "external",
        "--send",
        "status",
        "--dry-run",
        "--component",
        "Email=major_outage",
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("--- status (statuspage, external) ---"),
        "{out}"
    );
    assert!(
        out.contains(&format!("POST {}/v1/pages/pg1/incidents", server.base)),
        "{out}"
    );
    assert!(out.contains("Authorization: OAuth *** (from "), "{out}");
    assert!(out.contains("\"cmpemail\": \"major_outage\""), "{out}");
    assert!(out.contains("\"cmpweb\": \"partial_outage\""), "{out}");
    assert!(!out.contains(STATUSPAGE_KEY), "{out}");
    assert!(sp.lock().unwrap().requests.is_empty());

    // Two sends from two processes: one Statuspage incident.
    for _ in 0..2 {
        let (ok, _, err) = run(vec![
            "update",
            "--template",
            "external",
            "--send",
            "status",
            "--yes",
        ])
        .await
        .unwrap();
        assert!(ok, "{err}");
        assert!(
            err.contains("sent to status (Statuspage incident sp0001 on page pg1"),
            "{err}"
        );
    }
    // The dry run now shows the PATCH.
    let (_, out, _) = run(vec!["update", "--send", "status", "--dry-run"])
        .await
        .unwrap();
    assert!(
        out.contains(&format!(
            "PATCH {}/v1/pages/pg1/incidents/sp0001",
            server.base
        )),
        "{out}"
    );

    // Closing resolves it: the summary as the last update, components operational.
    let (ok, out, err) = run(vec![
        "close",
        "--summary",
        "A bad transport rule was reverted.",
        "--override",
        "drill",
        "--resolve-statuspage",
    ])
    .await
    .unwrap();
    assert!(ok, "{err}");
    assert!(
        out.contains("Statuspage incident sp0001 on status resolved"),
        "{out}"
    );
    let reqs = sp.lock().unwrap().requests.clone();
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["POST", "PATCH", "PATCH"]);
    assert_eq!(
        reqs[2].body,
        json!({"incident": {
            "status": "resolved",
            "body": "Resolved: A bad transport rule was reverted.",
            "component_ids": ["cmpemail", "cmpweb"],
            "components": {"cmpemail": "operational", "cmpweb": "operational"}
        }})
    );
    let journal =
        std::fs::read_to_string(dir.path().join("incidents").join(&id).join("journal.jsonl"))
            .unwrap();
    assert_eq!(
        journal.matches("\"incident_id\":\"sp0001\"").count(),
        3,
        "{journal}"
    );
    assert!(!journal.contains(STATUSPAGE_KEY));
    // The timeline says where each went.
    let id: &'static str = Box::leak(id.into_boxed_str());
    let (_, out, _) = run(vec!["timeline", "--incident", id, "--json"])
        .await
        .unwrap();
    assert!(
        out.contains("status: Statuspage incident sp0001 (resolved)"),
        "{out}"
    );
}
