//! `warroom sync [--incident ID]`: push what waits and pull what is new, once (for scripts).

use std::io::Write;

use clap::Args;

use crate::config::Config;
use crate::store::DataDir;
use crate::team::connect::Patience;
use crate::team::outbox::Outbox;
use crate::team::sync::{Folder, Link, sync_once};
use crate::team::verbs::block_on;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
}

pub fn sync(
    data: &DataDir,
    config: &Config,
    a: SyncArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if !config.team.enabled() {
        return Err(crate::team::TeamError::NotSetUp.into());
    }
    let id = data.pick_any(a.incident.as_deref())?;
    let folder = Folder::new(&id, &data.incident_dir(&id));
    if !Outbox::is_shared(&folder.dir) {
        anyhow::bail!(
            "incident {id} is not shared with the team: `warroom share --incident {id}` shares it"
        );
    }
    let result = block_on(async {
        let link = Link::open(&config.team, Patience::Once).await?;
        sync_once(&link, &folder).await
    });
    match result {
        Ok(s) => {
            writeln!(out, "shared {}, received {}", s.pushed, s.pulled)?;
            Ok(())
        }
        Err(e) => anyhow::bail!("queued: {} to share ({e})", folder.waiting()),
    }
}
