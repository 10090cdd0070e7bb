//! The background pollers: independence of sources, poll_now, Retry-After, stopping; and the
//! `warroom feed --json` document.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use tokio::sync::mpsc;
use warroom::domain::health::{HealthItem, ItemUpdate, Level, SourceSnapshot};
use warroom::health::{PollResult, PollerOptions, feed_json, spawn_pollers, spawn_pollers_with};
use warroom::net::HttpOptions;

async fn statuspage_server() -> common::Server {
    common::start(
        Router::new()
            .route(
                "/ok/api/v2/summary.json",
                get(|| async { common::fixture("statuspage/summary-ok.json") }),
            )
            .route(
                "/slow/api/v2/summary.json",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "never"
                }),
            )
            .route(
                "/busy/api/v2/summary.json",
                get(|| async {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::RETRY_AFTER, "0.4")],
                        "busy",
                    )
                        .into_response()
                }),
            ),
    )
    .await
}

fn statuspage(
    name: &str,
    base: &str,
    path: &str,
    interval: &str,
) -> warroom::domain::health::HealthSourceConfig {
    common::source(&format!(
        "name = \"{name}\"\nkind = \"statuspage\"\nurl = \"{base}/{path}\"\ninterval = \"{interval}\"\ntimeout = \"5s\""
    ))
}

async fn next(rx: &mut mpsc::Receiver<PollResult>, within: Duration) -> Option<PollResult> {
    tokio::time::timeout(within, rx.recv()).await.ok().flatten()
}

#[tokio::test]
async fn a_slow_source_does_not_delay_a_fast_one() {
    let server = statuspage_server().await;
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn_pollers(
        vec![
            statuspage("slow", &server.base, "slow", "20ms"),
            statuspage("fast", &server.base, "ok", "20ms"),
        ],
        tx,
    );
    let mut fast = 0;
    let deadline = Instant::now() + Duration::from_millis(600);
    while let Some(r) = next(&mut rx, deadline.saturating_duration_since(Instant::now())).await {
        assert_eq!(r.source, "fast", "the slow source cannot have answered yet");
        assert_eq!(r.snapshot.last_error, None);
        assert_eq!(r.snapshot.level, Level::Operational);
        fast += 1;
    }
    assert!(fast >= 3, "only {fast} fast polls in 600 ms");
    drop(handle);
}

#[tokio::test]
async fn poll_now_triggers_an_immediate_poll_and_drop_stops() {
    let server = statuspage_server().await;
    let (tx, mut rx) = mpsc::channel(8);
    let handle = spawn_pollers(vec![statuspage("hourly", &server.base, "ok", "1h")], tx);
    let first = next(&mut rx, Duration::from_secs(2))
        .await
        .expect("first poll at start");
    assert_eq!(first.source, "hourly");
    assert!(
        next(&mut rx, Duration::from_millis(100)).await.is_none(),
        "no second poll on its own"
    );
    assert!(!handle.poll_now(Some("nope")));
    assert!(handle.poll_now(Some("hourly")));
    let second = next(&mut rx, Duration::from_secs(2))
        .await
        .expect("poll_now works");
    assert!(second.snapshot.polled_at >= first.snapshot.polled_at);
    assert!(handle.poll_now(None));
    assert!(next(&mut rx, Duration::from_secs(2)).await.is_some());
    drop(handle);
    // Every task (and its sender) is gone.
    let closed = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
    assert!(
        matches!(closed, Ok(None)),
        "channel still open after drop: {closed:?}"
    );
}

#[tokio::test]
async fn retry_after_holds_back_the_next_poll_even_against_poll_now() {
    let server = statuspage_server().await;
    let (tx, mut rx) = mpsc::channel(8);
    let options = PollerOptions {
        // No in-request retries: the poller itself must wait.
        http: HttpOptions {
            max_retries: 0,
            ..HttpOptions::default()
        },
        ..PollerOptions::default()
    };
    let handle = spawn_pollers_with(
        vec![statuspage("busy", &server.base, "busy", "10ms")],
        tx,
        options,
        Arc::new(chrono::Utc::now),
    );
    let first = next(&mut rx, Duration::from_secs(2)).await.expect("first");
    let t0 = Instant::now();
    let err = first.snapshot.last_error.expect("throttled");
    assert!(err.contains("HTTP 503"), "{err}");
    handle.poll_now(Some("busy"));
    let _second = next(&mut rx, Duration::from_secs(3)).await.expect("second");
    let gap = t0.elapsed();
    assert!(
        gap >= Duration::from_millis(380),
        "polled again after {gap:?} despite Retry-After: 0.4"
    );
}

#[tokio::test]
async fn dropping_the_receiver_stops_the_tasks() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = common::start(Router::new().route(
        "/api/v2/summary.json",
        get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            async { common::fixture("statuspage/summary-ok.json") }
        }),
    ))
    .await;
    let (tx, mut rx) = mpsc::channel(1);
    let handle = spawn_pollers(vec![statuspage("fast", &server.base, "", "5ms")], tx);
    assert!(next(&mut rx, Duration::from_secs(2)).await.is_some());
    drop(rx);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let settled = hits.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let later = hits.load(Ordering::SeqCst);
    assert!(
        later <= settled + 1,
        "still polling after the receiver went away: {settled} → {later}"
    );
    assert_eq!(handle.sources().collect::<Vec<_>>(), vec!["fast"]);
}

#[test]
fn feed_json_has_exactly_the_documented_shape() {
    let t = common::at(14, 0);
    let snaps = vec![
        SourceSnapshot {
            name: "m365".into(),
            kind: "graph".into(),
            level: Level::Degraded,
            items: vec![HealthItem {
                id: "EX1234567".into(),
                title: "Delays".into(),
                service: Some("Exchange Online".into()),
                level: Level::Degraded,
                status: "serviceDegradation".into(),
                started: Some(common::at(13, 5)),
                updated: Some(common::at(13, 41)),
                resolved: None,
                updates: vec![ItemUpdate {
                    at: common::at(13, 21),
                    text: "Investigating".into(),
                }],
            }],
            last_success: Some(t),
            last_error: None,
            polled_at: t,
            queue: None,
        },
        SourceSnapshot::failed("aws", "feed", None, "could not connect".into(), t),
    ];
    assert_eq!(
        feed_json(&snaps),
        json!({"sources": [
            {"name": "m365", "kind": "graph", "level": "degraded", "ok": true, "error": null,
             "last_success": "2026-03-02T14:00:00Z",
             "items": [{"id": "EX1234567", "title": "Delays", "service": "Exchange Online",
                        "level": "degraded", "status": "serviceDegradation",
                        "started": "2026-03-02T13:05:00Z", "updated": "2026-03-02T13:41:00Z",
                        "resolved": null,
                        "updates": [{"at": "2026-03-02T13:21:00Z", "text": "Investigating"}]}]},
            {"name": "aws", "kind": "feed", "level": "unknown", "ok": false,
             "error": "could not connect", "last_success": null, "items": []}
        ]})
    );
}
