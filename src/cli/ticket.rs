//! `warroom ticket add REF`: a support case opened with a provider, recorded in the timeline.
//!
//! Allowed on a closed incident (a case for a service credit is often opened afterwards).

use std::io::Write;

use anyhow::bail;
use clap::Subcommand;

use crate::config::Config;
use crate::domain::event::{Event, EventBody};
use crate::domain::evidence::TicketRecorded;
use crate::store::DataDir;

#[derive(Debug, Subcommand)]
pub enum TicketVerb {
    /// Record a support case: its reference (case number), the provider, a note.
    Add {
        /// Incident id (or a unique part of it) [default: the current one]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Who the case is with (Microsoft, Google, the relay's vendor).
        #[arg(long, value_name = "NAME")]
        provider: Option<String>,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// The case number or reference the provider gave.
        reference: String,
    },
}

pub fn ticket(
    data: &DataDir,
    config: &Config,
    verb: TicketVerb,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let TicketVerb::Add {
        incident,
        provider,
        note,
        reference,
    } = verb;
    let id = data.pick_any(incident.as_deref())?;
    data.load(&id)?;
    let t = match TicketRecorded::typed(
        &reference,
        provider.as_deref().unwrap_or(""),
        note.as_deref().unwrap_or(""),
    ) {
        Ok(t) => t,
        Err(e) => bail!(e),
    };
    let text = crate::domain::evidence::ticket_text(&t);
    let ev = Event::new(
        chrono::Utc::now(),
        config.author(),
        EventBody::TicketRecorded(t),
    );
    data.journal(&id)?.append(&ev)?;
    writeln!(out, "{text}")?;
    Ok(())
}
