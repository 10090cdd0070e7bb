//! `warroom update`: render a template from the incident's journal, print it, and send it.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;

use super::context::{UpdateContext, audience_of};
use super::outgoing::Outgoing;
use super::send::{preview, send_all};
use super::template::TemplateCatalog;
use crate::config::Config;
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::Incident;
use crate::domain::text::{BODY_CAP, sanitize};
use crate::domain::updates::{Audience, ChannelConfig, ChannelKind, ComponentStatus};
use crate::store::DataDir;

/// What the verb was asked.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub incident: Option<String>,
    pub template: Option<String>,
    pub send: Vec<String>,
    pub dry_run: bool,
    /// Send to external channels without asking.
    pub yes: bool,
    /// `NAME=STATUS` for Statuspage components.
    pub components: Vec<String>,
}

/// The channels named with `--send`, in order, each once.
fn channels_named(config: &Config, names: &[String]) -> anyhow::Result<Vec<ChannelConfig>> {
    let updates = &config.updates;
    let mut channels: Vec<ChannelConfig> = Vec::new();
    for name in names {
        let Some(ch) = updates.channel(name) else {
            if updates.channels.is_empty() {
                bail!(
                    "no update channel {name:?}: none are configured; add [[updates.channels]] to the config (see assets/config.toml)"
                );
            }
            bail!(
                "no update channel {name:?}: configured ones are {}",
                updates.channel_names()
            );
        };
        if !channels.iter().any(|c| c.name == ch.name) {
            channels.push(ch.clone());
        }
    }
    Ok(channels)
}

/// `--component NAME=STATUS` for the Statuspage channels among `channels`: channel → component
/// → status.
fn components_chosen(
    channels: &[ChannelConfig],
    given: &[String],
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, ComponentStatus>>> {
    let mut out: BTreeMap<String, BTreeMap<String, ComponentStatus>> = BTreeMap::new();
    let pages: Vec<(&str, &crate::domain::updates::StatuspageChannel)> = channels
        .iter()
        .filter_map(|c| match &c.kind {
            ChannelKind::Statuspage(s) => Some((c.name.as_str(), s)),
            _ => None,
        })
        .collect();
    for g in given {
        let Some((name, status)) = g.split_once('=') else {
            bail!(
                "--component {g:?}: write it as NAME=STATUS, e.g. --component Email=major_outage"
            );
        };
        let (name, status) = (name.trim(), status.trim());
        let Some(st) = ComponentStatus::parse(status) else {
            let all: Vec<&str> = ComponentStatus::ALL.iter().map(|c| c.as_str()).collect();
            bail!(
                "--component {g:?}: {status:?} is not a component status; use one of {}",
                all.join(", ")
            );
        };
        if pages.is_empty() {
            bail!("--component {g:?}: no Statuspage channel is named with --send");
        }
        let mut found = false;
        for (ch, page) in &pages {
            if page.components.contains_key(name) {
                out.entry(ch.to_string())
                    .or_default()
                    .insert(name.to_string(), st);
                found = true;
            }
        }
        if !found {
            let known: Vec<&str> = pages
                .iter()
                .flat_map(|(_, p)| p.components.keys().map(String::as_str))
                .collect();
            bail!(
                "--component {g:?}: no component {name:?} in the Statuspage channel(s); listed ones are {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    Ok(out)
}

/// Asks on the terminal whether to send to the external channels.
fn confirm_on_terminal(external: &[&str]) -> anyhow::Result<bool> {
    crate::diag!(
        "This update goes to EXTERNAL channel(s): {}. The text above is exactly what they get. Send it? [y/N] ",
        external.join(", ")
    );
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Renders, prints to `out`, and sends unless it is a dry run (which prints, for each channel,
/// exactly what would be posted, credentials masked). Fails naming every channel that did not
/// get the update (the ones that did are recorded in the timeline all the same).
pub fn run(
    data: &DataDir,
    config: &Config,
    req: &UpdateRequest,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let updates = &config.updates;
    let channels = channels_named(config, &req.send)?;
    let components = components_chosen(&channels, &req.components)?;
    let id = data.pick(req.incident.as_deref())?;
    // Skipped journal lines are reported by the data dir, once.
    let inc = data.load(&id)?.incident;
    let catalog = TemplateCatalog::load(updates.templates_dir.as_deref());
    for e in &catalog.errors {
        crate::diagln!("warroom: warning: {e}");
    }
    let name = req
        .template
        .clone()
        .unwrap_or_else(|| updates.default_template.clone());
    let now = chrono::Utc::now();
    let audience = audience_of(channels.iter().map(|c| c.audience));
    let ctx = UpdateContext::build(&inc, None, &updates.cadence, now, config.zone())
        .for_audience(audience);
    let text = sanitize(&catalog.render(&name, &ctx)?, BODY_CAP);
    let mut msg = Outgoing::new(&inc, &ctx, &name, &text, now);
    msg.components = components;
    writeln!(out, "{text}")?;
    if req.dry_run {
        for ch in &channels {
            writeln!(
                out,
                "\n--- {} ({}, {}) ---",
                ch.name,
                ch.kind.word(),
                ch.audience.as_str()
            )?;
            match preview(ch, &msg) {
                Ok(p) => writeln!(out, "{p}")?,
                Err(e) => writeln!(out, "cannot be sent: {e}")?,
            }
        }
        out.flush()?;
        if !channels.is_empty() {
            crate::diagln!("warroom: dry run: nothing was sent");
        }
        return Ok(());
    }
    out.flush()?;
    if channels.is_empty() {
        crate::diagln!(
            "warroom: not sent: name a channel with --send ({})",
            updates.channel_names()
        );
        return Ok(());
    }
    if inc.is_closed() {
        bail!("incident {id} is closed: reopen it before sending updates");
    }
    let external: Vec<&str> = channels
        .iter()
        .filter(|c| c.audience == Audience::External)
        .map(|c| c.name.as_str())
        .collect();
    if !external.is_empty() && !req.yes {
        if !std::io::stdin().is_terminal() {
            bail!(
                "not sent: the update goes to external channel(s) {}; read the text above and add --yes to send it",
                external.join(", ")
            );
        }
        if !confirm_on_terminal(&external)? {
            bail!("not sent: the external channel(s) were not confirmed");
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = crate::net::HttpClient::new(crate::net::HttpOptions::default())?;
    let report = runtime.block_on(send_all(&http, &channels, &msg));
    let ev = Event::new(
        now,
        config.author(),
        EventBody::UpdateSent {
            template: name,
            channels_ok: report.ok.clone(),
            channels_failed: report.failed.clone(),
            text,
            retry_of: None,
            statuspage: report.published.clone(),
        },
    );
    data.journal(&id)?.append(&ev)?;
    for ch in &report.ok {
        match report.published.iter().find(|p| &p.channel == ch) {
            Some(p) => crate::diagln!(
                "warroom: sent to {ch} (Statuspage incident {} on page {}, {})",
                p.incident_id,
                p.page_id,
                p.status
            ),
            None => crate::diagln!("warroom: sent to {ch}"),
        }
    }
    if !report.failed.is_empty() {
        let list: Vec<String> = report
            .failed
            .iter()
            .map(|f| format!("{} ({})", f.channel, f.error))
            .collect();
        let names: Vec<&str> = report.failed.iter().map(|f| f.channel.as_str()).collect();
        bail!(
            "{} channel(s) failed: {}; fix them and send again with --send {}",
            list.len(),
            list.join("; "),
            names.join(" --send ")
        );
    }
    Ok(())
}

/// After `warroom close`: resolves the Statuspage incidents of `inc` (incident `id`, as loaded
/// after the close) still open (the closing summary as the last update, every listed component
/// operational) and records the send. Returns what happened, one line each.
pub fn resolve_statuspage(
    data: &DataDir,
    config: &Config,
    id: &str,
    inc: &Incident,
) -> anyhow::Result<Vec<String>> {
    let channels: Vec<ChannelConfig> = super::send::open_statuspage(&config.updates.channels, inc)
        .into_iter()
        .map(|(c, _)| c.clone())
        .collect();
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let now = chrono::Utc::now();
    let ctx = UpdateContext::build(inc, None, &config.updates.cadence, now, config.zone());
    let text = super::send::resolution_text(inc);
    let template = "resolved";
    let mut msg = Outgoing::new(inc, &ctx, template, &text, now);
    msg.status = crate::domain::incident::Status::Resolved;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = crate::net::HttpClient::new(crate::net::HttpOptions::default())?;
    let report = runtime.block_on(send_all(&http, &channels, &msg));
    data.journal(id)?.append(&Event::new(
        now,
        config.author(),
        EventBody::UpdateSent {
            template: template.into(),
            channels_ok: report.ok.clone(),
            channels_failed: report.failed.clone(),
            text,
            retry_of: None,
            statuspage: report.published.clone(),
        },
    ))?;
    let mut lines: Vec<String> = report
        .published
        .iter()
        .map(|p| {
            format!(
                "Statuspage incident {} on {} resolved",
                p.incident_id, p.channel
            )
        })
        .collect();
    lines.extend(report.failed.iter().map(|f| {
        format!(
            "Statuspage incident on {} NOT resolved: {}",
            f.channel, f.error
        )
    }));
    Ok(lines)
}
