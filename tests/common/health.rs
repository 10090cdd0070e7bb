//! Loopback servers, fixtures and source configs for the health tests.

use std::net::SocketAddr;

use axum::Router;
use chrono::{DateTime, TimeZone, Utc};

use warroom::domain::health::{HealthConfig, HealthSourceConfig};

/// A test server on 127.0.0.1 (never any other address).
pub struct Server {
    pub addr: SocketAddr,
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds 127.0.0.1:0 first so the router can know its own base URL.
pub async fn bind() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    (listener, format!("http://{addr}"))
}

/// Serves `router` on a listener from [`bind`].
pub fn serve(listener: tokio::net::TcpListener, router: Router) -> Server {
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Server {
        addr,
        base: format!("http://{addr}"),
        task,
    }
}

/// Starts a server for a router that does not need its own URL.
pub async fn start(router: Router) -> Server {
    let (listener, _) = bind().await;
    serve(listener, router)
}

/// A fixture copied under tests/fixtures.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

/// One source parsed from TOML, as the config loader would.
pub fn source(toml_text: &str) -> HealthSourceConfig {
    let cfg: HealthConfig =
        toml::from_str(&format!("[[sources]]\n{toml_text}")).expect("valid source config");
    cfg.sources.into_iter().next().expect("one source")
}

/// 2026-03-02 at h:m UTC (the day of the fixtures' outage).
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
}

pub fn clock(t: DateTime<Utc>) -> warroom::health::Clock {
    std::sync::Arc::new(move || t)
}
