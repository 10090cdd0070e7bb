//! The client secret (and the access token) never appear in errors, Debug output, the feed JSON
//! or log lines. Alone in its test binary because it installs a global tracing subscriber.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::graph::{SECRET, TOKEN, default_docs, graph_source, new_ctx, secret_file, start_graph};
use warroom::health::poll_source;

/// Captures everything `tracing` writes while a test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secret_never_appears_in_errors_debug_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // Global (this test binary holds only this test), so every thread and callsite is captured.
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber");

    let g = start_graph(default_docs()).await;
    // A wrong secret: the fake endpoint echoes it back in its error description.
    let wrong = "wrong-Secret-Value-8f3k2";
    let secret = secret_file(wrong);
    let cfg = graph_source(&g.server.base, &secret, r#"["Exchange Online"]"#);
    let mut ctx = new_ctx(common::at(16, 0));
    let snap = poll_source(&cfg, &mut ctx).await;
    let err = snap.last_error.clone().expect("refused");
    assert!(err.contains("invalid_client"), "{err}");
    assert!(err.contains("***"), "echoed secret replaced: {err}");
    assert!(!err.contains(wrong), "{err}");

    // The right secret, a successful poll, and then every Debug output we can reach.
    let right = secret_file(SECRET);
    let cfg_ok = graph_source(&g.server.base, &right, r#"["Exchange Online"]"#);
    let mut ctx_ok = new_ctx(common::at(16, 0));
    let ok = poll_source(&cfg_ok, &mut ctx_ok).await;
    assert_eq!(ok.last_error, None);
    let debug = format!("{cfg:?} {ctx:?} {snap:?} {cfg_ok:?} {ctx_ok:?} {ok:?}");
    let json = serde_json::to_string(&warroom::health::feed_json(&[snap, ok])).expect("json");
    let secret_value = warroom::net::Secret::new(SECRET);
    assert_eq!(format!("{secret_value:?} {secret_value}"), "*** ***");

    let logs =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        logs.contains("requesting an access token"),
        "tracing was captured: {logs}"
    );
    for (what, text) in [("debug", &debug), ("json", &json), ("logs", &logs)] {
        assert!(!text.contains(SECRET), "secret in {what}: {text}");
        assert!(!text.contains(wrong), "wrong secret in {what}: {text}");
        assert!(!text.contains(TOKEN), "access token in {what}: {text}");
    }
}
