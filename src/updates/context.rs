//! What a template can use: a plain, serialisable picture of the incident at one instant.
//!
//! Every field is always present (empty strings and lists rather than missing values), so a
//! template can test `{% if roles.comms %}` and print `{{ next_update.at or "[time]" }}`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::closing::{KeyTime, key_time};
use crate::domain::health::{Level, SourceSnapshot};
use crate::domain::incident::{EntryKind, Incident, Role};
use crate::domain::time::{Zone, format_duration, format_elapsed};
use crate::domain::updates::{Audience, Cadence, clock, show_cadence};

/// How many recent actions / decisions / notes a template gets.
const RECENT: usize = 3;

#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateContext {
    /// Who the update is for: `internal`, or `external` when every channel it goes to is
    /// external (see [`UpdateContext::for_audience`]).
    pub audience: String,
    pub incident: IncidentFacts,
    /// Role → person (`""` when nobody holds it): commander, deputy, scribe, comms.
    pub roles: BTreeMap<String, String>,
    /// The time of writing in the configured zone: `14:03 UTC`.
    pub now: String,
    pub next_update: NextUpdate,
    pub updates: UpdateCounts,
    pub health: HealthFacts,
    pub playbook: PlaybookFacts,
    /// The latest message-trace counts kept in the timeline (`t` in the trace pane), if any.
    pub trace: Option<TraceFacts>,
    pub recent: RecentEntries,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IncidentFacts {
    pub id: String,
    pub title: String,
    /// `SEV2`.
    pub severity: String,
    /// `Investigating`.
    pub status: String,
    pub drill: bool,
    /// Times in the configured zone.
    pub opened_at: String,
    pub started_at: String,
    /// `T+00:42:10`.
    pub t_plus: String,
    /// `42m`, `1h5m`.
    pub duration: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct NextUpdate {
    /// When the update after this one is due if this one goes out now (now + cadence):
    /// `14:33 UTC` (with the date when not today), or `""` without a cadence.
    pub at: String,
    /// The cadence as a duration from now, `30m`, or `""`.
    #[serde(rename = "in")]
    pub in_: String,
    /// The severity's cadence, `30m` or `none`.
    pub cadence: String,
    /// What the status bar counts down to: when this update is due, or `""`.
    pub due: String,
    /// Whether this update is late.
    pub overdue: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UpdateCounts {
    /// Updates that reached at least one channel.
    pub sent: usize,
    /// The number this update will have: `sent + 1`.
    pub number: usize,
    /// When the last one went out, or `""`.
    pub last_at: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HealthFacts {
    /// The worst level over the sources, or `""` when none reported.
    pub worst: String,
    pub sources: Vec<HealthSourceFacts>,
    /// Items that are not operational or resolved.
    pub open_items: Vec<HealthItemFacts>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HealthSourceFacts {
    pub name: String,
    pub level: String,
    /// Why the last poll failed, or `""`.
    pub error: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct HealthItemFacts {
    pub source: String,
    pub id: String,
    /// The item's title (its id when only the journal's record is at hand).
    pub title: String,
    pub status: String,
    pub level: String,
    pub service: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlaybookFacts {
    /// `cloud-mail-outage 5/20 steps complete (25%), 2 required open`; `""` with none attached.
    pub summary: String,
    pub list: Vec<PlaybookProgressFacts>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlaybookProgressFacts {
    pub id: String,
    pub name: String,
    pub total: usize,
    pub done: usize,
    pub skipped: usize,
    pub doing: usize,
    pub todo: usize,
    pub percent: u8,
    pub required_open: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TraceFacts {
    pub at: String,
    pub query: String,
    pub counts: Vec<TraceCount>,
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TraceCount {
    pub status: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecentEntries {
    /// First lines of the latest action / decision / note entries, oldest first.
    pub actions: Vec<String>,
    pub decisions: Vec<String>,
    pub notes: Vec<String>,
}

/// A time for readers: `14:33 UTC`, `14:33 CET`, `14:33 UTC+01:00` for the local zone, with the
/// date in front when it is not the day of `now`.
pub fn reader_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: Zone) -> String {
    let wall = zone.to_wall(at);
    let same_day = wall.date_naive() == zone.to_wall(now).date_naive();
    let day = if same_day {
        String::new()
    } else {
        wall.format("%b %d ").to_string()
    };
    let name = match zone {
        Zone::Named(tz) => at.with_timezone(&tz).format("%Z").to_string(),
        Zone::Local if wall.offset().local_minus_utc() == 0 => "UTC".to_string(),
        Zone::Local => wall.format("UTC%:z").to_string(),
    };
    format!("{day}{} {name}", wall.format("%H:%M"))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

impl UpdateContext {
    /// The picture of `incident` at `now`. `health` is the console's latest poll results; without
    /// them (headless) the journal's record of what the sources last looked like is used.
    pub fn build(
        incident: &Incident,
        health: Option<&BTreeMap<String, SourceSnapshot>>,
        cadence: &Cadence,
        now: DateTime<Utc>,
        zone: Zone,
    ) -> Self {
        let when = |at: DateTime<Utc>| reader_time(at, now, zone);
        // The `started` key time, as the status bar counts T+ from (a backdated first entry
        // moves it earlier).
        let started = key_time(incident, KeyTime::Started)
            .at
            .unwrap_or(incident.started_at);
        let elapsed = now - started;
        let mut roles = BTreeMap::new();
        for r in Role::ALL {
            roles.insert(
                r.as_str().to_string(),
                incident.roles.get(r).cloned().unwrap_or_default(),
            );
        }
        let next_update = match clock(incident, cadence, now) {
            Some(c) => NextUpdate {
                at: when(now + c.cadence),
                in_: format_duration(c.cadence),
                cadence: format_duration(c.cadence),
                due: when(c.due),
                overdue: c.remaining < chrono::Duration::zero(),
            },
            None => NextUpdate {
                cadence: show_cadence(cadence.of(incident.severity)),
                ..NextUpdate::default()
            },
        };
        let health = match health {
            Some(snaps) if !snaps.is_empty() => health_from_snapshots(snaps),
            _ => health_from_journal(incident),
        };
        let list: Vec<PlaybookProgressFacts> = incident
            .playbooks
            .iter()
            .map(|pb| {
                let p = incident.progress.summary(pb).overall;
                PlaybookProgressFacts {
                    id: pb.id.clone(),
                    name: pb.name.clone(),
                    total: p.total,
                    done: p.done,
                    skipped: p.skipped,
                    doing: p.doing,
                    todo: p.todo,
                    percent: p.percent(),
                    required_open: p.required_open,
                }
            })
            .collect();
        let summary = list
            .iter()
            .map(|p| {
                let mut s = format!(
                    "{} {}/{} steps complete ({}%)",
                    p.id,
                    p.done + p.skipped,
                    p.total,
                    p.percent
                );
                if p.required_open > 0 {
                    s.push_str(&format!(", {} required open", p.required_open));
                }
                s
            })
            .collect::<Vec<_>>()
            .join("; ");
        let recent_of = |kind: EntryKind| -> Vec<String> {
            let mut v: Vec<String> = incident
                .entries
                .iter()
                .filter(|e| !e.deleted && e.kind == kind)
                .rev()
                .take(RECENT)
                .map(|e| first_line(&e.text))
                .collect();
            v.reverse();
            v
        };
        UpdateContext {
            audience: Audience::Internal.as_str().to_string(),
            incident: IncidentFacts {
                id: incident.id.clone(),
                title: incident.title.clone(),
                severity: incident.severity.label().to_string(),
                status: incident.status.label().to_string(),
                drill: incident.drill,
                opened_at: when(incident.opened_at),
                started_at: when(started),
                t_plus: format!("T+{}", format_elapsed(elapsed)),
                duration: format_duration(chrono::Duration::minutes(elapsed.num_minutes())),
            },
            roles,
            now: when(now),
            next_update,
            updates: UpdateCounts {
                sent: incident.comms.sent,
                number: incident.comms.sent + 1,
                last_at: incident.comms.last_sent.map(when).unwrap_or_default(),
            },
            health,
            playbook: PlaybookFacts { summary, list },
            trace: incident.last_trace.as_ref().map(|t| TraceFacts {
                at: when(t.at),
                query: t.query.clone(),
                counts: t
                    .by_status
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(status, n)| TraceCount {
                        status: status.clone(),
                        count: *n as u64,
                    })
                    .collect(),
                total: t.rows as u64,
            }),
            recent: RecentEntries {
                actions: recent_of(EntryKind::Action),
                decisions: recent_of(EntryKind::Decision),
                notes: recent_of(EntryKind::Note),
            },
        }
    }
}

impl UpdateContext {
    /// The same picture for another audience.
    pub fn for_audience(mut self, audience: Audience) -> Self {
        self.audience = audience.as_str().to_string();
        self
    }
}

/// The audience of an update going to `audiences`: external only when every one is external.
pub fn audience_of(audiences: impl IntoIterator<Item = Audience>) -> Audience {
    let mut any = false;
    for a in audiences {
        if a == Audience::Internal {
            return Audience::Internal;
        }
        any = true;
    }
    if any {
        Audience::External
    } else {
        Audience::Internal
    }
}

fn worst(levels: impl Iterator<Item = Level>) -> String {
    levels
        .max()
        .map(|l| l.as_str().to_string())
        .unwrap_or_default()
}

fn health_from_snapshots(snaps: &BTreeMap<String, SourceSnapshot>) -> HealthFacts {
    let sources = snaps
        .values()
        .map(|s| HealthSourceFacts {
            name: s.name.clone(),
            level: s.level.as_str().to_string(),
            error: s.last_error.clone().unwrap_or_default(),
        })
        .collect();
    let open_items = snaps
        .values()
        .flat_map(|s| {
            s.items
                .iter()
                .filter(|i| i.level != Level::Operational && i.resolved.is_none())
                .map(move |i| HealthItemFacts {
                    source: s.name.clone(),
                    id: i.id.clone(),
                    title: i.title.clone(),
                    status: i.status.clone(),
                    level: i.level.as_str().to_string(),
                    service: i.service.clone().unwrap_or_default(),
                })
        })
        .collect();
    HealthFacts {
        worst: worst(snaps.values().map(|s| s.level)),
        sources,
        open_items,
    }
}

fn health_from_journal(incident: &Incident) -> HealthFacts {
    let seen = &incident.health_seen.sources;
    HealthFacts {
        worst: worst(seen.values().map(|s| s.level)),
        sources: seen
            .iter()
            .map(|(name, s)| HealthSourceFacts {
                name: name.clone(),
                level: s.level.as_str().to_string(),
                error: String::new(),
            })
            .collect(),
        open_items: seen
            .iter()
            .flat_map(|(name, s)| {
                s.items
                    .iter()
                    .filter(|(_, i)| i.level != Level::Operational && !i.resolved)
                    .map(move |(id, i)| HealthItemFacts {
                        source: name.clone(),
                        id: id.clone(),
                        title: id.clone(),
                        status: i.status.clone(),
                        level: i.level.as_str().to_string(),
                        service: String::new(),
                    })
            })
            .collect(),
    }
}
