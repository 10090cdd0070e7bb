//! Microsoft Graph service health against a loopback server: token, paging, PascalCase values,
//! token caching and refresh, hostile text. (The secret-leak test is in health_secret.rs.)

use crate::common;

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use common::graph::{SECRET, default_docs, graph_source, new_ctx, secret_file, start_graph};
use warroom::domain::health::Level;
use warroom::health::poll_source;

#[tokio::test]
async fn token_then_two_pages_of_issues_with_pascal_case_values() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(
        &g.server.base,
        &secret,
        r#"["Exchange Online", "Microsoft 365 suite"]"#,
    );
    // The day after the 2020 fixture incidents, so resolved ones are still listed.
    let now = Utc.with_ymd_and_hms(2020, 11, 14, 20, 0, 0).unwrap();
    let mut ctx = new_ctx(now);
    let snap = poll_source(&cfg, &mut ctx).await;
    assert_eq!(snap.last_error, None);
    assert_eq!(g.counters.token.load(Ordering::SeqCst), 1);
    assert_eq!(
        g.counters.issues.load(Ordering::SeqCst),
        2,
        "both pages fetched"
    );

    let ids: Vec<&str> = snap.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "svc:Exchange",
            "svc:OSDPPlatform",
            "EX1234567",
            "EX226792",
            "MO226784"
        ]
    );
    let find = |id: &str| snap.items.iter().find(|i| i.id == id).expect(id);

    let ex = find("EX1234567");
    assert_eq!(ex.status, "ServiceDegradation", "raw status kept");
    assert_eq!(ex.level, Level::Degraded);
    assert_eq!(ex.resolved, None);
    assert_eq!(ex.updates.len(), 2);
    assert!(
        ex.updates[1]
            .text
            .contains("Current status: We've identified a routing")
    );
    assert!(
        !ex.updates[1].text.contains("<br>"),
        "HTML turned into text"
    );

    let restored = find("EX226792");
    assert_eq!(restored.status, "ServiceRestored");
    assert_eq!(restored.level, Level::Operational);
    assert!(restored.resolved.is_some());

    let pir = find("MO226784");
    assert_eq!(pir.status, "PostIncidentReviewPublished");
    assert_eq!(pir.level, Level::Operational);
    assert_eq!(pir.service.as_deref(), Some("Microsoft 365 suite"));

    assert_eq!(find("svc:Exchange").level, Level::Degraded);
    assert_eq!(snap.level, Level::Degraded);
}

#[tokio::test]
async fn only_configured_services_and_recent_resolutions() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["exchange online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    let snap = poll_source(&cfg, &mut ctx).await;
    assert_eq!(snap.last_error, None);
    let ids: Vec<&str> = snap.items.iter().map(|i| i.id.as_str()).collect();
    // 2020 issues resolved long ago are gone; MO226784 is another service.
    assert_eq!(ids, vec!["svc:Exchange", "EX1234567"]);
}

#[tokio::test]
async fn token_is_cached_and_refreshed_after_401() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    assert_eq!(poll_source(&cfg, &mut ctx).await.last_error, None);
    assert_eq!(poll_source(&cfg, &mut ctx).await.last_error, None);
    assert_eq!(g.counters.token.load(Ordering::SeqCst), 1, "token reused");
    g.counters.reject_next.store(1, Ordering::SeqCst);
    let snap = poll_source(&cfg, &mut ctx).await;
    assert_eq!(snap.last_error, None, "401 → new token → success");
    assert_eq!(
        g.counters.token.load(Ordering::SeqCst),
        2,
        "token refreshed once"
    );
}

#[tokio::test]
async fn token_refusal_is_explained() {
    let mut docs = default_docs();
    docs.token_status = StatusCode::BAD_REQUEST;
    docs.token_body = common::fixture("graph/token-response-400-invalid_scope.json");
    let g = start_graph(docs).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let snap = poll_source(&cfg, &mut new_ctx(common::at(16, 0))).await;
    let err = snap.last_error.expect("error");
    assert!(err.contains("invalid_scope"), "{err}");
    assert!(err.contains("AADSTS70011"), "{err}");
    assert!(err.contains("ServiceHealth.Read.All"), "{err}");
    assert!(
        !err.contains("Trace ID"),
        "only the first line of the description: {err}"
    );
    assert_eq!(snap.level, Level::Unknown);
    assert_eq!(g.counters.issues.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn next_link_to_another_host_is_refused() {
    let mut docs = default_docs();
    docs.page1 = docs.page1.replace(
        "{{BASE_URL}}/v1.0/admin/serviceAnnouncement/issues?$skip=100",
        "http://127.0.0.2:9/steal",
    );
    let g = start_graph(docs).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let snap = poll_source(&cfg, &mut new_ctx(common::at(16, 0))).await;
    let err = snap.last_error.expect("refused");
    assert!(err.contains("refusing to send the access token"), "{err}");
}

#[tokio::test]
async fn escape_sequences_in_title_and_post_are_stripped() {
    let hostile = r#"{
      "value": [{
        "id": "EX999",
        "title": "Mail \u001b[2J\u001b[31mdelayed\u001b]0;pwned\u0007 now",
        "service": "Exchange Online",
        "status": "serviceInterruption",
        "isResolved": false,
        "startDateTime": "2026-03-02T13:05:00Z",
        "lastModifiedDateTime": "2026-03-02T14:05:00Z",
        "posts": [{
          "createdDateTime": "2026-03-02T14:05:00Z",
          "description": {"contentType": "html", "content": "<p>Status \u001b[5mblink\u001b[0m <b>bold</b></p>\u009b2J"}
        }]
      }]
    }"#;
    let mut docs = default_docs();
    docs.page1 = hostile.to_string();
    let g = start_graph(docs).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let snap = poll_source(&cfg, &mut new_ctx(common::at(16, 0))).await;
    assert_eq!(snap.last_error, None);
    let item = snap.items.iter().find(|i| i.id == "EX999").expect("item");
    assert_eq!(item.title, "Mail delayed now");
    assert_eq!(item.level, Level::MajorOutage);
    let post = &item.updates[0].text;
    assert_eq!(post, "Status blink bold");
    assert_eq!(snap.level, Level::MajorOutage);
}

#[tokio::test]
async fn malformed_issues_page_is_an_error_that_keeps_previous_items() {
    let g = start_graph(default_docs()).await;
    let secret = secret_file(SECRET);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    let good = poll_source(&cfg, &mut ctx).await;
    assert_eq!(good.last_error, None);

    let mut docs = default_docs();
    docs.page1 = "{\"value\": [ {\"id\": 12".to_string();
    let bad_server = start_graph(docs).await;
    let bad_cfg = graph_source(&bad_server.server.base, &secret, r#"["Exchange Online"]"#);
    // Same context (same source name), now pointed at the broken server.
    let snap = poll_source(&bad_cfg, &mut ctx).await;
    let err = snap.last_error.clone().expect("parse error");
    assert!(err.contains("Graph issues"), "{err}");
    assert_eq!(snap.items, good.items, "previous items kept");
    assert_eq!(snap.level, good.level);
    assert_eq!(snap.last_success, good.last_success);
}
