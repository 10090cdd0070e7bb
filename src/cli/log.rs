//! `warroom log`: add an entry to an incident's timeline; exits 0 only once it is on disk.

use std::io::Write;

use anyhow::{Context as _, bail};
use clap::Args;

use super::checked_typed_time;
use crate::config::Config;
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::{EntryKind, entry_text};
use crate::domain::time::parse_when;
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// note, action, decision or comms.
    #[arg(long, default_value = "note", value_parser = parse_kind)]
    pub kind: EntryKind,
    /// When it happened: -5m, -1h30m, 14:32, "2026-11-30 14:32", or RFC 3339 [default: now]
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// What happened.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub text: Vec<String>,
}

fn parse_kind(s: &str) -> Result<EntryKind, String> {
    let k: EntryKind = s.parse()?;
    if EntryKind::TYPED.contains(&k) {
        Ok(k)
    } else {
        Err(format!(
            "{s:?} entries are written by warroom itself: use note, action, decision or comms"
        ))
    }
}

pub fn log(
    data: &DataDir,
    config: &Config,
    a: LogArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = data.pick(a.incident.as_deref())?;
    let now = chrono::Utc::now();
    let at =
        a.at.as_deref()
            .map(|w| parse_when(w, now, config.zone()))
            .transpose()?;
    let text = entry_text(&a.text.join(" ")).map_err(anyhow::Error::msg)?;
    if text.is_empty() {
        bail!("the entry has no text: say what happened");
    }
    let loaded = data.load(&id)?;
    // The closed-incident guard of the command line; follow-up events are the ones allowed on a
    // closed incident (`EventBody::allowed_on_closed`, written by `warroom followups`).
    if loaded.incident.is_closed() {
        bail!("incident {id} is closed: reopen it first with `warroom reopen --incident {id}`");
    }
    let occurred_at = match at {
        Some(at) => checked_typed_time(at, now, &loaded.incident, config.zone()).context("--at")?,
        None => now,
    };
    let ev = Event::new(
        now,
        config.author(),
        EventBody::EntryAdded {
            occurred_at,
            kind: a.kind,
            text,
            step: None,
        },
    );
    data.journal(&id)?.append(&ev)?;
    writeln!(out, "{}", ev.id)?;
    Ok(())
}
