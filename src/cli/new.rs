//! `warroom new`: open an incident, print its id and make it current.

use std::io::Write;

use anyhow::bail;
use clap::Args;

use super::{attach_events, load_catalog};
use crate::config::{Config, Paths};
use crate::domain::incident::Severity;
use crate::domain::text::{FIELD_CAP, sanitize_line};
use crate::store::DataDir;

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
    /// Share it with the team at once (team mode; see `warroom share`).
    #[arg(long)]
    pub share: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse_loose(s)
}

pub fn new(
    data: &DataDir,
    paths: &Paths,
    config: &Config,
    a: NewArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let title = sanitize_line(&a.title, FIELD_CAP);
    if title.is_empty() {
        bail!(
            "the title is empty: say what is happening, e.g. --title \"Exchange Online mail delayed\""
        );
    }
    if a.share && !config.team.enabled() {
        return Err(crate::team::TeamError::NotSetUp.into());
    }
    let catalog = load_catalog(paths);
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
    if a.share {
        super::share::share_id(data, config, &id)?;
    }
    Ok(())
}
