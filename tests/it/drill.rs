//! The built-in drill scenario, played fast on loopback against the real health pollers and the
//! real trace scan (no console): changes must arrive in the scenario's order.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use warroom::config::Config;
use warroom::domain::health::{Level, SourceSnapshot};
use warroom::domain::trace::TraceQuery;
use warroom::drill::{self, Scenario};
use warroom::health::{SourceContext, poll_source};
use warroom::net::{HttpClient, HttpOptions};
use warroom::trace::{ScanSource, collect_query};

fn dedup_push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if v.last() != Some(&x) {
        v.push(x);
    }
}

fn position(seq: &[String], what: &str) -> usize {
    seq.iter()
        .position(|s| s.eq_ignore_ascii_case(what))
        .unwrap_or_else(|| panic!("{what} never seen; saw {seq:?}"))
}

#[test]
fn builtin_scenario_plays_in_order_through_the_real_pollers_and_scan() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // 10 drill minutes in 5 seconds.
    let speed = 120.0;
    let scenario = Scenario::load(drill::DEFAULT_SCENARIO).unwrap();
    let total = scenario.duration;
    let d = rt
        .block_on(drill::start(scenario, speed, dir.path()))
        .unwrap();
    let cfg = Config::parse(
        &d.config_toml(Duration::from_millis(250)),
        Path::new("drill"),
    )
    .unwrap();
    assert!(d.http_base.starts_with("http://127.0.0.1:"));
    let http = HttpClient::new(HttpOptions::default()).unwrap();
    let mut ctxs: Vec<SourceContext> = cfg
        .health
        .sources
        .iter()
        .map(|_| SourceContext::new(http.clone()))
        .collect();
    let trace_sources: Vec<ScanSource> = cfg
        .trace
        .sources
        .iter()
        .map(|c| ScanSource::from_config(c).unwrap())
        .collect();
    let cancel = AtomicBool::new(false);

    let mut issue_status: Vec<String> = Vec::new();
    let mut smtp_levels: Vec<Level> = Vec::new();
    let mut page_levels: Vec<Level> = Vec::new();
    let mut queue_levels: Vec<Level> = Vec::new();
    let mut feed_status: Vec<String> = Vec::new();
    // (drill seconds, deferrals logged in the last 60 drill seconds, quarantined rows)
    let mut trace_samples: Vec<(u64, usize, usize)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = d.shared.clock.elapsed();
        let snaps: Vec<SourceSnapshot> = rt.block_on(async {
            let mut out = Vec::new();
            for (cfg, ctx) in cfg.health.sources.iter().zip(ctxs.iter_mut()) {
                out.push(poll_source(cfg, ctx).await);
            }
            out
        });
        for s in &snaps {
            assert!(s.last_error.is_none(), "{}: {:?}", s.name, s.last_error);
            match s.name.as_str() {
                "m365" => {
                    if let Some(i) = s.items.iter().find(|i| i.id == "EX1094411") {
                        dedup_push(&mut issue_status, i.status.clone());
                    }
                }
                "mx" => dedup_push(&mut smtp_levels, s.level),
                "relay" => dedup_push(&mut page_levels, s.level),
                "relay-queue" => dedup_push(&mut queue_levels, s.level),
                "status-rss" => {
                    if let Some(i) = s.items.first() {
                        dedup_push(&mut feed_status, i.status.clone());
                    }
                }
                _ => {}
            }
        }
        let (rows, summary, warnings) =
            collect_query(&trace_sources, &TraceQuery::default(), &cancel).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let now = d.shared.clock.stamp(t);
        let recent = rows
            .iter()
            .flat_map(|r| r.deferrals.iter())
            .filter(|at| **at <= now && now - **at <= chrono::Duration::seconds(60))
            .count();
        let quarantined = summary
            .by_status
            .get(&warroom::domain::trace::TraceStatus::Quarantined)
            .copied()
            .unwrap_or(0);
        trace_samples.push((t.as_secs(), recent, quarantined));
        if t > total + Duration::from_secs(30) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the drill did not finish in time"
        );
        std::thread::sleep(Duration::from_millis(40));
    }

    // Graph: investigating → serviceDegradation → restoringService → serviceRestored → PIR.
    let order = [
        "investigating",
        "serviceDegradation",
        "restoringService",
        "serviceRestored",
        "postIncidentReviewPublished",
    ];
    let pos: Vec<usize> = order.iter().map(|s| position(&issue_status, s)).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{issue_status:?}");
    // SMTP: healthy, degraded by 451s, healthy again.
    let first_bad = smtp_levels.iter().position(|l| *l == Level::Degraded);
    assert_eq!(
        smtp_levels.first(),
        Some(&Level::Operational),
        "{smtp_levels:?}"
    );
    assert!(first_bad.is_some(), "{smtp_levels:?}");
    assert_eq!(
        smtp_levels.last(),
        Some(&Level::Operational),
        "{smtp_levels:?}"
    );
    // Statuspage: worse, then back to operational.
    assert!(
        page_levels.iter().any(|l| l.is_problem()),
        "{page_levels:?}"
    );
    assert_eq!(
        page_levels.last(),
        Some(&Level::Operational),
        "{page_levels:?}"
    );
    // The relay's queue: grows past the warning, then the alert, and drains back to normal.
    assert_eq!(
        queue_levels,
        vec![
            Level::Operational,
            Level::Degraded,
            Level::PartialOutage,
            Level::Degraded,
            Level::Operational
        ],
        "{queue_levels:?}"
    );
    // RSS: an open item, later resolved.
    assert!(position(&feed_status, "open") < position(&feed_status, "resolved"));

    // Trace: deferrals rise (after the 40 s step) and fall (after the 6 m restoration).
    let early: Vec<usize> = trace_samples
        .iter()
        .filter(|s| s.0 < 30)
        .map(|s| s.1)
        .collect();
    let peak = trace_samples
        .iter()
        .filter(|s| (120..270).contains(&s.0))
        .map(|s| s.1)
        .max()
        .unwrap_or(0);
    let late = trace_samples
        .iter()
        .filter(|s| s.0 > 8 * 60 + 30)
        .map(|s| s.1)
        .max()
        .unwrap_or(usize::MAX);
    let early_max = early.iter().copied().max().unwrap_or(0);
    assert!(
        peak > 10 && peak > 3 * early_max.max(1),
        "samples: {trace_samples:?}"
    );
    assert!(
        late < peak / 5,
        "late {late}, peak {peak}: {trace_samples:?}"
    );
    // Quarantined mail appears only once the scenario starts quarantining (2 m).
    assert!(
        trace_samples.iter().filter(|s| s.0 < 110).all(|s| s.2 == 0),
        "{trace_samples:?}"
    );
    assert!(trace_samples.last().unwrap().2 > 0);
    rt.shutdown_background();
}

#[test]
fn a_malformed_scenario_file_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "name = \"bad\"\nduration = \"5m\"\n\n[[steps]]\nat = \"1m\"\naction = \"mail_flow\"\ndeferral = \"lots\"\n",
    )
    .unwrap();
    let e = Scenario::load(file.to_str().unwrap())
        .unwrap_err()
        .to_string();
    let want = format!("{}:7: field `steps[0].deferral`", file.display());
    assert!(e.starts_with(&want), "{e}");
    // And through the binary.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--config", "/dev/null", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["demo", "--scenario"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&want), "{err}");
    // Nothing was created for a scenario that does not load.
    assert!(!dir.path().join("data").join("drills").exists());
}
