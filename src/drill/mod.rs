//! Drills: a scripted outage ([`scenario`]) played on loopback through the real protocols — a
//! Graph / Statuspage / RSS HTTP server ([`server`]), an SMTP listener ([`smtp`]) and a folder
//! of Exchange message-tracking logs that grows as drill time passes ([`logs`]) — so that the
//! console's ordinary pollers and trace scan see a live outage with no network.

pub mod logs;
pub mod relay;
pub mod scenario;
pub mod server;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

pub use scenario::{DEFAULT_SCENARIO, DrillState, Scenario, ScenarioError};

/// Drill time: real time since the start, times the speed.
#[derive(Debug, Clone, Copy)]
pub struct DrillClock {
    start: Instant,
    start_wall: DateTime<Utc>,
    speed: f64,
}

impl DrillClock {
    /// A clock starting now.
    pub fn start(speed: f64) -> Self {
        DrillClock {
            start: Instant::now(),
            start_wall: Utc::now(),
            speed: speed.max(0.01),
        }
    }

    /// Drill time elapsed.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed().mul_f64(self.speed)
    }

    /// The wall-clock timestamp given to something that happens at drill offset `t` (the start
    /// plus `t`: at a speed above 1, drill timestamps run ahead of the wall clock).
    pub fn stamp(&self, t: Duration) -> DateTime<Utc> {
        self.start_wall + chrono::Duration::from_std(t).unwrap_or_default()
    }

    /// The speed.
    pub fn speed(&self) -> f64 {
        self.speed
    }
}

/// What the servers share.
#[derive(Debug)]
pub struct DrillShared {
    pub scenario: Scenario,
    pub clock: DrillClock,
    /// The Graph client secret the token endpoint accepts.
    pub secret: String,
    /// The access token it hands out.
    pub token: String,
}

impl DrillShared {
    /// The world now.
    pub fn state(&self) -> DrillState {
        self.scenario.state_at(self.clock.elapsed())
    }
}

/// A running drill: addresses of its servers and its log folder. Dropping it does not stop the
/// tasks; they end with the runtime.
#[derive(Debug, Clone)]
pub struct Drill {
    pub shared: Arc<DrillShared>,
    /// `http://127.0.0.1:PORT` of the HTTP server.
    pub http_base: String,
    /// Port of the SMTP listener on 127.0.0.1.
    pub smtp_port: u16,
    /// Where the MSGTRK logs grow.
    pub log_dir: PathBuf,
    pub tenant: String,
    pub client_id: String,
}

/// Starts the HTTP server, the SMTP listener and the log writer on the current tokio runtime.
/// `log_dir` must exist.
pub async fn start(scenario: Scenario, speed: f64, log_dir: &Path) -> std::io::Result<Drill> {
    let shared = Arc::new(DrillShared {
        scenario,
        clock: DrillClock::start(speed),
        secret: format!("drill-{}", uuid::Uuid::new_v4().simple()),
        token: format!("drill-token-{}", uuid::Uuid::new_v4().simple()),
    });
    let http_base = server::start(shared.clone()).await?;
    let smtp_port = smtp::start(shared.clone()).await?;
    logs::start(shared.clone(), log_dir.to_path_buf())?;
    Ok(Drill {
        shared,
        http_base,
        smtp_port,
        log_dir: log_dir.to_path_buf(),
        tenant: "drill.onmicrosoft.com".into(),
        client_id: "00000000-0000-4000-8000-00000000d111".into(),
    })
}

impl Drill {
    /// The `[health]` and `[trace]` sections pointing at this drill, as TOML (parsed by
    /// [`crate::config::Config::parse`] so that the usual validation runs). `secret_file` must
    /// hold [`DrillShared::secret`]; `interval` is the poll interval.
    pub fn config_toml(&self, secret_file: &Path, interval: Duration) -> String {
        let ms = interval.as_millis().max(100);
        let q = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
        format!(
            r#"[[health.sources]]
name = "m365"
kind = "graph"
tenant = "{tenant}"
client_id = "{client}"
client_secret_file = {secret}
services = ["Exchange Online"]
base_url = "{base}"
token_url = "{base}"
interval = "{ms}ms"
timeout = "5s"

[[health.sources]]
name = "relay"
kind = "statuspage"
url = "{base}"
interval = "{ms}ms"
timeout = "5s"

[[health.sources]]
name = "status-rss"
kind = "feed"
url = "{base}/rss.xml"
interval = "{ms}ms"
timeout = "5s"

[[health.sources]]
name = "mx"
kind = "smtp"
host = "127.0.0.1"
port = {port}
interval = "{ms}ms"
timeout = "5s"

[[trace.sources]]
name = "ex-drill"
kind = "exchange-logs"
path = {logs}
"#,
            tenant = self.tenant,
            client = self.client_id,
            secret = q(secret_file),
            base = self.http_base,
            port = self.smtp_port,
            logs = q(&self.log_dir),
        )
    }
}
