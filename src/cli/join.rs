//! `warroom join ID` (full id or a unique prefix among the shared incidents): fetch a shared
//! incident's whole history into a local journal and make it current; `warroom join --list`:
//! the shared incidents, with title, severity, status and who is in.

use std::io::Write;

use clap::Args;

use crate::config::Config;
use crate::domain::text::clean_for_terminal;
use crate::store::DataDir;
use crate::team::connect::Patience;
use crate::team::shared;
use crate::team::sync::Link;
use crate::team::verbs::block_on;

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The shared incident's id, or a part of it that only it starts with.
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    pub id: Option<String>,
    /// List the incidents the team shares instead.
    #[arg(long)]
    pub list: bool,
    /// With --list: JSON.
    #[arg(long, requires = "list")]
    pub json: bool,
}

pub fn join(
    data: &DataDir,
    config: &Config,
    a: JoinArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if !config.team.enabled() {
        return Err(crate::team::TeamError::NotSetUp.into());
    }
    if a.list {
        let listed = block_on(async {
            let link = Link::open(&config.team, Patience::Once).await?;
            shared::list(&link).await
        })?;
        if a.json {
            serde_json::to_writer_pretty(&mut *out, &listed)?;
            writeln!(out)?;
        } else if listed.is_empty() {
            writeln!(
                out,
                "the team shares no incident yet: `warroom share` publishes one"
            )?;
        }
        for l in listed.iter().filter(|_| !a.json) {
            let here: Vec<String> = l
                .here
                .iter()
                .map(|h| {
                    if h.role.is_empty() {
                        h.name.clone()
                    } else {
                        format!("{} ({})", h.name, h.role)
                    }
                })
                .collect();
            let line = format!(
                "{}\t{}\t{}{}\t{}\t{}",
                l.id,
                l.severity.label(),
                l.status,
                if l.closed { " (closed)" } else { "" },
                l.title,
                if here.is_empty() {
                    "nobody in".to_string()
                } else {
                    format!("in: {}", here.join(", "))
                }
            );
            writeln!(out, "{}", clean_for_terminal(&line))?;
        }
        return Ok(());
    }
    let wanted = a.id.unwrap_or_default();
    let id = block_on(async {
        let link = Link::open(&config.team, Patience::Once).await?;
        let id = shared::resolve(&link, &wanted).await?;
        shared::join(&link, data, &id).await?;
        Ok(id)
    })?;
    data.load(&id)?;
    data.set_current(&id)?;
    writeln!(out, "{id}")?;
    Ok(())
}
