//! `warroom handoff NAME`: pass the commander role to NAME with a handoff brief, as the
//! console's `:handoff` does (one `handoff` event, one timeline entry).

use std::io::Write;

use anyhow::bail;
use clap::Args;

use crate::config::Config;
use crate::domain::event::Event;
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// Who takes over as commander.
    pub name: String,
}

pub fn handoff(
    data: &DataDir,
    config: &Config,
    a: HandoffArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick(a.incident.as_deref())?;
    let inc = data.load(&id)?.incident;
    if inc.is_closed() {
        bail!("incident {id} is closed: reopen it first with `warroom reopen --incident {id}`");
    }
    let now = chrono::Utc::now();
    let body = crate::domain::handoff::handoff(&inc, &a.name, &config.updates.cadence, now)
        .map_err(anyhow::Error::msg)?;
    let ev = Event::new(now, config.author(), body);
    data.journal(&id)?.append(&ev)?;
    let mut after = inc;
    after.apply(&ev);
    if let Some(e) = after.entry(ev.id) {
        writeln!(out, "{}", e.text)?;
    }
    Ok(())
}
