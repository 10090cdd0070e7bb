//! `warroom close`, `warroom reopen` and `warroom export`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;

use crate::config::Config;
use crate::domain::closing::{FollowUp, KeyTime, required_open, required_open_text};
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::Incident;
use crate::domain::text::{BODY_CAP, FIELD_CAP, sanitize, sanitize_line};
use crate::domain::time::{Zone, parse_when};
use crate::export::{self, ExportOptions, Format};
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// What happened, in a few sentences (asked for when missing and run in a terminal).
    #[arg(long)]
    pub summary: Option<String>,
    /// Who and what was affected, for how long.
    #[arg(long)]
    pub impact: Option<String>,
    /// The root cause as far as it is known.
    #[arg(long = "root-cause", value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// A follow-up action: "action|owner|due" (due may be left out); repeat for more.
    #[arg(long = "follow-up", value_name = "ACTION|OWNER|DUE")]
    pub follow_ups: Vec<String>,
    /// Close although required playbook steps are open, saying why (it is logged).
    #[arg(long = "override", value_name = "REASON")]
    pub override_reason: Option<String>,
    /// Set the started key time (first symptom): -5m, 14:32, "2026-11-30 14:32", RFC 3339.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub started: Option<String>,
    /// Set the detected key time.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub detected: Option<String>,
    /// Set the acknowledged key time.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub acknowledged: Option<String>,
    /// Set the mitigated key time.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub mitigated: Option<String>,
    /// Set the resolved key time.
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub resolved: Option<String>,
    /// Also resolve the Statuspage incident(s) the updates opened (asked when run in a terminal).
    #[arg(long)]
    pub resolve_statuspage: bool,
    /// The status to leave the incident in [default: resolved]; its current one
    /// (e.g. investigating) keeps it.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Option<crate::domain::incident::Status>,
}

fn parse_status(s: &str) -> Result<crate::domain::incident::Status, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Why it is reopened (logged in the timeline).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// md, html, json or csv; or claim, the service-credit claim pack (Markdown).
    #[arg(long, value_parser = parse_format)]
    pub format: Format,
    /// With --format claim: keep the health sources and support cases whose name contains this.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// Zone for the times: an IANA name, UTC or local [default: the configured one]
    #[arg(long, value_name = "ZONE", value_parser = parse_zone)]
    pub tz: Option<Zone>,
    /// Only pinned entries in the timeline.
    #[arg(long)]
    pub pinned_only: bool,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only the post-incident review (with --format md).
    #[arg(long)]
    pub review_only: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_zone(s: &str) -> Result<Zone, String> {
    s.parse()
}

/// Asks on the terminal for a missing field; empty when not run in a terminal.
fn ask(question: &str) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(String::new());
    }
    crate::diag!("{question}: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    stdin.read_line(&mut line)?;
    Ok(line)
}

/// `warroom close`.
pub fn close(
    data: &DataDir,
    config: &Config,
    a: CloseArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick_any(a.incident.as_deref())?;
    let inc = data.load(&id)?.incident;
    if inc.is_closed() {
        bail!(
            "incident {id} is closed already: `warroom reopen --incident {id}` first to change it"
        );
    }
    let now = chrono::Utc::now();
    let zone = config.zone();
    let mut bodies = Vec::new();
    for (which, flag) in [
        (KeyTime::Started, &a.started),
        (KeyTime::Detected, &a.detected),
        (KeyTime::Acknowledged, &a.acknowledged),
        (KeyTime::Mitigated, &a.mitigated),
        (KeyTime::Resolved, &a.resolved),
    ] {
        if let Some(w) = flag {
            let at = parse_when(w, now, zone)
                .map_err(anyhow::Error::from)
                .and_then(|at| super::checked_typed_time(at, now, &inc, zone))
                .with_context(|| format!("--{which}"))?;
            bodies.push(EventBody::KeyTimeSet { which, time: at });
        }
    }
    let open = required_open(&inc);
    let override_reason = a
        .override_reason
        .as_deref()
        .map(|r| sanitize_line(r, FIELD_CAP))
        .filter(|r| !r.is_empty());
    if !open.is_empty() && override_reason.is_none() {
        bail!(
            "cannot close incident {id}: {}. Tick or skip them in the console's playbook pane, or close anyway with --override \"why\"",
            required_open_text(&open)
        );
    }
    let summary = match &a.summary {
        Some(s) => s.clone(),
        None => ask("Summary (what happened)")?,
    };
    let summary = sanitize(summary.trim(), BODY_CAP);
    if summary.is_empty() {
        bail!(
            "the summary is empty: say in a sentence or two what happened, e.g. --summary \"Inbound mail queued for 2h after an MX change\""
        );
    }
    let impact = match &a.impact {
        Some(s) => s.clone(),
        None if a.summary.is_none() => ask("Impact (who and what was affected)")?,
        None => String::new(),
    };
    let root_cause = match &a.root_cause {
        Some(s) => s.clone(),
        None if a.summary.is_none() => ask("Root cause (as far as known)")?,
        None => String::new(),
    };
    let follow_ups = a
        .follow_ups
        .iter()
        .map(|f| FollowUp::parse(f).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // Closing says what it did: the status it leaves, logged by the closer before the close.
    let status_change = crate::domain::closing::status_change_at_close(&inc, a.status);
    if let Some(status) = status_change {
        bodies.push(EventBody::StatusSet { status });
    }
    bodies.push(EventBody::Closed {
        summary,
        impact: sanitize(impact.trim(), BODY_CAP),
        root_cause: sanitize(root_cause.trim(), BODY_CAP),
        follow_ups,
        override_reason: if open.is_empty() {
            None
        } else {
            override_reason
        },
    });
    let mut journal = data.journal(&id)?;
    for body in bodies {
        journal.append(&Event::new(now, config.author(), body))?;
    }
    match status_change {
        Some(s) => writeln!(out, "status: {} → {s}", inc.status)?,
        None => writeln!(out, "status: {} (kept)", inc.status)?,
    }
    writeln!(out, "closed {id}")?;
    let (inc, events, _) = data.load_events(&id)?;
    let opts = ExportOptions {
        zone,
        pinned_only: false,
        generated_at: now,
    };
    let paths = export::write_all(&data.exports_dir(&id), &inc, &events, &opts).with_context(
        || format!("the incident is closed, but its reports were not written (run `warroom export --incident {id}` once fixed)"),
    )?;
    writeln!(
        out,
        "reports written to {}:",
        data.exports_dir(&id).display()
    )?;
    for p in paths {
        writeln!(out, "  {}", p.display())?;
    }
    offer_statuspage_resolution(data, config, &id, &inc, a.resolve_statuspage, out)
}

/// A Statuspage incident our updates opened should not stay open: resolve it with
/// `--resolve-statuspage`, or when the person at the terminal says yes; otherwise say so.
/// `inc` is incident `id` as the close left it.
fn offer_statuspage_resolution(
    data: &DataDir,
    config: &Config,
    id: &str,
    inc: &Incident,
    resolve: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let open = crate::updates::send::open_statuspage(&config.updates.channels, inc);
    if open.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = open
        .iter()
        .map(|(c, inc_id)| format!("{} ({inc_id})", c.name))
        .collect();
    let go = resolve || {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal()
            && ask(&format!(
                "Resolve the Statuspage incident on {} too? [y/N]",
                list.join(", ")
            ))?
            .trim()
            .eq_ignore_ascii_case("y")
    };
    if !go {
        crate::diagln!(
            "warroom: the Statuspage incident on {} is still open; resolve it on the page (or reopen and close again with --resolve-statuspage)",
            list.join(", ")
        );
        return Ok(());
    }
    let lines = crate::updates::headless::resolve_statuspage(data, config, id, inc)?;
    for l in &lines {
        writeln!(out, "{l}")?;
    }
    if lines.iter().any(|l| l.contains("NOT resolved")) {
        bail!(
            "the incident is closed, but its Statuspage incident could not be resolved: resolve it on the page"
        );
    }
    Ok(())
}

/// `warroom reopen`.
pub fn reopen(
    data: &DataDir,
    config: &Config,
    a: ReopenArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = match &a.incident {
        Some(w) => data.resolve(w)?,
        None => match data.current() {
            Some(c) => c,
            None => match data.latest(crate::store::Which::Closed)? {
                Some(id) => id,
                None => {
                    bail!("there is no closed incident to reopen: `warroom list` shows them all")
                }
            },
        },
    };
    let inc = data.load(&id)?.incident;
    if !inc.is_closed() {
        bail!("incident {id} is not closed: there is nothing to reopen");
    }
    let reason = a
        .reason
        .as_deref()
        .map(|r| sanitize_line(r, FIELD_CAP))
        .filter(|r| !r.is_empty());
    let ev = Event::new(
        chrono::Utc::now(),
        config.author(),
        EventBody::Reopened { reason },
    );
    data.journal(&id)?.append(&ev)?;
    data.set_current(&id).ok();
    writeln!(out, "reopened {id}")?;
    Ok(())
}

/// `warroom export`.
pub fn export(
    data: &DataDir,
    config: &Config,
    a: ExportArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick_any(a.incident.as_deref())?;
    let (inc, events, _) = data.load_events(&id)?;
    let opts = ExportOptions {
        zone: a.tz.unwrap_or_else(|| config.zone()),
        pinned_only: a.pinned_only,
        generated_at: chrono::Utc::now(),
    };
    if a.provider.is_some() && a.format != Format::Claim {
        bail!("--provider goes with --format claim (the claim pack for one provider)");
    }
    let text = if a.review_only {
        if a.format != Format::Markdown {
            bail!("--review-only prints the review as Markdown: use it with --format md");
        }
        export::review::markdown(&inc, opts.zone)
    } else if a.format == Format::Claim {
        export::claim::render(&inc, &opts, a.provider.as_deref())
    } else {
        export::render(a.format, &inc, &events, &opts)
    };
    match &a.output {
        Some(path) => {
            export::write_file(path, &text)?;
            crate::diagln!("wrote {}", path.display());
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}
