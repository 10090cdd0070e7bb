//! The command line: the clap definitions of the verbs and the dispatch (here), and one module
//! per verb (or family of verbs) over the library, with the helpers they share.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Parser, Subcommand};

use crate::config::{Paths, PlaybookCatalog};
use crate::domain::event::EventBody;
use crate::store::DataDir;

mod demo;
mod errors;
mod evidence;
mod feed;
mod followups;
mod handoff;
mod join;
mod keys;
mod list;
mod log;
mod new;
mod open;
pub mod output;
mod playbook;
mod report;
mod review;
mod set;
mod share;
mod stats;
mod sync;
mod ticket;
mod timeline;
mod trace;
mod update;

pub use errors::error_line;
pub use log::LogArgs;
pub use new::NewArgs;
use open::require_terminal;
pub use playbook::PlaybookVerb;
pub use update::UpdateArgs;

/// A terminal war-room console for cloud mail outages.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about, long_about = None)]
pub struct Cli {
    /// Config file [default: ~/.config/warroom/config.toml]
    #[arg(long, global = true, env = "WARROOM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where incidents are kept [default: ~/.local/share/warroom]
    #[arg(long, global = true, env = "WARROOM_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Verb>,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Open a new incident, print its id and make it current.
    New(NewArgs),
    /// List incidents: id, title, severity, status, opened, closed.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add an entry to an incident's timeline; exits 0 only once it is on disk.
    Log(LogArgs),
    /// Print an incident's timeline in occurred order.
    Timeline {
        /// Incident id (or a unique part of it) [default: the current one]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Open the console on an incident [default: the current or latest open one].
    Open {
        /// Incident id (or a unique part of it)
        id: Option<String>,
    },
    /// List the console's key bindings (after the config's overrides).
    Keys,
    /// Poll every health source: once (`--once`), or on and on, printing each change.
    Feed {
        /// Poll each source once, print what it said, and exit (non-zero if any failed).
        #[arg(long)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// Query message-trace logs: configured sources, or folders and files named here.
    Trace(trace::TraceArgs),
    /// The response playbooks: built-in and your own.
    #[command(subcommand)]
    Playbook(PlaybookVerb),
    /// Close an incident: summary, impact, root cause, follow-ups; writes every report format.
    Close(report::CloseArgs),
    /// Reopen a closed incident (logged).
    Reopen(report::ReopenArgs),
    /// Write the post-incident report in one format.
    Export(report::ExportArgs),
    /// Render a stakeholder update from the incident's state, print it, and send it.
    Update(UpdateArgs),
    /// Run a live outage drill on loopback (no network needed) and open the console on it.
    Demo(demo::DemoArgs),
    /// Evidence kept with a chain of custody: add files, run a command, list, verify.
    #[command(subcommand)]
    Evidence(evidence::EvidenceVerb),
    /// Support cases with the provider: `ticket add REF`.
    #[command(subcommand)]
    Ticket(ticket::TicketVerb),
    /// Write the post-incident review in $EDITOR (prefilled from the incident), or --print it.
    Review(review::ReviewArgs),
    /// List follow-ups (owner, due, state), mark them done or dropped, push them to a tracker.
    Followups(followups::FollowupsArgs),
    /// Figures across incidents: by severity, time to detect/acknowledge/mitigate/resolve,
    /// updates on time, follow-ups.
    Stats(stats::StatsArgs),
    /// Share an incident with the team (team mode): its history now, every change after.
    Share(share::ShareArgs),
    /// Fetch a shared incident into a local journal and make it current; --list lists them.
    Join(join::JoinArgs),
    /// Push what waits to be shared and pull what is new, once (team mode, for scripts).
    Sync(sync::SyncArgs),
    /// Change the incident's header: title, severity, status, roles (one event per change).
    Set(set::SetArgs),
    /// Pass the commander role to NAME with a handoff brief (one timeline entry).
    Handoff(handoff::HandoffArgs),
}

/// Runs the command line. Errors are printed by `main` as one line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let (paths, config) = Paths::resolve(cli.config, cli.data_dir)?;
    // Every journal that had lines skipped is reported once, on stderr.
    let data = DataDir::new(&paths.data_dir).reporting(|n| crate::diagln!("warroom: warning: {n}"));
    let mode = if prints_json(cli.command.as_ref()) {
        output::Mode::Json
    } else {
        output::Mode::Text
    };
    let out = &mut output::Output::new(std::io::stdout().lock(), mode);
    if matches!(
        cli.command,
        Some(Verb::Share(_) | Verb::Join(_) | Verb::Sync(_))
    ) {
        // What team mode drops from the stream is said in the log.
        init_logging(&paths);
    }
    let result = match cli.command {
        None => open::open(&data, &paths, &config, None),
        Some(Verb::Open { id }) => open::open(&data, &paths, &config, id.as_deref()),
        Some(Verb::New(a)) => new::new(&data, &paths, &config, a, out),
        Some(Verb::List { json }) => list::list(&data, &config, json, out),
        Some(Verb::Log(a)) => log::log(&data, &config, a, out),
        Some(Verb::Timeline { incident, json }) => {
            timeline::timeline(&data, &config, incident.as_deref(), json, out)
        }
        Some(Verb::Playbook(v)) => playbook::playbook(&paths, v, out),
        Some(Verb::Feed { once, json }) => feed::feed(&config, once, json, out),
        Some(Verb::Trace(a)) => trace::trace(&config, a, out),
        Some(Verb::Close(a)) => report::close(&data, &config, a, out),
        Some(Verb::Reopen(a)) => report::reopen(&data, &config, a, out),
        Some(Verb::Export(a)) => report::export(&data, &config, a, out),
        Some(Verb::Update(a)) => update::update(&data, &config, a, out),
        Some(Verb::Demo(a)) => demo::demo(&data, &paths, &config, a),
        Some(Verb::Keys) => keys::keys(&config, out),
        Some(Verb::Evidence(v)) => evidence::evidence(&data, &config, v, out),
        Some(Verb::Ticket(v)) => ticket::ticket(&data, &config, v, out),
        Some(Verb::Review(a)) => review::review(&data, &paths, &config, a, out),
        Some(Verb::Followups(a)) => followups::followups(&data, &config, a, out),
        Some(Verb::Stats(a)) => stats::stats(&data, &config, a, out),
        Some(Verb::Share(a)) => share::share(&data, &config, a, out),
        Some(Verb::Join(a)) => join::join(&data, &config, a, out),
        Some(Verb::Sync(a)) => sync::sync(&data, &config, a, out),
        Some(Verb::Set(a)) => set::set(&data, &config, a, out),
        Some(Verb::Handoff(a)) => handoff::handoff(&data, &config, a, out),
    };
    // Team mode: what a verb appended to a shared incident is published now that it is on
    // disk, or stays queued (said on stderr) when the server cannot be reached.
    if let Some(line) = crate::team::verbs::share_after(&data, &config.team) {
        crate::diagln!("warroom: {line}");
    }
    result
}

/// Whether the verb prints JSON on standard output (otherwise text for a person).
fn prints_json(verb: Option<&Verb>) -> bool {
    match verb {
        Some(Verb::List { json })
        | Some(Verb::Timeline { json, .. })
        | Some(Verb::Feed { json, .. }) => *json,
        Some(Verb::Trace(a)) => a.json,
        Some(Verb::Export(a)) => a.format == crate::export::Format::Json,
        Some(Verb::Evidence(v)) => v.json(),
        Some(Verb::Followups(a)) => followups::prints_json(a),
        Some(Verb::Stats(a)) => a.json,
        Some(Verb::Join(a)) => a.json,
        Some(Verb::Set(a)) => a.json,
        _ => false,
    }
}

/// A time a person typed for `inc`, checked by the rule for typed times (refused in the future
/// or before 2000; a warning on stderr when long before the opening).
pub(crate) fn checked_typed_time(
    at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    inc: &crate::domain::incident::Incident,
    zone: crate::domain::time::Zone,
) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Some(w) = crate::domain::time::check_typed_time(at, now, Some(inc.opened_at), zone)? {
        crate::diagln!("warroom: warning: {w}");
    }
    Ok(at)
}

/// The playbook catalog; problems in the user's files are reported on stderr and skipped.
fn load_catalog(paths: &Paths) -> PlaybookCatalog {
    let catalog = PlaybookCatalog::load(&paths.config_dir.join("playbooks"));
    for e in &catalog.errors {
        crate::diagln!("warroom: warning: playbook skipped: {e}");
    }
    catalog
}

/// The event that attaches playbook `id`, or none for `none`.
fn attach_events(catalog: &PlaybookCatalog, id: &str) -> anyhow::Result<Vec<EventBody>> {
    if id == "none" {
        return Ok(Vec::new());
    }
    let Some((pb, source)) = catalog.get(id) else {
        bail!(
            "no playbook {id:?}: known ones are {} (or none)",
            catalog.ids()
        );
    };
    Ok(vec![EventBody::PlaybookAttached {
        playbook: pb.id.clone(),
        source: source.clone(),
    }])
}

/// Logs go to `<data dir>/warroom.log`, never to the terminal the console owns.
fn init_logging(paths: &Paths) {
    let path = paths.data_dir.join("warroom.log");
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}
