//! `warroom set`: every change the console can make to the incident's header (title, severity,
//! status, roles), scriptable. One event per field that changes; nothing is written when
//! nothing changes.

use std::io::Write;

use anyhow::bail;
use clap::Args;

use crate::config::Config;
use crate::domain::entry_text::{self, Before};
use crate::domain::event::{Event, EventBody};
use crate::domain::incident::{Incident, Role, Severity, Status};
use crate::domain::text::sanitize;
use crate::store::DataDir;

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Incident id (or a unique part of it) [default: the current one]
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// sev1, sev2, sev3 or sev4 (or 1-4).
    #[arg(long, value_name = "S")]
    pub severity: Option<String>,
    /// investigating, identified, mitigated, monitoring or resolved.
    #[arg(long, value_name = "S")]
    pub status: Option<String>,
    /// The new title.
    #[arg(long, value_name = "T")]
    pub title: Option<String>,
    /// Give a role to someone: commander, deputy, scribe or comms (repeatable); an empty name
    /// clears the role (`--role scribe=`).
    #[arg(long = "role", value_name = "ROLE=NAME")]
    pub roles: Vec<String>,
    /// Print what changed as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The changes `a` asks of `inc`, as event bodies, in the order title, severity, status, roles;
/// fields that already have the value asked for are left out.
pub fn changes(inc: &Incident, a: &SetArgs) -> anyhow::Result<Vec<EventBody>> {
    let mut out = Vec::new();
    if let Some(t) = &a.title {
        let title = sanitize(t.trim(), 512);
        if title.is_empty() {
            bail!(
                "--title is empty: give the new title, e.g. --title \"Exchange Online mail delayed\""
            );
        }
        if title != inc.title {
            out.push(EventBody::TitleSet { title });
        }
    }
    if let Some(s) = &a.severity {
        let severity = Severity::parse_loose(s)
            .map_err(|e| anyhow::anyhow!("--severity: {e} (e.g. --severity sev1)"))?;
        if severity != inc.severity {
            out.push(EventBody::SeveritySet { severity });
        }
    }
    if let Some(s) = &a.status {
        let status: Status = s
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--status: {e} (e.g. --status mitigated)"))?;
        if status != inc.status {
            out.push(EventBody::StatusSet { status });
        }
    }
    let mut seen = Vec::new();
    for r in &a.roles {
        let Some((role, person)) = r.split_once('=') else {
            bail!(
                "--role {r:?} has no `=`: write ROLE=NAME, e.g. --role commander=alice (--role commander= clears it)"
            );
        };
        let role: Role = role
            .trim()
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--role: {e} (e.g. --role commander=alice)"))?;
        if seen.contains(&role) {
            bail!("--role {role} is given twice: give each role once");
        }
        seen.push(role);
        let person = sanitize(person.trim(), 128);
        let current = inc.roles.get(&role).map(String::as_str).unwrap_or("");
        if person != current {
            out.push(EventBody::RoleSet { role, person });
        }
    }
    Ok(out)
}

pub fn set(
    data: &DataDir,
    config: &Config,
    a: SetArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if a.title.is_none() && a.severity.is_none() && a.status.is_none() && a.roles.is_empty() {
        bail!(
            "nothing to set: give --title, --severity, --status or --role ROLE=NAME (see warroom set --help)"
        );
    }
    let id = data.pick(a.incident.as_deref())?;
    let inc = data.load(&id)?.incident;
    if inc.is_closed() {
        bail!("incident {id} is closed: reopen it first with `warroom reopen --incident {id}`");
    }
    let bodies = changes(&inc, &a)?;
    let now = chrono::Utc::now();
    let mut journal = (!bodies.is_empty())
        .then(|| data.journal(&id))
        .transpose()?;
    let mut after = inc.clone();
    let mut done = Vec::new();
    for body in bodies {
        let ev = Event::new(now, config.author(), body);
        let text = entry_text::text(
            &ev.body,
            Before {
                title: &after.title,
                severity: after.severity,
                status: after.status,
            },
        )
        .unwrap_or_default();
        if let Some(j) = journal.as_mut() {
            j.append(&ev)?;
        }
        after.apply(&ev);
        done.push((ev, text));
    }
    if a.json {
        let changed: Vec<serde_json::Value> = done
            .iter()
            .map(|(ev, text)| serde_json::json!({"event": ev.id, "type": type_of(&ev.body), "text": text}))
            .collect();
        let doc = serde_json::json!({
            "incident": id,
            "changed": changed,
            "title": after.title,
            "severity": after.severity,
            "status": after.status,
            "roles": after.roles.iter().map(|(r, p)| (r.as_str(), p)).collect::<std::collections::BTreeMap<_, _>>(),
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else if done.is_empty() {
        writeln!(
            out,
            "nothing changed: {id} already has what was asked; nothing written"
        )?;
    } else {
        for (_, text) in &done {
            writeln!(out, "{text}")?;
        }
    }
    Ok(())
}

fn type_of(body: &EventBody) -> &'static str {
    match body {
        EventBody::TitleSet { .. } => "title_set",
        EventBody::SeveritySet { .. } => "severity_set",
        EventBody::StatusSet { .. } => "status_set",
        _ => "role_set",
    }
}
