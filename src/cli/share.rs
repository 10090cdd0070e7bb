//! `warroom share [--incident ID]`: publish an incident to the team (its whole journal), and
//! from then on every change to it.

use std::io::Write;

use clap::Args;

use crate::config::Config;
use crate::store::DataDir;
use crate::team::connect::Patience;
use crate::team::sync::{Folder, Link, sync_once};
use crate::team::verbs::block_on;
use crate::team::wire::id_fits;

#[derive(Debug, Args)]
pub struct ShareArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
}

pub fn share(
    data: &DataDir,
    config: &Config,
    a: ShareArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick_any(a.incident.as_deref())?;
    share_id(data, config, &id)?;
    writeln!(out, "{id}")?;
    Ok(())
}

/// Marks `id` shared and publishes what it has; when the server cannot be reached it stays
/// marked, with everything queued (said on stderr).
pub(super) fn share_id(data: &DataDir, config: &Config, id: &str) -> anyhow::Result<()> {
    if !config.team.enabled() {
        return Err(crate::team::TeamError::NotSetUp.into());
    }
    if !id_fits(id) {
        anyhow::bail!(
            "incident id {id:?} cannot name a team stream (only letters, digits, - and _): start a new incident with `warroom new --share`"
        );
    }
    // Loaded first: a broken journal is said so here, not shared.
    data.load(id)?;
    let folder = Folder::new(id, &data.incident_dir(id));
    folder.mark_shared()?;
    let synced = block_on(async {
        let link = Link::open(&config.team, Patience::Once).await?;
        sync_once(&link, &folder).await
    });
    if let Err(e) = synced {
        crate::diagln!(
            "warroom: queued: {} to share ({e}); `warroom sync` shares them, or any later verb or the console",
            folder.waiting()
        );
    }
    Ok(())
}
