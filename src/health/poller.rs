//! Background pollers: one task per source, each on its own interval, so a failing, slow or
//! hostile source never delays another.
//!
//! After a failed poll the next one waits `interval × 2^failures` (capped at
//! [`PollerOptions::max_backoff`], at least the interval), with ±[`PollerOptions::jitter`]
//! random spread, and never less than a `Retry-After` the server sent. [`PollerHandle::poll_now`]
//! cuts the wait short (but not a `Retry-After`). Dropping the handle stops every task; so does
//! dropping the receiver.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use crate::domain::health::{HealthSourceConfig, SourceSnapshot};
use crate::net::{HttpClient, HttpOptions};

use super::{Clock, SourceContext, poll_source_detailed};

/// One poll's outcome, sent to the consumer. Errors travel inside the snapshot (`last_error`,
/// previous items kept).
#[derive(Debug, Clone)]
pub struct PollResult {
    /// The source name.
    pub source: String,
    /// What it said.
    pub snapshot: SourceSnapshot,
}

/// Poller settings shared by every source.
#[derive(Debug, Clone)]
pub struct PollerOptions {
    /// Longest wait after repeated failures (unless the interval itself is longer).
    pub max_backoff: Duration,
    /// Random spread applied to back-off delays, as a fraction (0.2 = ±20 %).
    pub jitter: f64,
    /// Settings of the shared HTTP client.
    pub http: HttpOptions,
}

impl Default for PollerOptions {
    fn default() -> Self {
        Self {
            max_backoff: Duration::from_secs(15 * 60),
            jitter: 0.2,
            http: HttpOptions::default(),
        }
    }
}

/// Owns the poller tasks. Dropping it stops them.
#[derive(Debug)]
pub struct PollerHandle {
    tasks: Vec<(String, Arc<Notify>, JoinHandle<()>)>,
}

impl PollerHandle {
    /// Asks one source (`Some(name)`) or all (`None`) to poll right away. Returns false when no
    /// source has that name. A pending `Retry-After` is still honoured.
    pub fn poll_now(&self, name: Option<&str>) -> bool {
        let mut found = false;
        for (n, notify, _) in &self.tasks {
            if name.is_none_or(|want| want == n) {
                notify.notify_one();
                found = true;
            }
        }
        found
    }

    /// The names of the polled sources.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.tasks.iter().map(|(n, _, _)| n.as_str())
    }

    /// Stops every task now.
    pub fn abort(&self) {
        for (_, _, task) in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for PollerHandle {
    fn drop(&mut self) {
        self.abort();
    }
}

/// Starts one poller task per source with default options and the system clock. Must be called
/// inside a tokio runtime.
pub fn spawn_pollers(
    sources: Vec<HealthSourceConfig>,
    tx: mpsc::Sender<PollResult>,
) -> PollerHandle {
    spawn_pollers_with(
        sources,
        tx,
        PollerOptions::default(),
        Arc::new(chrono::Utc::now),
    )
}

/// Like [`spawn_pollers`] with explicit options and clock.
pub fn spawn_pollers_with(
    sources: Vec<HealthSourceConfig>,
    tx: mpsc::Sender<PollResult>,
    options: PollerOptions,
    clock: Clock,
) -> PollerHandle {
    let http = HttpClient::new(options.http.clone()).map_err(|e| e.to_string());
    let tasks = sources
        .into_iter()
        .map(|cfg| {
            let notify = Arc::new(Notify::new());
            let name = cfg.name.clone();
            let task = tokio::spawn(run_source(
                cfg,
                http.clone(),
                tx.clone(),
                notify.clone(),
                options.clone(),
                clock.clone(),
            ));
            (name, notify, task)
        })
        .collect();
    PollerHandle { tasks }
}

/// The wait before the next poll after `failures` consecutive failures.
pub fn backoff_delay(
    interval: Duration,
    failures: u32,
    max_backoff: Duration,
    jitter: f64,
    random_unit: f64,
) -> Duration {
    if failures == 0 {
        return interval;
    }
    let cap = max_backoff.max(interval);
    let raw = interval
        .saturating_mul(2u32.saturating_pow(failures.min(20)))
        .min(cap);
    let jitter = jitter.clamp(0.0, 1.0);
    let factor = 1.0 - jitter + 2.0 * jitter * random_unit.clamp(0.0, 1.0);
    raw.mul_f64(factor).max(interval)
}

async fn run_source(
    cfg: HealthSourceConfig,
    http: Result<HttpClient, String>,
    tx: mpsc::Sender<PollResult>,
    notify: Arc<Notify>,
    options: PollerOptions,
    clock: Clock,
) {
    let mut ctx = match &http {
        Ok(h) => Some(SourceContext::new(h.clone()).with_clock(clock.clone())),
        Err(_) => None,
    };
    let mut failures: u32 = 0;
    loop {
        let (snapshot, retry_after, failed) = match (&mut ctx, &http) {
            (Some(ctx), _) => poll_source_detailed(&cfg, ctx).await,
            (None, Err(e)) => (
                SourceSnapshot::failed(&cfg.name, cfg.kind.name(), None, e.clone(), clock()),
                None,
                true,
            ),
            (None, Ok(_)) => return,
        };
        let result = PollResult {
            source: cfg.name.clone(),
            snapshot,
        };
        if tx.send(result).await.is_err() {
            return;
        }
        failures = if failed {
            failures.saturating_add(1)
        } else {
            0
        };
        let delay = backoff_delay(
            cfg.interval,
            failures,
            options.max_backoff,
            options.jitter,
            rand::random::<f64>(),
        );
        let hard = retry_after.unwrap_or(Duration::ZERO);
        let delay = delay.max(hard);
        if !hard.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(hard) => {}
                _ = tx.closed() => return,
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(delay - hard) => {}
            _ = notify.notified() => {}
            _ = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let i = Duration::from_secs(60);
        let max = Duration::from_secs(900);
        assert_eq!(backoff_delay(i, 0, max, 0.2, 0.9), i);
        assert_eq!(backoff_delay(i, 1, max, 0.0, 0.5), Duration::from_secs(120));
        assert_eq!(backoff_delay(i, 2, max, 0.0, 0.5), Duration::from_secs(240));
        assert_eq!(backoff_delay(i, 10, max, 0.0, 0.5), max);
        assert_eq!(backoff_delay(i, 1, max, 0.2, 0.0), Duration::from_secs(96));
        assert_eq!(backoff_delay(i, 1, max, 0.2, 1.0), Duration::from_secs(144));
        // Never shorter than the interval, even when it exceeds the cap.
        let long = Duration::from_secs(3600);
        assert_eq!(backoff_delay(long, 3, max, 0.2, 0.0), long);
    }
}
