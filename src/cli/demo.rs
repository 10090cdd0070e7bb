//! `warroom demo`: a live outage drill on loopback, opened in the console.

use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use crate::config::{Config, Paths};
use crate::domain::incident::Severity;
use crate::drill::{DEFAULT_SCENARIO, Scenario, files};
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A built-in scenario (exo-mailflow) or a scenario TOML file
    #[arg(long, default_value = DEFAULT_SCENARIO, value_name = "NAME|FILE")]
    pub scenario: String,
    /// How many times faster than real time the drill runs (10 compresses 10 minutes into 1)
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

/// Starts the drill servers and the log writer, creates a drill incident with the default
/// playbook, and opens the console on it with its sources pointed at the drill.
pub fn demo(data: &DataDir, paths: &Paths, config: &Config, a: DemoArgs) -> anyhow::Result<()> {
    if !(a.speed.is_finite() && a.speed > 0.0 && a.speed <= 1000.0) {
        anyhow::bail!("--speed must be a number above 0 and at most 1000, e.g. --speed 10");
    }
    let scenario = Scenario::load(&a.scenario)?;
    // Before anything is created: no incident, drill folder or secret without a console.
    super::require_terminal("warroom demo")?;
    let catalog = super::load_catalog(paths);
    let extra = super::attach_events(&catalog, crate::domain::playbook::DEFAULT_PLAYBOOK)?;
    let title = format!("Drill: {}", scenario.name);
    let id = data.create_with(
        &crate::domain::text::sanitize_line(&title, crate::domain::text::FIELD_CAP),
        Severity::Sev2,
        &config.author(),
        chrono::Utc::now(),
        true,
        extra,
    )?;
    let drill_dir = paths.data_dir.join("drills").join(&id);
    std::fs::create_dir_all(&drill_dir)
        .with_context(|| format!("cannot create {}", drill_dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let update_every = scenario.update_every;
    // The credentials `drill::start` writes go when the drill ends, however it ends.
    let _secrets = RemovedAtEnd(
        [
            files::GRAPH_SECRET,
            files::TEAMS_URL,
            files::RELAY_PASSWORD,
            files::STATUSPAGE_KEY,
        ]
        .iter()
        .map(|f| drill_dir.join(f))
        .collect(),
    );
    let drill = runtime
        .block_on(crate::drill::start(scenario, a.speed, &drill_dir))
        .with_context(|| format!("cannot start the drill in {}", drill_dir.display()))?;
    let interval = Duration::from_secs(2)
        .div_f64(a.speed)
        .max(Duration::from_millis(250));
    let sources = Config::parse(&drill.config_toml(interval), Path::new("(drill sources)"))?;
    let mut config = config.clone();
    config.health = sources.health;
    config.trace = sources.trace;
    // Only the drill's own channels: a drill never posts to the real Teams, mail or status page.
    config.updates.channels = sources.updates.channels;
    if let Some(every) = update_every {
        // The scenario's update cadence in drill time, so an update falls due during the drill.
        let real = chrono::Duration::from_std(every.div_f64(a.speed))
            .unwrap_or_else(|_| chrono::Duration::minutes(1))
            .max(chrono::Duration::seconds(10));
        config.updates.cadence = crate::domain::updates::Cadence {
            sev1: Some(real),
            sev2: Some(real),
            sev3: Some(real),
            sev4: Some(real),
        };
    }
    // The drill's trace pane opens on the last hour and follows the growing logs.
    config.trace.query = Some("since:1h".into());
    config.trace.refresh = Some(crate::domain::time::format_duration(
        chrono::Duration::seconds((10.0 / a.speed).ceil().max(1.0) as i64),
    ));
    super::init_logging(paths);
    tracing::info!(incident = %id, http = %drill.http_base, smtp = drill.smtp_port, relay = drill.relay_port, "drill started");
    let result = crate::tui::run_console(data, &id, &config, catalog)
        .with_context(|| format!("console on drill incident {id}"));
    runtime.shutdown_background();
    result?;
    crate::diagln!(
        "drill incident {id} is kept (marked as a drill); its logs, the cards, mails and Statuspage incidents its updates sent are in {}",
        drill_dir.display()
    );
    Ok(())
}

/// Files that hold the drill's credentials: removed when the drill ends, however it ends
/// (quit, an error, a signal the console turns into a quit, a panic).
struct RemovedAtEnd(Vec<std::path::PathBuf>);

impl Drop for RemovedAtEnd {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}
