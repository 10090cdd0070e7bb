//! `warroom update`: render a stakeholder update from the incident's state, print it, and send
//! it (see `updates::headless`).

use std::io::Write;

use clap::Args;

use crate::config::Config;
use crate::store::DataDir;

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

pub fn update(
    data: &DataDir,
    config: &Config,
    a: UpdateArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let req = crate::updates::headless::UpdateRequest {
        incident: a.incident,
        template: a.template,
        send: a.send,
        dry_run: a.dry_run,
        yes: a.yes,
        components: a.components,
    };
    crate::updates::headless::run(data, config, &req, out)
}
