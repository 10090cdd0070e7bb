//! Drills: a scripted outage ([`scenario`]) played on loopback through the real protocols — a
//! Graph / Statuspage / RSS HTTP server ([`server`]), an SMTP listener ([`smtp`]) and a folder
//! of Exchange message-tracking logs that grows as drill time passes ([`logs`]) — so that the
//! console's ordinary pollers and trace scan see a live outage with no network.
//!
//! The drill also receives what the update channels send: a Teams Workflows receiver
//! ([`teams`]), a mail relay with STARTTLS and AUTH ([`relay`]) and a Statuspage API
//! ([`statuspage_api`]), each writing what it got into the drill folder.
//!
//! ```text
//! <data>/drills/<incident>/
//!   msgtrk/                 the growing message-tracking logs
//!   queue/postqueue         a stand-in for `postqueue -j` printing queue/postqueue.jsonl,
//!                           the relay's queue as drill time passes
//!   teams/NNN.json          each card posted to the Workflows receiver
//!   mail/NNN.eml            each mail the relay accepted
//!   statuspage/incidents.json   the drill page's incidents, as the API shows them
//!   relay-ca.pem            the throwaway CA the drill's SMTP channel trusts
//!   graph-secret, teams-workflow-url, relay-password, statuspage-key   (mode 600)
//! ```

pub mod logs;
pub mod queue;
pub mod relay;
pub mod scenario;
pub mod server;
pub mod smtp;
pub mod statuspage_api;
pub mod teams;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
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
    /// The drill folder, where the channel receivers write what they got.
    pub dir: PathBuf,
    /// The path part of the Teams Workflows URL (as secret as a real one's signature).
    pub teams_flow: String,
    pub teams_posts: AtomicU64,
    /// The Statuspage API key the drill's page accepts.
    pub statuspage_key: String,
    pub page: Mutex<statuspage_api::Page>,
    /// The relay's login.
    pub relay_login: relay::RelayLogin,
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
    /// Port of the mail relay (STARTTLS + AUTH) the drill's mail channel sends through.
    pub relay_port: u16,
    /// The drill folder.
    pub dir: PathBuf,
    /// Where the MSGTRK logs grow.
    pub log_dir: PathBuf,
    pub tenant: String,
    pub client_id: String,
}

/// Starts the HTTP server (health sources, Teams receiver, Statuspage API), the SMTP listener,
/// the mail relay and the log writer on the current tokio runtime, in the drill folder `dir`
/// (created; logs go to `dir/msgtrk`). The credentials the channels need are written to files
/// there, readable by this user only.
pub async fn start(scenario: Scenario, speed: f64, dir: &Path) -> std::io::Result<Drill> {
    let log_dir = dir.join("msgtrk");
    std::fs::create_dir_all(&log_dir)?;
    let random = || uuid::Uuid::new_v4().simple().to_string();
    let shared = Arc::new(DrillShared {
        scenario,
        clock: DrillClock::start(speed),
        secret: format!("drill-{}", random()),
        token: format!("drill-token-{}", random()),
        dir: dir.to_path_buf(),
        teams_flow: format!("drill-{}", random()),
        teams_posts: AtomicU64::new(0),
        statuspage_key: format!("drill-key-{}", random()),
        page: Mutex::new(statuspage_api::Page::default()),
        relay_login: relay::RelayLogin {
            username: RELAY_USER.to_string(),
            password: format!("drill-pass-{}", random()),
        },
    });
    let certs = relay::throwaway_certs().map_err(std::io::Error::other)?;
    write_private(&dir.join(files::GRAPH_SECRET), &shared.secret)?;
    write_private(
        &dir.join(files::RELAY_PASSWORD),
        &shared.relay_login.password,
    )?;
    write_private(&dir.join(files::STATUSPAGE_KEY), &shared.statuspage_key)?;
    std::fs::write(dir.join(files::RELAY_CA), &certs.ca_pem)?;
    let http_base = server::start(shared.clone()).await?;
    write_private(
        &dir.join(files::TEAMS_URL),
        &format!("{http_base}/workflows/{}", shared.teams_flow),
    )?;
    let smtp_port = smtp::start(shared.clone()).await?;
    let relay_port = relay::start(&certs, shared.relay_login.clone(), dir.join("mail")).await?;
    logs::start(shared.clone(), log_dir.clone())?;
    queue::start(shared.clone(), dir)?;
    Ok(Drill {
        shared,
        http_base,
        smtp_port,
        relay_port,
        dir: dir.to_path_buf(),
        log_dir,
        tenant: "drill.onmicrosoft.com".into(),
        client_id: "00000000-0000-4000-8000-00000000d111".into(),
    })
}

/// The relay's user (and the mail's sender).
pub const RELAY_USER: &str = "warroom-drill@drill.invalid";

/// File names in the drill folder.
pub mod files {
    pub const GRAPH_SECRET: &str = "graph-secret";
    pub const TEAMS_URL: &str = "teams-workflow-url";
    pub const RELAY_PASSWORD: &str = "relay-password";
    pub const STATUSPAGE_KEY: &str = "statuspage-key";
    pub const RELAY_CA: &str = "relay-ca.pem";
}

/// Writes a credential file only this user can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

impl Drill {
    /// The `[health]`, `[trace]` and `[updates]` sections pointing at this drill, as TOML
    /// (parsed by [`crate::config::Config::parse`] so that the usual validation runs);
    /// `interval` is the poll interval.
    pub fn config_toml(&self, interval: Duration) -> String {
        let ms = interval.as_millis().max(100);
        let q = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
        let file = |name: &str| q(&self.dir.join(name));
        let components: Vec<String> = statuspage_api::COMPONENTS
            .iter()
            .map(|(name, id)| format!("\"{name}\" = \"{id}\""))
            .collect();
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

[[health.sources]]
name = "relay-queue"
kind = "postfix-queue"
command = ["sh", {queue_script}, "-j"]
warn_count = {warn_count}
alert_count = {alert_count}
warn_age = "1h"
alert_age = "2h"
interval = "{ms}ms"
timeout = "5s"

[[trace.sources]]
name = "ex-drill"
kind = "exchange-logs"
path = {logs}

[[updates.channels]]
name = "drill-teams"
kind = "teams"
url_file = {teams_url}

[[updates.channels]]
name = "drill-mail"
kind = "smtp"
host = "127.0.0.1"
port = {relay_port}
helo = "warroom.drill.invalid"
from = "{relay_user}"
to = ["it-major-incidents@drill.invalid", "helpdesk-leads@drill.invalid"]
username = "{relay_user}"
password_file = {relay_password}
ca_file = {relay_ca}
timeout = "10s"

[[updates.channels]]
name = "drill-status"
kind = "statuspage"
audience = "external"
page_id = "{page}"
api_key_file = {statuspage_key}
base_url = "{base}/v1"
components = {{ {components} }}
"#,
            tenant = self.tenant,
            client = self.client_id,
            secret = file(files::GRAPH_SECRET),
            teams_url = file(files::TEAMS_URL),
            relay_port = self.relay_port,
            relay_user = RELAY_USER,
            relay_password = file(files::RELAY_PASSWORD),
            relay_ca = file(files::RELAY_CA),
            page = statuspage_api::PAGE_ID,
            statuspage_key = file(files::STATUSPAGE_KEY),
            components = components.join(", "),
            base = self.http_base,
            port = self.smtp_port,
            logs = q(&self.log_dir),
            queue_script = q(&queue::script_path(&self.dir)),
            warn_count = queue::WARN_COUNT,
            alert_count = queue::ALERT_COUNT,
        )
    }
}
