//! `warroom update`: render a template from the incident's journal, print it, and send it.

use std::io::Write;

use anyhow::bail;

use super::context::UpdateContext;
use super::send::{Outgoing, send_all};
use super::template::TemplateCatalog;
use crate::config::Config;
use crate::domain::event::{Event, EventBody};
use crate::domain::text::{BODY_CAP, sanitize};
use crate::domain::updates::ChannelConfig;
use crate::store::DataDir;

/// What the verb was asked.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub incident: Option<String>,
    pub template: Option<String>,
    pub send: Vec<String>,
    pub dry_run: bool,
}

/// Renders, prints to `out`, and sends unless it is a dry run. Fails naming every channel that
/// did not get the update (the ones that did are recorded in the timeline all the same).
pub fn run(
    data: &DataDir,
    config: &Config,
    req: &UpdateRequest,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let updates = &config.updates;
    let mut channels: Vec<ChannelConfig> = Vec::new();
    for name in &req.send {
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
    let id = data.pick(req.incident.as_deref())?;
    // Skipped journal lines are reported by the data dir, once.
    let inc = data.load(&id)?.incident;
    let catalog = TemplateCatalog::load(updates.templates_dir.as_deref());
    for e in &catalog.errors {
        eprintln!("warroom: warning: {e}");
    }
    let name = req
        .template
        .clone()
        .unwrap_or_else(|| updates.default_template.clone());
    let now = chrono::Utc::now();
    let ctx = UpdateContext::build(&inc, None, &updates.cadence, now, config.zone());
    let text = sanitize(&catalog.render(&name, &ctx)?, BODY_CAP);
    writeln!(out, "{text}")?;
    out.flush()?;
    if req.dry_run {
        if !channels.is_empty() {
            eprintln!("warroom: dry run: nothing was sent");
        }
        return Ok(());
    }
    if channels.is_empty() {
        eprintln!(
            "warroom: not sent: name a channel with --send ({})",
            updates.channel_names()
        );
        return Ok(());
    }
    if inc.is_closed() {
        bail!("incident {id} is closed: reopen it before sending updates");
    }
    let msg = Outgoing::new(&inc, &name, &text, now);
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
        },
    );
    data.journal(&id)?.append(&ev)?;
    for ch in &report.ok {
        eprintln!("warroom: sent to {ch}");
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
