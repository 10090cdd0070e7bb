//! The console: state and `update` (app), keys (keymap), drawing (ui), the loop and the
//! terminal.

pub mod action;
pub mod app;
pub mod commands;
pub mod cursor;
pub mod effects;
pub mod event_loop;
pub mod keymap;
pub mod layout;
pub mod look;
pub mod modal;
pub mod pane;
pub mod panes;
pub mod state;
pub mod terminal;
pub mod trace_runner;
pub mod ui;
pub mod update;
pub mod updates_send;
pub mod views;

use tokio::sync::mpsc;

use crate::config::Config;
use crate::store::DataDir;

/// Opens the console on an incident and runs it until it quits.
pub fn run_console(
    data: &DataDir,
    id: &str,
    config: &Config,
    catalog: crate::config::PlaybookCatalog,
) -> anyhow::Result<()> {
    let keymap = keymap::Keymap::with_overrides(&config.keys).map_err(anyhow::Error::msg)?;
    let loaded = data.load(id)?;
    let now = chrono::Utc::now();
    let mut app = app::AppState::new(loaded.incident, config.author(), config.zone(), now);
    app.keymap = keymap;
    app.look = ui::theme::Look::from_env(config.theme);
    app.catalog = catalog.playbooks;
    app.health_sources = config.health.sources.clone();
    app.trace_sources = config.trace.sources.clone();
    app.trace_autostart = config.trace.query.clone();
    app.trace_refresh = config
        .trace
        .refresh
        .as_deref()
        .and_then(crate::domain::time::parse_duration);
    let templates = crate::updates::TemplateCatalog::load(config.updates.templates_dir.as_deref());
    for e in &templates.errors {
        tracing::warn!("{e}");
    }
    app.updates = views::UpdatesState::new(config.updates.clone(), templates);
    if let Some(dir) = &config.review_templates_dir {
        app.review_templates = crate::export::review::ReviewTemplates::load(dir);
        for e in &app.review_templates.errors {
            tracing::warn!("{e}");
        }
    }
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    if let Some(notice) = &loaded.notice {
        let text = vec![notice.clone()];
        app = {
            let mut a = app;
            app::update(
                &mut a,
                app::Action::Journal {
                    events: Vec::new(),
                    warnings: text,
                },
            );
            a
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (tx, rx) = mpsc::unbounded_channel();
    let writer = effects::start_writer(data.journal_path(id), loaded.reader, tx.clone());
    let (mut signals, runner) = {
        let _in_runtime = runtime.enter();
        let signals = event_loop::QuitSignals::install()?;
        let mut runner = effects::EffectRunner::start(&app, writer, tx, data.incident_dir(id));
        runner.start_team(&config.team, id, &config.author());
        (signals, runner)
    };
    let mut guard = terminal::TerminalGuard::enter()?;
    let result = runtime.block_on(event_loop::run(
        &mut guard.terminal,
        &mut signals,
        app,
        runner,
        rx,
    ));
    drop(guard);
    let app = result?;
    if !app.unsaved.is_empty() {
        crate::diagln!(
            "warroom: these changes could not be saved; their text follows so it is not lost:"
        );
        for (ev, err) in &app.unsaved {
            crate::diagln!(
                "  {} ({err})",
                crate::domain::text::escape_json_controls(
                    &serde_json::to_string(ev).unwrap_or_default()
                )
            );
        }
        anyhow::bail!("{} change(s) not saved", app.unsaved.len());
    }
    Ok(())
}
