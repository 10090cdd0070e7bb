//! The incident: its fields, its timeline, and the fold of journal events into them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

use super::closing::{ABOUT_CLOSE, ABOUT_KEY_TIME, Closing, KeyTime};
use super::event::{Event, EventBody};
use super::health::SeenState;
use super::playbook::{Playbook, PlaybookProgress, StepChange, parse_playbook, timeline_text};
use super::updates::CommsLog;

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident => $word:literal),+ $(,)? } else $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The word used in the journal, the CLI and the config.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let s = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| {
                        let words: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        format!("unknown {} {s:?}: use one of {}", $what, words.join(", "))
                    })
            }
        }
    };
}

word_enum!(
    /// SEV1 is the worst.
    Severity { Sev1 => "sev1", Sev2 => "sev2", Sev3 => "sev3", Sev4 => "sev4" } else "severity"
);

impl Severity {
    /// `SEV1`…`SEV4`, as shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
        }
    }

    /// Parses `sev2`, `SEV2` or just `2`.
    pub fn parse_loose(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s {
            "1" => Ok(Severity::Sev1),
            "2" => Ok(Severity::Sev2),
            "3" => Ok(Severity::Sev3),
            "4" => Ok(Severity::Sev4),
            _ => s.parse(),
        }
    }
}

word_enum!(
    /// Where the response stands.
    Status {
        Investigating => "investigating",
        Identified => "identified",
        Mitigated => "mitigated",
        Monitoring => "monitoring",
        Resolved => "resolved",
    } else "status"
);

impl Status {
    /// The status of a new incident.
    pub fn initial() -> Self {
        Status::Investigating
    }

    /// Capitalised for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Status::Investigating => "Investigating",
            Status::Identified => "Identified",
            Status::Mitigated => "Mitigated",
            Status::Monitoring => "Monitoring",
            Status::Resolved => "Resolved",
        }
    }
}

word_enum!(
    /// Response roles.
    Role { Commander => "commander", Deputy => "deputy", Scribe => "scribe", Comms => "comms" } else "role"
);

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::Deputy => "deputy",
            Role::Scribe => "scribe",
            Role::Comms => "comms lead",
        }
    }
}

word_enum!(
    /// What a timeline entry records. The first four are typed by people; `incident` entries come
    /// from changes of the incident's own fields; `health`, `trace` and `step` from the other panes.
    EntryKind {
        Note => "note",
        Action => "action",
        Decision => "decision",
        Comms => "comms",
        Incident => "incident",
        Health => "health",
        Trace => "trace",
        Step => "step",
    } else "entry kind"
);

impl EntryKind {
    /// The kinds a person picks when adding an entry by hand.
    pub const TYPED: &'static [EntryKind] = &[
        EntryKind::Note,
        EntryKind::Action,
        EntryKind::Decision,
        EntryKind::Comms,
    ];
}

/// The most text a timeline entry holds: 64 KiB of UTF-8. Longer text is refused, never cut.
pub const ENTRY_MAX: usize = 65_536;

/// The text of an entry a person wrote: escapes and control characters removed, ends trimmed,
/// and refused (with the limit) when longer than [`ENTRY_MAX`] bytes. Empty text is returned as
/// is: each caller says what an empty entry means there.
pub fn entry_text(input: &str) -> Result<String, String> {
    let text = super::text::sanitize(input.trim(), usize::MAX);
    if text.len() > ENTRY_MAX {
        return Err(format!(
            "the entry is {} bytes long; the limit is {} bytes (64 KiB): split it into several entries, or keep the long text in a file and say where it is",
            thousands(text.len()),
            thousands(ENTRY_MAX)
        ));
    }
    Ok(text)
}

/// `65536` → `65,536`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One earlier version of an entry, kept when it is edited.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    pub occurred_at: DateTime<Utc>,
    pub kind: EntryKind,
}

/// A timeline entry. Its id is the id of the event that created it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub id: Uuid,
    /// Order in which entries were logged (ties on `occurred_at` keep it).
    #[serde(skip)]
    pub seq: u64,
    pub occurred_at: DateTime<Utc>,
    pub logged_at: DateTime<Utc>,
    pub author: String,
    pub kind: EntryKind,
    pub text: String,
    pub pinned: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// What the entry is about: `playbook/step` for step changes and notes on a step,
    /// `source/item` (or `source`) for health changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Revision>,
}

/// A kept message-trace result: when, the query, and the counts per status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceRecord {
    pub at: DateTime<Utc>,
    pub query: String,
    pub rows: usize,
    pub by_status: BTreeMap<String, usize>,
}

/// The state of one incident: the fold of its journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub drill: bool,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    /// First symptom; defaults to the opening time.
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub roles: BTreeMap<Role, String>,
    /// Attached playbooks, in the order they were attached.
    pub playbooks: Vec<Playbook>,
    /// State of every touched step.
    pub progress: PlaybookProgress,
    /// The last recorded state of every health source.
    pub health_seen: SeenState,
    /// Keys of the health changes recorded, so none is recorded twice.
    pub health_keys: std::collections::HashSet<String>,
    /// The latest trace result kept (`t` in the trace pane).
    pub last_trace: Option<TraceRecord>,
    /// Stakeholder updates sent and snoozed (for the next-update clock).
    pub comms: CommsLog,
    /// Every entry, deleted ones too, ordered by (`occurred_at`, `seq`).
    pub entries: Vec<Entry>,
    /// What was said at the last close (kept when reopened, so a new close can start from it).
    pub closing: Option<Closing>,
    /// Key times set by hand; the others are proposed from the timeline (see `domain::closing`).
    pub key_times_set: BTreeMap<KeyTime, DateTime<Utc>>,
    /// When each status was first set.
    pub status_first: BTreeMap<Status, DateTime<Utc>>,
    /// Events of types this build does not know.
    pub unknown_events: usize,
    /// Events that did not apply (e.g. an edit of an entry that does not exist).
    pub ignored_events: usize,
    /// Events whose id had been folded in already (the same line twice, e.g. copied from
    /// another console): folded once.
    pub repeated_events: usize,
    /// Ids of the events folded in.
    seen: std::collections::HashSet<Uuid, IdHash>,
    /// Where each entry sorts (`occurred_at`, `seq`), so that finding one by id is a binary
    /// search, not a scan (a journal of many edits of early entries replays in linear time).
    keys: std::collections::HashMap<Uuid, (DateTime<Utc>, u64), IdHash>,
    /// How many events have been folded in.
    pub events: u64,
    /// Bumped on every applied change; views cache against it.
    pub version: u64,
}

/// What stands in an entry's place for the moment it is being edited.
fn placeholder() -> Entry {
    Entry {
        id: Uuid::nil(),
        seq: 0,
        occurred_at: DateTime::<Utc>::MIN_UTC,
        logged_at: DateTime::<Utc>::MIN_UTC,
        author: String::new(),
        kind: EntryKind::Note,
        text: String::new(),
        pinned: false,
        deleted: false,
        about: None,
        history: Vec::new(),
    }
}

/// Hashing for the set of event ids the fold has seen. A UUID is random (v4) or a time and
/// random bits (v7), so its two halves folded and mixed once make a good hash, at a fraction of
/// the default hasher's cost (the fold looks up every event).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// See [`IdHash`].
#[derive(Debug, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks(8).map(|c| {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(w)
        });
        let (hi, lo) = (words.next().unwrap_or(0), words.fold(0, |a, w| a ^ w));
        self.0 = (self.0 ^ hi.rotate_left(32) ^ lo).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    /// The length written before a UUID's bytes is always 16: nothing to mix in.
    fn write_usize(&mut self, _: usize) {}
}

/// Why a journal does not make an incident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("the journal is empty")]
    Empty,
    #[error("the journal does not start with an incident_opened event")]
    NoOpening,
}

impl Incident {
    /// Starts the fold from the opening event.
    pub fn from_opening(ev: &Event) -> Result<Self, FoldError> {
        let EventBody::IncidentOpened {
            incident,
            title,
            severity,
            status,
            started_at,
            drill,
        } = &ev.body
        else {
            return Err(FoldError::NoOpening);
        };
        Ok(Incident {
            id: incident.clone(),
            title: title.clone(),
            severity: *severity,
            status: *status,
            drill: *drill,
            opened_at: ev.at,
            opened_by: ev.by.clone(),
            started_at: started_at.unwrap_or(ev.at),
            closed_at: None,
            roles: BTreeMap::new(),
            playbooks: Vec::new(),
            progress: PlaybookProgress::default(),
            health_seen: SeenState::default(),
            health_keys: Default::default(),
            last_trace: None,
            comms: CommsLog::default(),
            entries: Vec::new(),
            closing: None,
            key_times_set: BTreeMap::new(),
            status_first: BTreeMap::new(),
            unknown_events: 0,
            ignored_events: 0,
            repeated_events: 0,
            seen: {
                let mut s = std::collections::HashSet::with_hasher(IdHash);
                s.insert(ev.id);
                s
            },
            keys: std::collections::HashMap::with_hasher(IdHash),
            events: 1,
            version: 1,
        })
    }

    /// Folds a whole journal.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Result<Self, FoldError> {
        let mut it = events.into_iter();
        let first = it.next().ok_or(FoldError::Empty)?;
        let mut inc = Incident::from_opening(first)?;
        inc.seen.reserve(it.size_hint().0);
        for ev in it {
            inc.apply(ev);
        }
        Ok(inc)
    }

    /// Applies one event. Returns false if it changed nothing (unknown type, a second opening,
    /// an event id already folded in, or a reference to an entry that does not exist).
    pub fn apply(&mut self, ev: &Event) -> bool {
        if !self.seen.insert(ev.id) {
            self.repeated_events += 1;
            return false;
        }
        self.events += 1;
        let changed = match &ev.body {
            EventBody::IncidentOpened { .. } => false,
            EventBody::Unknown => {
                self.unknown_events += 1;
                return false;
            }
            EventBody::TitleSet { title } => {
                let text = format!("title: {} → {}", self.title, title);
                self.title = title.clone();
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::SeveritySet { severity } => {
                let text = format!("severity: {} → {}", self.severity.label(), severity.label());
                self.severity = *severity;
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::StatusSet { status } => {
                let text = format!("status: {} → {}", self.status, status);
                self.status = *status;
                self.status_first.entry(*status).or_insert(ev.at);
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::RoleSet { role, person } => {
                let text = if person.is_empty() {
                    self.roles.remove(role);
                    format!("{}: cleared", role.label())
                } else {
                    self.roles.insert(*role, person.clone());
                    format!("{}: {}", role.label(), person)
                };
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::EntryAdded {
                occurred_at,
                kind,
                text,
                step,
            } => {
                let entry = Entry {
                    about: step.clone(),
                    id: ev.id,
                    seq: self.events,
                    occurred_at: *occurred_at,
                    logged_at: ev.at,
                    author: ev.by.clone(),
                    kind: *kind,
                    text: text.clone(),
                    pinned: false,
                    deleted: false,
                    history: Vec::new(),
                };
                self.insert_sorted(entry);
                true
            }
            EventBody::EntryEdited {
                entry,
                text,
                occurred_at,
                kind,
            } => match self.position(*entry) {
                Some(i) => {
                    // Only a change of time moves the entry; the rest is changed in place.
                    let moves = occurred_at.is_some_and(|o| o != self.entries[i].occurred_at);
                    let mut e = if moves {
                        self.entries.remove(i)
                    } else {
                        std::mem::replace(&mut self.entries[i], placeholder())
                    };
                    e.history.push(Revision {
                        at: ev.at,
                        by: ev.by.clone(),
                        text: e.text.clone(),
                        occurred_at: e.occurred_at,
                        kind: e.kind,
                    });
                    if let Some(t) = text {
                        e.text = t.clone();
                    }
                    if let Some(o) = occurred_at {
                        e.occurred_at = *o;
                    }
                    if let Some(k) = kind {
                        e.kind = *k;
                    }
                    if moves {
                        self.insert_sorted(e);
                    } else {
                        self.entries[i] = e;
                    }
                    true
                }
                None => false,
            },
            EventBody::PlaybookAttached { playbook, source } => {
                if self.playbook(playbook).is_some() {
                    false
                } else {
                    match parse_playbook(playbook, &format!("journal:{playbook}"), source) {
                        Ok(pb) => {
                            let text = format!(
                                "playbook attached: {} ({} steps)",
                                pb.name,
                                pb.step_count()
                            );
                            self.playbooks.push(pb);
                            self.push_entry(ev, EntryKind::Incident, text);
                            true
                        }
                        Err(_) => false,
                    }
                }
            }
            EventBody::StepChanged {
                playbook,
                step,
                action,
            } => {
                let change = StepChange {
                    playbook: playbook.clone(),
                    step: step.clone(),
                    action: action.clone(),
                    at: ev.at,
                    by: ev.by.clone(),
                };
                match self.playbooks.iter().find(|p| p.id == *playbook) {
                    Some(pb) => {
                        let before = self.progress.state(playbook, step).clone();
                        match self.progress.apply_checked(pb, &change) {
                            Ok(()) => {
                                let text = pb
                                    .step(step)
                                    .map(|s| timeline_text(s, &before, &change))
                                    .unwrap_or_default();
                                self.push_entry_about(
                                    ev,
                                    EntryKind::Step,
                                    text,
                                    Some(format!("{playbook}/{step}")),
                                );
                                true
                            }
                            Err(_) => false,
                        }
                    }
                    None => false,
                }
            }
            EventBody::HealthChanged {
                source,
                item,
                key,
                text,
            } => {
                if self.health_keys.insert(key.clone()) {
                    let about = Some(match item {
                        Some(i) => format!("{source}/{i}"),
                        None => source.clone(),
                    });
                    self.push_entry_about(ev, EntryKind::Health, text.clone(), about);
                    true
                } else {
                    false
                }
            }
            EventBody::TraceSnapshot {
                query,
                rows,
                by_status,
                evidence,
            } => {
                let counts: Vec<String> = by_status
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(s, n)| format!("{s} {n}"))
                    .collect();
                let mut text = format!("trace {query}: {rows} rows");
                if !counts.is_empty() {
                    text.push_str(&format!(" ({})", counts.join(", ")));
                }
                if let Some(e) = evidence {
                    text.push_str(&format!("; rows kept in {e}"));
                }
                self.push_entry_about(ev, EntryKind::Trace, text, evidence.clone());
                self.last_trace = Some(TraceRecord {
                    at: ev.at,
                    query: query.clone(),
                    rows: *rows,
                    by_status: by_status.clone(),
                });
                true
            }
            EventBody::HealthSeen { source, seen } => {
                self.health_seen
                    .sources
                    .insert(source.clone(), seen.clone());
                true
            }
            EventBody::Closed {
                summary,
                impact,
                root_cause,
                follow_ups,
                override_reason,
            } => {
                if self.is_closed() {
                    false
                } else {
                    self.closed_at = Some(ev.at);
                    self.closing = Some(Closing {
                        at: ev.at,
                        by: ev.by.clone(),
                        summary: summary.clone(),
                        impact: impact.clone(),
                        root_cause: root_cause.clone(),
                        follow_ups: follow_ups.clone(),
                        override_reason: override_reason.clone(),
                    });
                    let mut text = format!("closed: {summary}");
                    if let Some(r) = override_reason {
                        text.push_str(&format!(
                            " · closed with required playbook steps open, override: {r}"
                        ));
                    }
                    self.push_entry_about(ev, EntryKind::Incident, text, Some(ABOUT_CLOSE.into()));
                    true
                }
            }
            EventBody::Reopened { reason } => {
                if self.is_closed() {
                    self.closed_at = None;
                    let text = match reason {
                        Some(r) => format!("reopened: {r}"),
                        None => "reopened".to_string(),
                    };
                    self.push_entry_about(ev, EntryKind::Incident, text, Some(ABOUT_CLOSE.into()));
                    true
                } else {
                    false
                }
            }
            EventBody::KeyTimeSet { which, time: at } => {
                self.key_times_set.insert(*which, *at);
                if *which == KeyTime::Started {
                    self.started_at = *at;
                }
                let text = format!("key time {which}: {}", at.format("%Y-%m-%d %H:%M:%S UTC"));
                let about = Some(format!("{ABOUT_KEY_TIME}/{which}"));
                self.push_entry_about(ev, EntryKind::Incident, text, about);
                true
            }
            EventBody::UpdateSent {
                template,
                channels_ok,
                channels_failed,
                text,
                retry_of,
                statuspage,
            } => {
                self.comms.record_sent(ev.at, !channels_ok.is_empty());
                self.comms.record_published(statuspage);
                let mut text = super::updates::sent_entry_text(
                    template,
                    channels_ok,
                    channels_failed,
                    retry_of.is_some(),
                    text,
                );
                if !statuspage.is_empty() {
                    // After the header line: which Statuspage incidents it went to.
                    let pages: Vec<String> = statuspage
                        .iter()
                        .map(|p| {
                            format!(
                                "{}: Statuspage incident {} ({})",
                                p.channel, p.incident_id, p.status
                            )
                        })
                        .collect();
                    let at = text.find('\n').unwrap_or(text.len());
                    text.insert_str(at, &format!(" [{}]", pages.join("; ")));
                }
                self.push_entry(ev, EntryKind::Comms, text);
                true
            }
            EventBody::UpdateSnoozed { minutes } => {
                self.comms.record_snooze(ev.at, *minutes);
                let text = super::updates::snooze_entry_text(*minutes);
                self.push_entry(ev, EntryKind::Comms, text);
                true
            }
            EventBody::EntryDeleted { entry } => self.set_flag(*entry, |e| e.deleted = true),
            EventBody::EntryRestored { entry } => self.set_flag(*entry, |e| e.deleted = false),
            EventBody::EntryPinned { entry, pinned } => {
                let p = *pinned;
                self.set_flag(*entry, |e| e.pinned = p)
            }
        };
        if changed {
            self.version += 1;
        } else {
            self.ignored_events += 1;
        }
        changed
    }

    fn push_entry(&mut self, ev: &Event, kind: EntryKind, text: String) {
        self.push_entry_about(ev, kind, text, None);
    }

    fn push_entry_about(
        &mut self,
        ev: &Event,
        kind: EntryKind,
        text: String,
        about: Option<String>,
    ) {
        let entry = Entry {
            id: ev.id,
            seq: self.events,
            occurred_at: ev.at,
            logged_at: ev.at,
            author: ev.by.clone(),
            kind,
            text,
            pinned: false,
            deleted: false,
            about,
            history: Vec::new(),
        };
        self.insert_sorted(entry);
    }

    /// An attached playbook by id.
    pub fn playbook(&self, id: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.id == id)
    }

    fn insert_sorted(&mut self, entry: Entry) {
        let key = (entry.occurred_at, entry.seq);
        // Entries mostly arrive in order: check the end first.
        let at = match self.entries.last() {
            Some(last) if (last.occurred_at, last.seq) <= key => self.entries.len(),
            None => 0,
            _ => self
                .entries
                .partition_point(|e| (e.occurred_at, e.seq) <= key),
        };
        self.keys.insert(entry.id, key);
        self.entries.insert(at, entry);
    }

    fn set_flag(&mut self, id: Uuid, f: impl FnOnce(&mut Entry)) -> bool {
        match self.position(id) {
            Some(i) => {
                f(&mut self.entries[i]);
                true
            }
            None => false,
        }
    }

    /// Index of an entry in [`Incident::entries`].
    pub fn position(&self, id: Uuid) -> Option<usize> {
        let key = *self.keys.get(&id)?;
        let i = self
            .entries
            .partition_point(|e| (e.occurred_at, e.seq) < key);
        self.entries.get(i).is_some_and(|e| e.id == id).then_some(i)
    }

    /// The entry with this id, deleted or not.
    pub fn entry(&self, id: Uuid) -> Option<&Entry> {
        self.position(id).map(|i| &self.entries[i])
    }

    /// Entries that are not deleted, in occurred order.
    pub fn visible_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.deleted)
    }

    /// Whether the incident is closed.
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;
    use chrono::{Duration, TimeZone};

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn opened() -> Event {
        Event::new(
            t(0),
            "alice",
            EventBody::IncidentOpened {
                incident: "inc-1".into(),
                title: "Mail delayed".into(),
                severity: Severity::Sev2,
                status: Status::Investigating,
                started_at: None,
                drill: false,
            },
        )
    }

    fn add(min: i64, occurred: i64, text: &str) -> Event {
        Event::new(
            t(min),
            "bob",
            EventBody::EntryAdded {
                occurred_at: t(occurred),
                kind: EntryKind::Note,
                text: text.into(),
                step: None,
            },
        )
    }

    #[test]
    fn entries_are_ordered_by_occurred_time_even_when_backdated() {
        let evs = vec![
            opened(),
            add(1, 1, "one"),
            add(2, 2, "two"),
            add(3, -5, "earlier"),
        ];
        let inc = Incident::from_events(&evs).unwrap();
        let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["earlier", "one", "two"]);
        assert_eq!(inc.entries[0].logged_at, t(3));
    }

    #[test]
    fn edits_keep_history_and_reorder() {
        let a = add(1, 1, "one");
        let id = a.id;
        let b = add(2, 2, "two");
        let edit = Event::new(
            t(3),
            "carol",
            EventBody::EntryEdited {
                entry: id,
                text: Some("one, fixed".into()),
                occurred_at: Some(t(5)),
                kind: Some(EntryKind::Decision),
            },
        );
        let inc = Incident::from_events(&[opened(), a, b, edit]).unwrap();
        let last = inc.entries.last().unwrap();
        assert_eq!(last.id, id);
        assert_eq!(last.text, "one, fixed");
        assert_eq!(last.kind, EntryKind::Decision);
        assert_eq!(last.history.len(), 1);
        assert_eq!(last.history[0].text, "one");
        assert_eq!(last.history[0].by, "carol");
    }

    #[test]
    fn delete_restore_pin() {
        let a = add(1, 1, "one");
        let id = a.id;
        let mut inc = Incident::from_events(&[opened(), a]).unwrap();
        assert!(inc.apply(&Event::new(
            t(2),
            "x",
            EventBody::EntryDeleted { entry: id }
        )));
        assert_eq!(inc.visible_entries().count(), 0);
        assert!(inc.apply(&Event::new(
            t(3),
            "x",
            EventBody::EntryRestored { entry: id }
        )));
        assert!(inc.apply(&Event::new(
            t(4),
            "x",
            EventBody::EntryPinned {
                entry: id,
                pinned: true
            }
        )));
        assert!(inc.entry(id).unwrap().pinned);
        assert_eq!(inc.visible_entries().count(), 1);
        // An edit of an entry that does not exist changes nothing.
        assert!(!inc.apply(&Event::new(
            t(5),
            "x",
            EventBody::EntryDeleted { entry: Uuid::nil() }
        )));
        assert_eq!(inc.ignored_events, 1);
    }

    #[test]
    fn field_changes_become_entries() {
        let mut inc = Incident::from_events(&[opened()]).unwrap();
        inc.apply(&Event::new(
            t(1),
            "a",
            EventBody::SeveritySet {
                severity: Severity::Sev1,
            },
        ));
        inc.apply(&Event::new(
            t(2),
            "a",
            EventBody::StatusSet {
                status: Status::Mitigated,
            },
        ));
        inc.apply(&Event::new(
            t(3),
            "a",
            EventBody::RoleSet {
                role: Role::Comms,
                person: "dana".into(),
            },
        ));
        inc.apply(&Event::new(
            t(4),
            "a",
            EventBody::TitleSet {
                title: "EXO down".into(),
            },
        ));
        assert_eq!(inc.severity, Severity::Sev1);
        assert_eq!(inc.status, Status::Mitigated);
        assert_eq!(
            inc.roles.get(&Role::Comms).map(String::as_str),
            Some("dana")
        );
        assert_eq!(inc.title, "EXO down");
        let texts: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "severity: SEV2 → SEV1",
                "status: investigating → mitigated",
                "comms lead: dana",
                "title: Mail delayed → EXO down"
            ]
        );
        assert!(inc.entries.iter().all(|e| e.kind == EntryKind::Incident));
    }

    #[test]
    fn unknown_event_types_are_kept_and_skipped() {
        let line = r#"{"v":1,"id":"0190b0c0-0000-7000-8000-000000000001","at":"2026-11-30T14:00:00Z","by":"x","type":"from_the_future","stuff":[1,2]}"#;
        let ev: Event = serde_json::from_str(line).unwrap();
        assert_eq!(ev.body, EventBody::Unknown);
        let mut inc = Incident::from_events(&[opened()]).unwrap();
        assert!(!inc.apply(&ev));
        assert_eq!(inc.unknown_events, 1);
    }

    #[test]
    fn entries_over_the_limit_are_refused_not_cut() {
        let at_limit = "é".repeat(ENTRY_MAX / 2);
        assert_eq!(entry_text(&at_limit).unwrap().len(), ENTRY_MAX);
        let e = entry_text(&format!("{at_limit}x")).unwrap_err();
        assert!(
            e.contains("65,537 bytes") && e.contains("65,536 bytes (64 KiB)"),
            "{e}"
        );
        // What counts is the text that would be stored: escapes do not.
        let padded = format!("  {}\u{1b}[31m  ", "a".repeat(ENTRY_MAX));
        assert_eq!(entry_text(&padded).unwrap().len(), ENTRY_MAX);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }

    #[test]
    fn entries_are_found_by_id_after_any_moves() {
        let mut evs = vec![opened()];
        let mut ids = Vec::new();
        for i in 0..60 {
            // Backdated ones, later ones, and ties on the time.
            let e = add(i, (i * 7919) % 50 - 25, &format!("e{i}"));
            ids.push(e.id);
            evs.push(e);
        }
        for (n, id) in ids.iter().enumerate().step_by(3) {
            evs.push(Event::new(
                t(100 + n as i64),
                "x",
                EventBody::EntryEdited {
                    entry: *id,
                    text: Some(format!("edited {n}")),
                    occurred_at: (n % 2 == 0).then(|| t((n as i64 * 31) % 40 - 20)),
                    kind: None,
                },
            ));
        }
        let inc = Incident::from_events(&evs).unwrap();
        for id in &ids {
            let linear = inc.entries.iter().position(|e| e.id == *id);
            assert_eq!(inc.position(*id), linear);
            assert!(linear.is_some());
        }
        assert_eq!(inc.position(Uuid::nil()), None);
        let sorted = inc
            .entries
            .windows(2)
            .all(|w| (w[0].occurred_at, w[0].seq) <= (w[1].occurred_at, w[1].seq));
        assert!(sorted);
    }

    #[test]
    fn the_same_event_twice_folds_once() {
        let a = add(1, 1, "once");
        let edit = Event::new(
            t(2),
            "x",
            EventBody::EntryEdited {
                entry: a.id,
                text: Some("edited".into()),
                occurred_at: None,
                kind: None,
            },
        );
        let sev = Event::new(
            t(3),
            "x",
            EventBody::SeveritySet {
                severity: Severity::Sev1,
            },
        );
        let o = opened();
        let evs = [
            o.clone(),
            a.clone(),
            edit.clone(),
            a.clone(),
            edit.clone(),
            sev.clone(),
            sev,
            o,
        ];
        let inc = Incident::from_events(&evs).unwrap();
        // The entry and the severity change, each once; the edit applied once.
        assert_eq!(inc.entries.len(), 2, "{:?}", inc.entries);
        assert_eq!(inc.entries[0].text, "edited");
        assert_eq!(inc.entries[0].history.len(), 1);
        assert_eq!(inc.severity, Severity::Sev1);
        assert_eq!(inc.repeated_events, 4);
        assert_eq!(inc.events, 4);
    }

    #[test]
    fn event_json_shape() {
        let ev = add(1, 1, "hello");
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["v"], 1);
        assert_eq!(json["type"], "entry_added");
        assert_eq!(json["kind"], "note");
        assert_eq!(json["by"], "bob");
        assert_eq!(json["at"], "2026-11-30T14:01:00Z");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, ev);
    }

    #[test]
    fn words_parse_case_insensitively() {
        assert_eq!("SEV1".parse::<Severity>().unwrap(), Severity::Sev1);
        assert_eq!(Severity::parse_loose("3").unwrap(), Severity::Sev3);
        assert!(
            "sev9"
                .parse::<Severity>()
                .unwrap_err()
                .contains("sev1, sev2")
        );
        assert_eq!("Mitigated".parse::<Status>().unwrap(), Status::Mitigated);
    }
}
