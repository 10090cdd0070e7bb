//! The command line: clap definitions and one small function per verb over the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, Paths, PlaybookCatalog};
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::{EntryKind, Severity, entry_text};
use crate::domain::text::{FIELD_CAP, sanitize_line};
use crate::domain::time::{WithOffset, parse_when};
use crate::store::DataDir;
use crate::store::StoreError;

mod demo;
mod errors;
pub mod output;
mod report;
mod trace;

pub use errors::error_line;

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
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Template name: internal, can, executive, or one of yours [default: [updates] default_template]
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// A channel from [[updates.channels]] to send on (repeat for more); none only prints.
    #[arg(long = "send", value_name = "CHANNEL")]
    pub send: Vec<String>,
    /// Print the update and, for each --send channel, exactly what would be posted
    /// (credentials masked), without sending or recording it.
    #[arg(long)]
    pub dry_run: bool,
    /// Send to external channels (audience = "external") without asking.
    #[arg(long)]
    pub yes: bool,
    /// A Statuspage component's status, NAME=STATUS (repeatable) [default: from the severity]
    #[arg(long = "component", value_name = "NAME=STATUS")]
    pub components: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlaybookVerb {
    /// One playbook a line: id, name, number of steps.
    List,
    /// Every section and step of a playbook.
    Show {
        /// Playbook id (see `warroom playbook list`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What is happening, in a few words.
    #[arg(long)]
    pub title: String,
    /// sev1 (worst) to sev4.
    #[arg(long, default_value = "sev2", value_parser = parse_severity)]
    pub severity: Severity,
    /// Playbook to attach (`none` for none); more can be attached in the console.
    #[arg(long, default_value = crate::domain::playbook::DEFAULT_PLAYBOOK)]
    pub playbook: String,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// note, action, decision or comms.
    #[arg(long, default_value = "note", value_parser = parse_kind)]
    pub kind: EntryKind,
    /// When it happened: -5m, -1h30m, 14:32, "2026-11-30 14:32", or RFC 3339 [default: now]
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// What happened.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub text: Vec<String>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse_loose(s)
}

fn parse_kind(s: &str) -> Result<EntryKind, String> {
    let k: EntryKind = s.parse()?;
    if EntryKind::TYPED.contains(&k) {
        Ok(k)
    } else {
        Err(format!(
            "{s:?} entries are written by warroom itself: use note, action, decision or comms"
        ))
    }
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
    match cli.command {
        None => open(&data, &paths, &config, None),
        Some(Verb::Open { id }) => open(&data, &paths, &config, id.as_deref()),
        Some(Verb::New(a)) => {
            let title = sanitize_line(&a.title, FIELD_CAP);
            if title.is_empty() {
                bail!(
                    "the title is empty: say what is happening, e.g. --title \"Exchange Online mail delayed\""
                );
            }
            let catalog = load_catalog(&paths);
            let extra = attach_events(&catalog, &a.playbook)?;
            let id = data.create_with(
                &title,
                a.severity,
                &config.author(),
                chrono::Utc::now(),
                false,
                extra,
            )?;
            writeln!(out, "{id}")?;
            Ok(())
        }
        Some(Verb::List { json }) => {
            let list = data.list()?;
            if json {
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else if list.is_empty() {
                writeln!(
                    out,
                    "no incidents yet: start one with `warroom new --title TEXT`"
                )?;
            } else {
                let zone = config.zone();
                for item in list {
                    let s = match item {
                        crate::store::Listed::Ok(s) => s,
                        crate::store::Listed::Broken(b) => {
                            // Never left out: say why it cannot be shown.
                            writeln!(
                                out,
                                "{}\t-\t-\t-\t-\t{} ({})",
                                b.id,
                                b.problem,
                                b.journal.display()
                            )?;
                            continue;
                        }
                    };
                    let closed = s
                        .closed
                        .map(|c| WithOffset(c, zone).to_string())
                        .unwrap_or_else(|| "open".into());
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}{}",
                        s.id,
                        s.severity.label(),
                        s.status,
                        WithOffset(s.opened, zone),
                        closed,
                        s.title,
                        if s.drill { "\t[DRILL]" } else { "" }
                    )?;
                }
            }
            Ok(())
        }
        Some(Verb::Log(a)) => {
            let id = data.pick(a.incident.as_deref())?;
            let now = chrono::Utc::now();
            let at =
                a.at.as_deref()
                    .map(|w| parse_when(w, now, config.zone()))
                    .transpose()?;
            let text = entry_text(&a.text.join(" ")).map_err(anyhow::Error::msg)?;
            if text.is_empty() {
                bail!("the entry has no text: say what happened");
            }
            let loaded = data.load(&id)?;
            if loaded.incident.is_closed() {
                bail!(
                    "incident {id} is closed: reopen it first with `warroom reopen --incident {id}`"
                );
            }
            let occurred_at = match at {
                Some(at) => {
                    checked_typed_time(at, now, &loaded.incident, config.zone()).context("--at")?
                }
                None => now,
            };
            let ev = Event::new(
                now,
                config.author(),
                EventBody::EntryAdded {
                    occurred_at,
                    kind: a.kind,
                    text,
                    step: None,
                },
            );
            data.journal(&id)?.append(&ev)?;
            writeln!(out, "{}", ev.id)?;
            Ok(())
        }
        Some(Verb::Timeline { incident, json }) => {
            let id = data.pick(incident.as_deref())?;
            let inc = data.load(&id)?.incident;
            if json {
                let entries: Vec<serde_json::Value> = inc
                    .visible_entries()
                    .map(|e| {
                        serde_json::json!({
                            "id": e.id,
                            "occurred_at": e.occurred_at,
                            "logged_at": e.logged_at,
                            "author": e.author,
                            "kind": e.kind,
                            "text": e.text,
                            "pinned": e.pinned,
                        })
                    })
                    .collect();
                let doc =
                    serde_json::json!({"incident": inc.id, "title": inc.title, "entries": entries});
                serde_json::to_writer_pretty(&mut *out, &doc)?;
                writeln!(out)?;
            } else {
                let zone = config.zone();
                writeln!(
                    out,
                    "# {} · {} · {} · {}",
                    inc.id,
                    inc.severity.label(),
                    inc.status,
                    inc.title
                )?;
                for e in inc.visible_entries() {
                    writeln!(
                        out,
                        "{}{}  {:<8} {:<12} {}",
                        if e.pinned { "* " } else { "  " },
                        WithOffset(e.occurred_at, zone),
                        e.kind.as_str(),
                        e.author,
                        e.text.replace('\n', "\n    ")
                    )?;
                }
            }
            Ok(())
        }
        Some(Verb::Playbook(PlaybookVerb::List)) => {
            let catalog = load_catalog(&paths);
            for (pb, _) in &catalog.playbooks {
                writeln!(out, "{}\t{}\t{} steps", pb.id, pb.name, pb.step_count())?;
            }
            Ok(())
        }
        Some(Verb::Playbook(PlaybookVerb::Show { id })) => {
            let catalog = load_catalog(&paths);
            let Some((pb, _)) = catalog.get(&id) else {
                bail!("no playbook {id:?}: known ones are {}", catalog.ids());
            };
            writeln!(out, "{} ({})", pb.name, pb.id)?;
            if !pb.description.is_empty() {
                writeln!(out, "\n{}", pb.description)?;
            }
            for sec in &pb.sections {
                writeln!(out, "\n## {}", sec.title)?;
                for st in &sec.steps {
                    let mut facts = Vec::new();
                    if let Some(o) = &st.owner {
                        facts.push(format!("owner {o}"));
                    }
                    if let Some(d) = st.due {
                        facts.push(format!("due T+{}", crate::domain::time::format_duration(d)));
                    }
                    if let Some(c) = st.check_back {
                        facts.push(format!(
                            "check back every {}",
                            crate::domain::time::format_duration(c)
                        ));
                    }
                    if st.required {
                        facts.push("required".into());
                    }
                    writeln!(out, "\n- [{}] {} ({})", st.id, st.title, facts.join(", "))?;
                    for line in st.detail.lines() {
                        writeln!(out, "    {line}")?;
                    }
                }
            }
            Ok(())
        }
        Some(Verb::Feed { once, json }) => feed(&config, once, json, out),
        Some(Verb::Trace(a)) => trace::trace(&config, a, out),
        Some(Verb::Close(a)) => report::close(&data, &config, a, out),
        Some(Verb::Reopen(a)) => report::reopen(&data, &config, a, out),
        Some(Verb::Export(a)) => report::export(&data, &config, a, out),
        Some(Verb::Update(a)) => {
            let req = crate::updates::headless::UpdateRequest {
                incident: a.incident,
                template: a.template,
                send: a.send,
                dry_run: a.dry_run,
                yes: a.yes,
                components: a.components,
            };
            crate::updates::headless::run(&data, &config, &req, out)
        }
        Some(Verb::Demo(a)) => demo::demo(&data, &paths, &config, a),
        Some(Verb::Keys) => {
            let map = crate::tui::keymap::Keymap::with_overrides(&config.keys)
                .map_err(anyhow::Error::msg)?;
            write!(out, "{}", map.listing())?;
            Ok(())
        }
    }
}

/// The console draws on standard output and reads keys from standard input: both must be a
/// terminal. Checked before anything is created.
fn require_terminal(what: &str) -> anyhow::Result<()> {
    let which = match (
        std::io::stdin().is_terminal(),
        std::io::stdout().is_terminal(),
    ) {
        (true, true) => return Ok(()),
        (false, false) => "standard input and standard output are not terminals",
        (false, true) => "standard input is not a terminal",
        (true, false) => "standard output is not a terminal",
    };
    bail!(
        "{what} needs a terminal, but {which}: run it from an interactive shell, not through a pipe, a redirection or a script; nothing was created"
    )
}

/// Whether the verb prints JSON on standard output (otherwise text for a person).
fn prints_json(verb: Option<&Verb>) -> bool {
    match verb {
        Some(Verb::List { json })
        | Some(Verb::Timeline { json, .. })
        | Some(Verb::Feed { json, .. }) => *json,
        Some(Verb::Trace(a)) => a.json,
        Some(Verb::Export(a)) => a.format == crate::export::Format::Json,
        _ => false,
    }
}

fn open(
    data: &DataDir,
    paths: &Paths,
    config: &Config,
    wanted: Option<&str>,
) -> anyhow::Result<()> {
    require_terminal("the console")?;
    let id = match data.pick(wanted) {
        Ok(id) => id,
        Err(StoreError::NoneOpen) if wanted.is_none() => {
            let stdin = std::io::stdin();
            if !stdin.is_terminal() {
                bail!("there is no open incident: start one with `warroom new --title TEXT`");
            }
            crate::diag!("No open incident. Title for a new one (empty to cancel): ");
            std::io::stderr().flush()?;
            let mut line = String::new();
            stdin.read_line(&mut line)?;
            let title = sanitize_line(&line, FIELD_CAP);
            if title.is_empty() {
                bail!("no title given: nothing was created");
            }
            let catalog = load_catalog(paths);
            let extra = attach_events(&catalog, crate::domain::playbook::DEFAULT_PLAYBOOK)?;
            let id = data.create_with(
                &title,
                Severity::Sev2,
                &config.author(),
                chrono::Utc::now(),
                false,
                extra,
            )?;
            crate::diagln!("opened incident {id}");
            id
        }
        Err(e) => return Err(e.into()),
    };
    data.set_current(&id).ok();
    init_logging(paths);
    let catalog = load_catalog(paths);
    crate::tui::run_console(data, &id, config, catalog)
        .with_context(|| format!("console on incident {id}"))
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

/// `warroom feed`: the health sources without the console.
fn feed(config: &Config, once: bool, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    use crate::domain::health::{SourceSnapshot, diff};
    use crate::health::{SourceContext, feed_json, poll_source, spawn_pollers};
    use crate::net::{HttpClient, HttpOptions};

    let sources = config.health.sources.clone();
    if sources.is_empty() {
        bail!(
            "no health sources are configured: add [[health.sources]] to the config file (see assets/config.toml)"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if once {
        let http = HttpClient::new(HttpOptions::default())?;
        let snaps: Vec<SourceSnapshot> = runtime.block_on(async {
            let tasks: Vec<_> = sources
                .iter()
                .cloned()
                .map(|cfg| {
                    let http = http.clone();
                    tokio::spawn(async move {
                        let mut ctx = SourceContext::new(http);
                        poll_source(&cfg, &mut ctx).await
                    })
                })
                .collect();
            let mut out = Vec::new();
            for (t, cfg) in tasks.into_iter().zip(&sources) {
                out.push(t.await.unwrap_or_else(|e| {
                    SourceSnapshot::failed(
                        &cfg.name,
                        cfg.kind.name(),
                        None,
                        format!("the poll crashed: {e}"),
                        chrono::Utc::now(),
                    )
                }));
            }
            out
        });
        if json {
            serde_json::to_writer_pretty(&mut *out, &feed_json(&snaps))?;
            writeln!(out)?;
        } else {
            for s in &snaps {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    s.name,
                    s.kind,
                    s.level.as_str(),
                    s.last_error.as_deref().unwrap_or("ok")
                )?;
                for i in &s.items {
                    writeln!(
                        out,
                        "  {}\t{}\t{}\t{}",
                        i.id,
                        i.level.as_str(),
                        i.status,
                        i.title
                    )?;
                }
            }
        }
        let failed: Vec<String> = snaps
            .iter()
            .filter_map(|s| s.last_error.as_ref().map(|e| format!("{}: {e}", s.name)))
            .collect();
        if !failed.is_empty() {
            bail!("{} source(s) failed: {}", failed.len(), failed.join("; "));
        }
        return Ok(());
    }
    runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let _pollers = spawn_pollers(sources, tx);
        let mut last: std::collections::HashMap<String, SourceSnapshot> = Default::default();
        loop {
            tokio::select! {
                r = rx.recv() => {
                    let Some(r) = r else { break };
                    let snap = r.snapshot;
                    if let Some(e) = &snap.last_error {
                        crate::diagln!("warroom: {}: {e}", snap.name);
                    }
                    for c in diff(last.get(&snap.name), &snap) {
                        if json {
                            writeln!(out, "{}", serde_json::to_string(&c)?)?;
                        } else {
                            writeln!(out, "{}  {}", snap.polled_at.format("%Y-%m-%dT%H:%M:%SZ"), c.text)?;
                        }
                        out.flush()?;
                    }
                    if output::reader_gone() {
                        // `warroom feed | head -3`: nobody reads any more.
                        break;
                    }
                    last.insert(snap.name.clone(), snap);
                }
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        Ok(())
    })
}
