//! The incidents a team shares: listing them (with who is in), finding one by a unique prefix,
//! and fetching a whole one into a new local folder (`warroom join`).

use futures::StreamExt;
use uuid::Uuid;

use super::TeamError;
use super::intake::Intake;
use super::outbox::Outbox;
use super::presence::{self, Here};
use super::stream;
use super::sync::{Folder, Link};
use super::wire::incident_of_stream;
use crate::domain::event::Event;
use crate::domain::incident::{Incident, Severity, Status};
use crate::store::DataDir;

fn nats<E: std::fmt::Display>(e: E) -> TeamError {
    TeamError::Unreachable(crate::domain::text::sanitize(&e.to_string(), 300))
}

/// The ids of every incident the team shares, sorted.
pub async fn ids(link: &Link) -> Result<Vec<String>, TeamError> {
    let mut names = link.js.stream_names();
    let mut ids = Vec::new();
    while let Some(n) = names.next().await {
        let n = n.map_err(nats)?;
        if let Some(id) = incident_of_stream(&n) {
            ids.push(id.to_string());
        }
    }
    ids.sort();
    Ok(ids)
}

/// The shared incident `wanted` names: its full id, or a part of one that only it has.
pub async fn resolve(link: &Link, wanted: &str) -> Result<String, TeamError> {
    let all = ids(link).await?;
    if all.iter().any(|i| i == wanted) {
        return Ok(wanted.to_string());
    }
    let hits: Vec<&String> = all.iter().filter(|i| i.starts_with(wanted)).collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(TeamError::NotFound(format!(
            "the team shares no incident {wanted:?}: `warroom join --list` shows the ones it does"
        ))),
        many => Err(TeamError::NotFound(format!(
            "{wanted:?} fits {} shared incidents ({}): give more of the id",
            many.len(),
            many.iter()
                .take(5)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Everything a stream holds, checked: the journal lines in stream order, their ids, and the
/// sequence read to.
pub struct Fetched {
    pub lines: Vec<(Uuid, Vec<u8>)>,
    pub settled: u64,
}

pub async fn fetch(link: &Link, incident: &str) -> Result<Fetched, TeamError> {
    let Some(s) = stream::find(&link.js, incident).await? else {
        return Err(TeamError::NotFound(format!(
            "the team shares no incident {incident:?}: `warroom join --list` shows the ones it does"
        )));
    };
    let mut intake = Intake::new(incident);
    let mut lines = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut last = 0;
    stream::read_from(&s, 1, |m| {
        last = m.seq;
        if let Some((id, line)) = intake.take(&m)
            && seen.insert(id)
        {
            lines.push((id, line));
        }
        true
    })
    .await?;
    Ok(Fetched {
        lines,
        settled: intake.settled(last),
    })
}

/// One shared incident as `warroom join --list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub closed: bool,
    pub here: Vec<Here>,
}

/// Every shared incident, folded from its stream, with who has it open.
pub async fn list(link: &Link) -> Result<Vec<Listed>, TeamError> {
    let kv = presence::bucket(&link.js).await.ok();
    let mut out = Vec::new();
    for id in ids(link).await? {
        let f = fetch(link, &id).await?;
        let events: Vec<Event> = f
            .lines
            .iter()
            .filter_map(|(_, l)| serde_json::from_slice(l).ok())
            .collect();
        let Ok(inc) = Incident::from_events(&events) else {
            tracing::warn!("team: shared incident {id} has no opening; not listed");
            continue;
        };
        let here = match &kv {
            Some(kv) => presence::who(kv, &id).await.unwrap_or_default(),
            None => Vec::new(),
        };
        out.push(Listed {
            id,
            title: inc.title.clone(),
            severity: inc.severity,
            status: inc.status,
            closed: inc.is_closed(),
            here,
        });
    }
    Ok(out)
}

/// Fetches shared incident `id` into a new local folder (or, if it is here already, syncs it)
/// and marks it shared. Returns how many events the local journal got.
pub async fn join(link: &Link, data: &DataDir, id: &str) -> Result<usize, TeamError> {
    let dir = data.incident_dir(id);
    if dir.is_dir() {
        let folder = Folder::new(id, &dir);
        folder.mark_shared()?;
        return Ok(super::sync::sync_once(link, &folder).await?.pulled);
    }
    let f = fetch(link, id).await?;
    let events: Vec<Event> = f
        .lines
        .iter()
        .filter_map(|(_, l)| serde_json::from_slice(l).ok())
        .collect();
    if Incident::from_events(&events).is_err() {
        return Err(TeamError::NotFound(format!(
            "the team's stream for {id} has no opening event yet: ask whoever shared it to run `warroom sync --incident {id}`"
        )));
    }
    // The opening first, then the rest in stream order.
    let mut bytes = Vec::new();
    let opening = events.iter().position(|e| {
        matches!(
            e.body,
            crate::domain::event::EventBody::IncidentOpened { .. }
        )
    });
    let mut ordered: Vec<&(Uuid, Vec<u8>)> = f.lines.iter().collect();
    if let Some(pos) = opening.and_then(|p| {
        let id = events[p].id;
        f.lines.iter().position(|(i, _)| *i == id)
    }) {
        let first = ordered.remove(pos);
        ordered.insert(0, first);
    }
    for (_, l) in &ordered {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    data.create_received(id, &bytes)
        .map_err(|e| TeamError::Io(e.to_string()))?;
    let outbox = Outbox {
        pushed_to: bytes.len() as u64,
        pulled_seq: f.settled,
        from_stream: Vec::new(),
    };
    outbox
        .save(&dir)
        .map_err(|e| TeamError::Io(format!("incident {id}: {e}")))?;
    Ok(ordered.len())
}
