//! Statuspage, RSS/Atom, Google and SMTP sources against loopback servers.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{TimeZone, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use warroom::domain::health::{ChangeKind, Level, diff};
use warroom::health::{SourceContext, poll_source};
use warroom::net::{HttpClient, HttpOptions};

fn ctx(now: chrono::DateTime<Utc>) -> SourceContext {
    SourceContext::new(HttpClient::new(HttpOptions::default()).expect("client"))
        .with_clock(common::clock(now))
}

/// Serves the given bodies in turn at `path` (the last one repeats).
async fn serve_sequence(path: &'static str, bodies: Vec<(StatusCode, String)>) -> common::Server {
    let n = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(bodies);
    common::start(Router::new().route(
        path,
        get(move || {
            let n = n.clone();
            let bodies = bodies.clone();
            async move {
                let i = n.fetch_add(1, Ordering::SeqCst).min(bodies.len() - 1);
                let (status, body) = bodies[i].clone();
                (status, body).into_response()
            }
        }),
    ))
    .await
}

#[tokio::test]
async fn statuspage_summary_major_then_ok() {
    let server = serve_sequence(
        "/api/v2/summary.json",
        vec![
            (
                StatusCode::OK,
                common::fixture("statuspage/summary-major.json"),
            ),
            (
                StatusCode::OK,
                common::fixture("statuspage/summary-ok.json"),
            ),
        ],
    )
    .await;
    let cfg = common::source(&format!(
        "name = \"provider\"\nkind = \"statuspage\"\nurl = \"{}/\"\ntimeout = \"2s\"",
        server.base
    ));
    let mut ctx = ctx(common::at(14, 0));
    let major = poll_source(&cfg, &mut ctx).await;
    assert_eq!(major.last_error, None);
    assert_eq!(major.kind, "statuspage");
    assert_eq!(major.level, Level::MajorOutage);
    let level_of = |id: &str| {
        major
            .items
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.level)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    assert_eq!(level_of("component:b13yz5g2cw10"), Level::PartialOutage);
    assert_eq!(level_of("component:9397cnvk62zn"), Level::MajorOutage);
    assert_eq!(level_of("component:h028tnzw1n5l"), Level::Operational);
    assert_eq!(level_of("component:nctwm9tghxh6"), Level::Maintenance);
    assert_eq!(level_of("w1zdr745wmfy"), Level::Maintenance);
    let inc = major
        .items
        .iter()
        .find(|i| i.id == "cp306tmzcl0y")
        .expect("incident");
    assert_eq!(inc.level, Level::MajorOutage);
    assert_eq!(inc.status, "identified");
    assert_eq!(inc.service.as_deref(), Some("SMTP Inbound"));
    assert_eq!(inc.updates.len(), 2);
    assert!(
        inc.updates[0]
            .text
            .starts_with("investigating: We are investigating")
    );
    assert!(
        inc.updates[1]
            .text
            .starts_with("identified: Inbound SMTP queues")
    );
    assert_eq!(
        inc.started,
        Some(
            Utc.with_ymd_and_hms(2026, 3, 2, 13, 22, 39).unwrap()
                + chrono::Duration::milliseconds(433)
        )
    );

    let ok = poll_source(&cfg, &mut ctx).await;
    assert_eq!(ok.level, Level::Operational);
    let changes = diff(Some(&major), &ok);
    let texts: Vec<&str> = changes.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts[0], "provider: overall major_outage → operational",
        "{texts:#?}"
    );
    assert!(
        texts.contains(&"provider component:b13yz5g2cw10: level partial_outage → operational"),
        "{texts:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.kind == ChangeKind::Gone && c.item_id.as_deref() == Some("cp306tmzcl0y")),
        "{texts:#?}"
    );
}

#[tokio::test]
async fn statuspage_errors_keep_previous_items() {
    let server = serve_sequence(
        "/api/v2/summary.json",
        vec![
            (
                StatusCode::OK,
                common::fixture("statuspage/summary-major.json"),
            ),
            (StatusCode::INTERNAL_SERVER_ERROR, "oops".to_string()),
            (StatusCode::OK, "{\"status\": {\"indicator\": ".to_string()),
        ],
    )
    .await;
    let cfg = common::source(&format!(
        "name = \"provider\"\nkind = \"statuspage\"\nurl = \"{}\"\ntimeout = \"2s\"",
        server.base
    ));
    let mut ctx = ctx(common::at(14, 0));
    let good = poll_source(&cfg, &mut ctx).await;
    assert_eq!(good.last_error, None);
    let failed = poll_source(&cfg, &mut ctx).await;
    let err = failed.last_error.clone().expect("500");
    assert!(err.contains("HTTP 500"), "{err}");
    assert_eq!(failed.items, good.items);
    assert_eq!(failed.level, good.level);
    let malformed = poll_source(&cfg, &mut ctx).await;
    let err = malformed.last_error.clone().expect("bad JSON");
    assert!(err.contains("Statuspage summary.json"), "{err}");
    assert_eq!(malformed.items, good.items);
    assert!(
        diff(Some(&good), &malformed).is_empty(),
        "errors add nothing to the timeline"
    );
}

#[tokio::test]
async fn aws_rss_groups_updates_and_sees_the_resolution() {
    let server = serve_sequence(
        "/rss/all.rss",
        vec![(StatusCode::OK, common::fixture("aws/all.rss"))],
    )
    .await;
    let cfg = common::source(&format!(
        "name = \"aws\"\nkind = \"feed\"\nurl = \"{}/rss/all.rss\"",
        server.base
    ));
    let snap = poll_source(&cfg, &mut ctx(common::at(14, 10))).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(snap.items.len(), 1, "{:#?}", snap.items);
    let item = &snap.items[0];
    assert_eq!(item.id, "ses-us-east-1");
    assert_eq!(item.level, Level::Operational);
    assert_eq!(item.status, "resolved");
    // PST pubDates: 05:40 and 06:02:10 PST.
    assert_eq!(item.started, Some(common::at(13, 40)));
    assert_eq!(
        item.resolved,
        Some(Utc.with_ymd_and_hms(2026, 3, 2, 14, 2, 10).unwrap())
    );
    assert_eq!(item.updates.len(), 2);
    assert!(item.updates[0].text.starts_with(
        "Informational message: Increased Email Sending Latency: We are investigating"
    ));
    assert_eq!(snap.level, Level::Operational);

    // The feed, not the clock, decides: the resolution post is already in it.
    let early = poll_source(&cfg, &mut ctx(common::at(13, 50))).await;
    assert_eq!(
        early.level,
        Level::Operational,
        "the resolution post is already in the feed"
    );
}

#[tokio::test]
async fn statuspage_atom_history_is_open_while_monitoring() {
    let server = serve_sequence(
        "/history.atom",
        vec![(StatusCode::OK, common::fixture("statuspage/history.atom"))],
    )
    .await;
    let cfg = common::source(&format!(
        "name = \"provider-feed\"\nkind = \"feed\"\nurl = \"{}/history.atom\"",
        server.base
    ));
    let snap = poll_source(&cfg, &mut ctx(common::at(15, 30))).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(snap.items.len(), 1);
    let item = &snap.items[0];
    assert_eq!(
        item.id,
        "tag:status.example-mail.test,2005:Incident/21148992"
    );
    assert_eq!(item.title, "Delayed inbound mail delivery");
    assert_eq!(item.level, Level::Degraded);
    assert_eq!(item.status, "open");
    let text = &item.updates[0].text;
    assert!(
        text.contains("Monitoring - A fix has been implemented"),
        "{text}"
    );
    assert!(!text.contains('<') && !text.contains("&lt;"), "{text}");
    assert_eq!(snap.level, Level::Degraded);

    // Two days later the entry is history and drops out.
    let later = poll_source(
        &cfg,
        &mut ctx(common::at(15, 30) + chrono::Duration::days(2)),
    )
    .await;
    assert!(later.items.is_empty());
    assert_eq!(later.level, Level::Operational);
}

#[tokio::test]
async fn not_a_feed_is_reported() {
    let server = serve_sequence(
        "/feed",
        vec![(StatusCode::OK, "<html><body>hi".to_string())],
    )
    .await;
    let cfg = common::source(&format!(
        "name = \"f\"\nkind = \"feed\"\nurl = \"{}/feed\"",
        server.base
    ));
    let snap = poll_source(&cfg, &mut ctx(common::at(14, 0))).await;
    let err = snap.last_error.expect("error");
    assert!(err.contains("RSS/Atom"), "{err}");
    assert_eq!(snap.level, Level::Unknown);
}

#[tokio::test]
async fn google_incidents_ongoing_and_history() {
    let server = common::start(Router::new().route(
        "/appsstatus/dashboard/incidents.json",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/json")],
                common::fixture("google/incidents.json"),
            )
        }),
    ))
    .await;
    let cfg = common::source(&format!(
        "name = \"workspace\"\nkind = \"google\"\nurl = \"{}/appsstatus/dashboard/incidents.json\"",
        server.base
    ));
    let snap = poll_source(&cfg, &mut ctx(common::at(15, 0))).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(
        snap.items.len(),
        1,
        "old Chat incident dropped: {:#?}",
        snap.items
    );
    let gmail = &snap.items[0];
    assert_eq!(gmail.id, "Qz7mNwVx3RkT9bLp2sYd");
    assert_eq!(gmail.service.as_deref(), Some("Gmail"));
    assert_eq!(gmail.status, "SERVICE_DISRUPTION");
    assert_eq!(gmail.level, Level::Degraded);
    assert_eq!(gmail.resolved, None);
    assert_eq!(gmail.updates.len(), 2);
    assert!(gmail.updates[1].text.contains("applying mitigation"));
    assert_eq!(snap.level, Level::Degraded);

    // On the day of the Chat incident it is listed, resolved.
    let feb = Utc.with_ymd_and_hms(2026, 2, 10, 20, 0, 0).unwrap();
    let snap = poll_source(&cfg, &mut ctx(feb)).await;
    let chat = snap
        .items
        .iter()
        .find(|i| i.id == "rZvZvSKVdDHyWh4dZJ8D")
        .expect("chat incident");
    assert_eq!(chat.level, Level::Operational);
    assert_eq!(chat.status, "AVAILABLE");
    assert!(chat.resolved.is_some());
}

/// A scripted SMTP server on loopback: sends `banner`, answers EHLO with `ehlo` (if any), QUIT
/// with 221.
async fn smtp_server(banner: &'static str, ehlo: Option<&'static str>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                if w.write_all(banner.as_bytes()).await.is_err() {
                    return;
                }
                let Some(ehlo) = ehlo else { return };
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply = if line.starts_with("EHLO ") {
                        ehlo
                    } else if line == "QUIT" {
                        let _ = w.write_all(b"221 2.0.0 bye\r\n").await;
                        return;
                    } else {
                        "500 5.5.1 unrecognised\r\n"
                    };
                    if w.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn smtp_source(
    addr: std::net::SocketAddr,
    extra: &str,
) -> warroom::domain::health::HealthSourceConfig {
    common::source(&format!(
        "name = \"mx\"\nkind = \"smtp\"\nhost = \"{}\"\nport = {}\ntimeout = \"500ms\"\n{extra}",
        addr.ip(),
        addr.port()
    ))
}

#[tokio::test]
async fn smtp_probe_healthy_with_starttls() {
    let addr = smtp_server(
        "220-mx.test ESMTP\r\n220 ready\r\n",
        Some("250-mx.test Hello\r\n250-PIPELINING\r\n250-SIZE 36700160\r\n250-STARTTLS\r\n250 8BITMIME\r\n"),
    )
    .await;
    let snap = poll_source(&smtp_source(addr, ""), &mut ctx(common::at(14, 0))).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(snap.level, Level::Operational);
    let item = &snap.items[0];
    assert_eq!(item.id, format!("smtp:127.0.0.1:{}", addr.port()));
    assert_eq!(item.status, "banner 220; EHLO 250; STARTTLS offered");
    assert!(item.title.contains(" ms)"), "{}", item.title);
}

#[tokio::test]
async fn smtp_probe_without_starttls_is_degraded_when_required() {
    let addr = smtp_server(
        "220 mx.test ESMTP\r\n",
        Some("250-mx.test\r\n250 PIPELINING\r\n"),
    )
    .await;
    let snap = poll_source(&smtp_source(addr, ""), &mut ctx(common::at(14, 0))).await;
    assert_eq!(snap.level, Level::Degraded);
    assert_eq!(
        snap.items[0].status,
        "banner 220; EHLO 250; STARTTLS not offered"
    );
    let relaxed = poll_source(
        &smtp_source(addr, "starttls_required = false"),
        &mut ctx(common::at(14, 0)),
    )
    .await;
    assert_eq!(relaxed.level, Level::Operational);
}

#[tokio::test]
async fn smtp_probe_421_is_degraded_with_reply_text() {
    let addr = smtp_server(
        "421-4.7.0 [192.0.2.1] Try again later, closing connection.\r\n421 4.7.0 \u{1b}[31mbusy\u{1b}[0m - gsmtp\r\n",
        None,
    )
    .await;
    let snap = poll_source(&smtp_source(addr, ""), &mut ctx(common::at(14, 0))).await;
    assert_eq!(
        snap.last_error, None,
        "a failing probe is a measurement, not a poll error"
    );
    assert_eq!(snap.level, Level::Degraded);
    assert_eq!(
        snap.items[0].status,
        "banner 421 4.7.0 [192.0.2.1] Try again later, closing connection. 4.7.0 busy - gsmtp"
    );
}

#[tokio::test]
async fn smtp_probe_554_refused_and_silent_are_major() {
    let addr = smtp_server("554 5.3.2 no service\r\n", None).await;
    let snap = poll_source(&smtp_source(addr, ""), &mut ctx(common::at(14, 0))).await;
    assert_eq!(snap.level, Level::MajorOutage);
    assert!(snap.items[0].status.starts_with("banner 554"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_addr = closed.local_addr().expect("addr");
    drop(closed);
    let snap = poll_source(&smtp_source(closed_addr, ""), &mut ctx(common::at(14, 0))).await;
    assert_eq!(snap.level, Level::MajorOutage);
    assert!(
        snap.items[0].status.starts_with("connect failed"),
        "{}",
        snap.items[0].status
    );

    // Accepts but never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_addr = silent.local_addr().expect("addr");
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let started = std::time::Instant::now();
    let snap = poll_source(&smtp_source(silent_addr, ""), &mut ctx(common::at(14, 0))).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(snap.level, Level::MajorOutage);
    assert_eq!(
        snap.items[0].status,
        "banner failed: no answer within 500 ms"
    );
    hold.abort();
}
