//! The shared HTTP client against a loopback server: Retry-After, errors, timeouts, size cap,
//! conditional GET.

use crate::common;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use futures::StreamExt;
use warroom::net::{HttpClient, HttpOptions, NetError, RequestOptions};

fn client() -> HttpClient {
    HttpClient::new(HttpOptions::default()).expect("client")
}

fn opts(timeout_ms: u64) -> RequestOptions {
    RequestOptions {
        timeout: Duration::from_millis(timeout_ms),
        ..RequestOptions::default()
    }
}

#[tokio::test]
async fn retry_after_decimal_is_honoured_then_success() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = common::start(Router::new().route(
        "/data",
        get(move || {
            let h = h.clone();
            async move {
                if h.fetch_add(1, Ordering::SeqCst) == 0 {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "1.5")],
                        r#"{"error":{"code":"TooManyRequests","message":"Please retry again later."}}"#,
                    )
                        .into_response()
                } else {
                    (StatusCode::OK, r#"{"ok":true}"#).into_response()
                }
            }
        }),
    ))
    .await;
    let started = Instant::now();
    let resp = client()
        .get(&format!("{}/data", server.base), &opts(5000))
        .await
        .expect("second attempt succeeds");
    let waited = started.elapsed();
    assert_eq!(resp.status, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert!(
        waited >= Duration::from_millis(1500),
        "retried after {waited:?}, before the 1.5 s the server asked for"
    );
    assert!(waited < Duration::from_secs(4), "{waited:?}");
}

#[tokio::test]
async fn long_retry_after_ends_the_request_as_throttled() {
    let server = common::start(Router::new().route(
        "/data",
        get(|| async {
            let date =
                httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(600));
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, date)],
                "busy",
            )
        }),
    ))
    .await;
    let err = client()
        .get(&format!("{}/data", server.base), &opts(2000))
        .await
        .expect_err("throttled");
    let after = err.retry_after().expect("retry-after kept");
    assert!(after > Duration::from_secs(500), "{after:?}");
    assert!(
        matches!(err, NetError::Throttled { status: 503, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("retry after"), "{err}");
}

#[tokio::test]
async fn server_error_is_reported_with_hint() {
    let server = common::start(Router::new().route(
        "/data",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "kaboom \u{1b}[31mred") }),
    ))
    .await;
    let err = client()
        .get(&format!("{}/data", server.base), &opts(2000))
        .await
        .expect_err("500");
    let msg = err.to_string();
    assert_eq!(err.status(), Some(500));
    assert!(msg.contains("HTTP 500"), "{msg}");
    assert!(msg.contains("kaboom"), "{msg}");
    assert!(!msg.contains('\u{1b}'), "{msg:?}");
}

#[tokio::test]
async fn timeout_is_reported() {
    let server = common::start(Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    ))
    .await;
    let started = Instant::now();
    let err = client()
        .get(&format!("{}/slow", server.base), &opts(200))
        .await
        .expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(matches!(err, NetError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("raise `timeout`"), "{err}");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let server =
        common::start(Router::new().route("/j", get(|| async { "{\"value\": [1, 2" }))).await;
    let resp = client()
        .get(&format!("{}/j", server.base), &opts(2000))
        .await
        .expect("200");
    let err = resp
        .json::<serde_json::Value>()
        .expect_err("not valid JSON");
    assert!(
        matches!(err, NetError::Decode { what: "JSON", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn fifty_megabyte_body_is_cut_at_the_cap_without_reading_it_all() {
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 50 * 1024 * 1024;
    let produced = Arc::new(AtomicUsize::new(0));
    let p = produced.clone();
    let server = common::start(Router::new().route(
        "/big",
        get(move || {
            let p = p.clone();
            async move {
                // Generated lazily chunk by chunk, no Content-Length: the client must count.
                let stream = futures::stream::iter(0..TOTAL / CHUNK).map(move |_| {
                    p.fetch_add(CHUNK, Ordering::SeqCst);
                    Ok::<_, Infallible>(Bytes::from(vec![b'x'; CHUNK]))
                });
                Body::from_stream(stream)
            }
        }),
    ))
    .await;
    let cap = 8 * 1024 * 1024;
    let err = client()
        .get(
            &format!("{}/big", server.base),
            &RequestOptions {
                timeout: Duration::from_secs(20),
                max_body: cap,
                conditional: false,
                retry_unavailable: true,
            },
        )
        .await
        .expect_err("over the cap");
    assert!(
        matches!(err, NetError::BodyTooLarge { limit, .. } if limit == cap),
        "{err:?}"
    );
    assert!(err.to_string().contains("max_body"), "{err}");
    // Give the server a moment to notice the closed connection, then check it stopped early.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = produced.load(Ordering::SeqCst);
    assert!(
        sent < TOTAL / 2,
        "server produced {sent} bytes; the client kept reading"
    );
}

#[tokio::test]
async fn declared_oversize_body_is_refused_before_reading() {
    let server =
        common::start(Router::new().route("/big", get(|| async { vec![b'y'; 2048] }))).await;
    let err = client()
        .get(
            &format!("{}/big", server.base),
            &RequestOptions {
                max_body: 1024,
                ..opts(2000)
            },
        )
        .await
        .expect_err("too big");
    assert!(matches!(err, NetError::BodyTooLarge { .. }), "{err:?}");
}

#[tokio::test]
async fn conditional_get_remembers_etag_and_reuses_body_on_304() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = common::start(Router::new().route(
        "/doc",
        get(move |headers: HeaderMap| {
            let h = h.clone();
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                if headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    == Some("\"v1\"")
                {
                    StatusCode::NOT_MODIFIED.into_response()
                } else {
                    ([(header::ETAG, "\"v1\"")], "body-v1").into_response()
                }
            }
        }),
    ))
    .await;
    let c = client();
    let o = RequestOptions {
        conditional: true,
        ..opts(2000)
    };
    let url = format!("{}/doc", server.base);
    let first = c.get(&url, &o).await.expect("first");
    assert!(!first.not_modified);
    let second = c.get(&url, &o).await.expect("second");
    assert!(
        second.not_modified,
        "second GET should have been conditional"
    );
    assert_eq!(second.body, b"body-v1");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refused_connection_says_what_to_check() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = client()
        .get(&format!("http://{addr}/x"), &opts(2000))
        .await
        .expect_err("refused");
    assert!(matches!(err, NetError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("check the host name"), "{err}");
}

#[tokio::test]
async fn a_retry_that_does_not_fit_twice_the_timeout_is_not_attempted() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = common::start(Router::new().route(
        "/data",
        get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            // 20 s is under the client's own cap on one wait (30 s), but 20 s + another
            // attempt cannot fit in twice a 1 s timeout.
            async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "20")],
                    "slow down",
                )
            }
        }),
    ))
    .await;
    let started = Instant::now();
    let err = client()
        .get(&format!("{}/data", server.base), &opts(1000))
        .await
        .expect_err("throttled");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a retry was attempted");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(20)));
    assert!(
        err.to_string().starts_with("throttled: retry after 20 s ("),
        "{err}"
    );
}

#[tokio::test]
async fn a_retry_that_fits_is_still_made() {
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let server = common::start(Router::new().route(
        "/data",
        get(move || {
            let first = h.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::RETRY_AFTER, "1")],
                        "busy",
                    )
                        .into_response()
                } else {
                    "ok".into_response()
                }
            }
        }),
    ))
    .await;
    // 1 s wait + a 2 s attempt fits in 4 s.
    let resp = client()
        .get(&format!("{}/data", server.base), &opts(2000))
        .await
        .expect("the retry succeeds");
    assert_eq!(resp.body, b"ok");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_redirect_to_a_file_url_gets_its_own_message() {
    let server = common::start(
        Router::new()
            .route(
                "/data",
                get(|| async {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, "file:///etc/passwd")],
                        "",
                    )
                }),
            )
            .route(
                "/ftp",
                get(|| async {
                    (
                        StatusCode::MOVED_PERMANENTLY,
                        [(header::LOCATION, "FTP://files.example.test/x")],
                        "",
                    )
                }),
            )
            .route(
                "/hop",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/data")], "") }),
            ),
    )
    .await;
    for (path, to) in [
        ("/data", "file:///etc/passwd"),
        ("/hop", "file:///etc/passwd"),
        ("/ftp", "FTP://files.example.test/x"),
    ] {
        let err = client()
            .get(&format!("{}{path}", server.base), &opts(2000))
            .await
            .expect_err("not followed");
        let msg = err.to_string();
        assert!(matches!(err, NetError::RedirectNotHttp { .. }), "{err:?}");
        assert!(
            msg.contains(&format!(
                "redirected to {to}, which is not an http(s) address"
            )),
            "{msg}"
        );
        assert!(!msg.contains("failing"), "{msg}");
    }
}
