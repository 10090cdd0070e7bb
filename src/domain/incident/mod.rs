//! The incident: its fields, its timeline, and the fold of journal events into them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

use crate::domain::close_record::{ABOUT_CLOSE, ABOUT_KEY_TIME, Closing};
use crate::domain::comms::CommsLog;
use crate::domain::entry_text::{self, Before};
use crate::domain::event::{Event, EventBody};
use crate::domain::evidence::{Custody, TraceKept};
use crate::domain::followup::{ABOUT_FOLLOWUP, FollowUpItem, FollowUps, Pushed};
use crate::domain::health::SeenState;
use crate::domain::playbook::{Playbook, PlaybookProgress, StepChange, parse_playbook};
pub use crate::domain::vocab::{EntryKind, KeyTime, Role, Severity, Status};

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
    /// How many events had been folded (in fold order) when the entry was made. Entries are
    /// ordered by (`occurred_at`, `logged_at`, `id`), never by this.
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
    /// Evidence, support cases and every trace result kept.
    pub custody: Custody,
    /// Stakeholder updates sent and snoozed (for the next-update clock).
    pub comms: CommsLog,
    /// Every entry, deleted ones too, ordered by (`occurred_at`, `logged_at`, `id`).
    pub entries: Vec<Entry>,
    /// What was said at the last close (kept when reopened, so a new close can start from it).
    pub closing: Option<Closing>,
    /// Every follow-up decided at a close, with its state and tracker issues (see
    /// `domain::followup`); read them with [`Incident::followups`].
    pub followup_log: FollowUps,
    /// Key times set by hand; the others are proposed from the timeline (see `domain::closing`).
    pub key_times_set: BTreeMap<KeyTime, DateTime<Utc>>,
    /// When each status was first set.
    pub status_first: BTreeMap<Status, DateTime<Utc>>,
    /// Every saved version of the post-incident review, oldest first.
    pub reviews: Vec<crate::domain::review::ReviewVersion>,
    /// The marker of each marked entry (by entry id).
    pub markers: BTreeMap<Uuid, crate::domain::marker::Marker>,
    /// Events of types this build does not know.
    pub unknown_events: usize,
    /// Events that did not apply (e.g. an edit of an entry that does not exist yet, or a change
    /// that lost a conflict).
    pub ignored_events: usize,
    /// Events whose id had been folded in already (the same line twice, e.g. copied from
    /// another console): folded once. Counts arrivals, so it is this console's own figure.
    pub repeated_events: usize,
    /// Ids of the events folded in.
    seen: std::collections::HashSet<Uuid, IdHash>,
    /// The (time, event id) of the marking that decided each entry's marker.
    marker_keys: std::collections::HashMap<Uuid, (DateTime<Utc>, Uuid), IdHash>,
    /// Where each entry sorts (`occurred_at`, `logged_at`), so that finding one by id is a
    /// binary search, not a scan (a journal of many edits of early entries replays in linear
    /// time).
    keys: std::collections::HashMap<Uuid, (DateTime<Utc>, DateTime<Utc>), IdHash>,
    /// Every distinct event folded in, in fold order (see `order.rs`): the opening first.
    log: Vec<Event>,
    /// Events waiting for what they refer to (see `order.rs`).
    waiting: order::Waiting,
    /// Who reopened the incident last, and when (for the notice of a reopen that finds it open).
    last_reopen: Option<(DateTime<Utc>, String)>,
    /// How many distinct events have been folded in.
    pub events: u64,
    /// Bumped on every applied change (and on every refold); views cache against it. Counts
    /// this console's work, so it is not part of what converges.
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
            custody: Custody::default(),
            comms: CommsLog::default(),
            entries: Vec::new(),
            closing: None,
            followup_log: FollowUps::default(),
            key_times_set: BTreeMap::new(),
            status_first: BTreeMap::new(),
            markers: BTreeMap::new(),
            reviews: Vec::new(),
            unknown_events: 0,
            ignored_events: 0,
            repeated_events: 0,
            seen: {
                let mut s = std::collections::HashSet::with_hasher(IdHash);
                s.insert(ev.id);
                s
            },
            keys: std::collections::HashMap::with_hasher(IdHash),
            marker_keys: std::collections::HashMap::with_hasher(IdHash),
            log: vec![ev.clone()],
            waiting: order::Waiting::default(),
            last_reopen: None,
            events: 1,
            version: 1,
        })
    }

    /// Folds one event's body, in fold order. Returns false if it changed nothing (unknown
    /// type, a second opening, a reference to an entry or playbook not there (yet), or a
    /// change the state refuses: see [`Incident::apply`]).
    fn fold_body(&mut self, ev: &Event) -> bool {
        let text = entry_text::text(
            &ev.body,
            Before {
                title: &self.title,
                severity: self.severity,
                status: self.status,
            },
        )
        .unwrap_or_default();
        // A change that sorts after the close (made on a console that had not heard of it) is
        // refused the way the consoles refuse it, and shown.
        if self.is_closed() && !ev.body.allowed_on_closed() {
            if let Some(closing) = &self.closing {
                let notice = conflict::after_close(closing, ev, &text);
                self.push_notice(ev, notice, Some(ABOUT_CLOSE.into()));
            }
            self.ignored_events += 1;
            return false;
        }
        let changed = match &ev.body {
            EventBody::IncidentOpened { .. } => false,
            EventBody::Unknown => {
                self.unknown_events += 1;
                return false;
            }
            EventBody::TitleSet { title } => {
                self.title = title.clone();
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::SeveritySet { severity } => {
                self.severity = *severity;
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::StatusSet { status } => {
                self.status = *status;
                self.status_first.entry(*status).or_insert(ev.at);
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::RoleSet { role, person } => {
                if person.is_empty() {
                    self.roles.remove(role);
                } else {
                    self.roles.insert(*role, person.clone());
                }
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
                None => self.hold_for_entry(*entry, ev),
            },
            EventBody::PlaybookAttached { playbook, source } => {
                if self.playbook(playbook).is_some() {
                    false
                } else {
                    match parse_playbook(playbook, &format!("journal:{playbook}"), source) {
                        Ok(pb) => {
                            let text = entry_text::playbook_attached(&pb);
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
                            Err(e) if conflict::is_conflict(&e) => {
                                let text = pb
                                    .step(step)
                                    .map(|s| conflict::step(s, &before, &change, &e))
                                    .unwrap_or_default();
                                let about = Some(format!("{playbook}/{step}"));
                                self.push_notice(ev, text, about);
                                false
                            }
                            Ok(()) => {
                                let text = pb
                                    .step(step)
                                    .map(|s| entry_text::step_changed(s, &before, &change))
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
                    None => self.hold_for_playbook(playbook, ev),
                }
            }
            EventBody::HealthChanged {
                source,
                item,
                key,
                text: _,
                changes,
            } => {
                if self.health_keys.insert(key.clone()) {
                    self.health_keys
                        .extend(changes.iter().map(|c| c.key.clone()));
                    let about = Some(match item {
                        Some(i) => format!("{source}/{i}"),
                        None => source.clone(),
                    });
                    self.push_entry_about(ev, EntryKind::Health, text, about);
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
                size,
                sha256,
            } => {
                self.custody.add_trace(TraceKept {
                    at: ev.at,
                    by: ev.by.clone(),
                    query: query.clone(),
                    rows: *rows,
                    by_status: by_status.clone(),
                    evidence: evidence.clone(),
                    size: *size,
                    sha256: sha256.clone(),
                });
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
                if let Some(first) = self.closing.as_ref().filter(|_| self.is_closed()) {
                    let text = conflict::second_close(first, ev, summary);
                    self.push_notice(ev, text, Some(ABOUT_CLOSE.into()));
                    false
                } else {
                    self.closed_at = Some(ev.at);
                    self.followup_log.record_close(ev.id, ev.at, follow_ups);
                    self.closing = Some(Closing {
                        at: ev.at,
                        by: ev.by.clone(),
                        summary: summary.clone(),
                        impact: impact.clone(),
                        root_cause: root_cause.clone(),
                        follow_ups: follow_ups.clone(),
                        override_reason: override_reason.clone(),
                    });
                    self.push_entry_about(ev, EntryKind::Incident, text, Some(ABOUT_CLOSE.into()));
                    true
                }
            }
            EventBody::Reopened { reason } => {
                if self.is_closed() {
                    self.closed_at = None;
                    self.last_reopen = Some((ev.at, ev.by.clone()));
                    self.push_entry_about(ev, EntryKind::Incident, text, Some(ABOUT_CLOSE.into()));
                    true
                } else {
                    let text = conflict::reopen_while_open(self.last_reopen.as_ref(), ev, reason);
                    self.push_notice(ev, text, Some(ABOUT_CLOSE.into()));
                    false
                }
            }
            EventBody::KeyTimeSet { which, time: at } => {
                self.key_times_set.insert(*which, *at);
                if *which == KeyTime::Started {
                    self.started_at = *at;
                }
                let about = Some(format!("{ABOUT_KEY_TIME}/{which}"));
                self.push_entry_about(ev, EntryKind::Incident, text, about);
                true
            }
            EventBody::UpdateSent {
                channels_ok,
                statuspage,
                ..
            } => {
                self.comms.record_sent(ev.at, !channels_ok.is_empty());
                self.comms.record_published(statuspage);
                self.push_entry(ev, EntryKind::Comms, text);
                true
            }
            EventBody::UpdateSnoozed { minutes } => {
                self.comms.record_snooze(ev.at, *minutes);
                self.push_entry(ev, EntryKind::Comms, text);
                true
            }
            // Allowed on a closed incident (see `domain::evidence`).
            EventBody::EvidenceAdded(e) => {
                self.custody.add_evidence(ev.at, &ev.by, e);
                self.push_entry_about(ev, EntryKind::Action, text, e.step.clone());
                true
            }
            EventBody::TicketRecorded(t) => {
                self.custody.add_ticket(ev.at, &ev.by, t);
                self.push_entry(ev, EntryKind::Action, text);
                true
            }
            EventBody::FollowupChanged {
                followup,
                state,
                reason,
            } => match self.followup_log.change(
                followup,
                *state,
                reason.as_deref(),
                (ev.id, ev.at, &ev.by),
            ) {
                Some(action) => {
                    let text = entry_text::followup_changed(&action, *state, reason.as_deref());
                    let about = Some(format!("{ABOUT_FOLLOWUP}/{followup}"));
                    self.push_entry_about(ev, EntryKind::Incident, text, about);
                    true
                }
                None if !self.followups().iter().any(|f| &f.id == followup) => {
                    self.hold_for_followup(followup, ev)
                }
                None => false,
            },
            EventBody::FollowupPushed {
                followup,
                tracker,
                key,
                url,
            } => {
                let p = Pushed {
                    tracker: tracker.clone(),
                    key: key.clone(),
                    url: url.clone(),
                    at: ev.at,
                };
                match self.followup_log.pushed(followup, p) {
                    Some(action) => {
                        let text = entry_text::followup_pushed(&action, tracker, key, url);
                        let about = Some(format!("{ABOUT_FOLLOWUP}/{followup}"));
                        self.push_entry_about(ev, EntryKind::Incident, text, about);
                        true
                    }
                    None => self.hold_for_followup(followup, ev),
                }
            }
            EventBody::Handoff { to, .. } => {
                // Like a role change (the later one wins), with the brief in the same entry.
                if to.is_empty() {
                    self.roles.remove(&Role::Commander);
                } else {
                    self.roles.insert(Role::Commander, to.clone());
                }
                self.push_entry(ev, EntryKind::Incident, text);
                true
            }
            EventBody::EntryDeleted { entry } => self.set_flag(ev, *entry, |e| e.deleted = true),
            EventBody::EntryRestored { entry } => self.set_flag(ev, *entry, |e| e.deleted = false),
            EventBody::EntryPinned { entry, pinned } => {
                let p = *pinned;
                self.set_flag(ev, *entry, |e| e.pinned = p)
            }
            // Allowed on a closed incident, like every review event.
            EventBody::ReviewSaved { template, sections } => {
                // Kept in (time, event id) order, so the latest is the same in any arrival order.
                let at = self
                    .reviews
                    .partition_point(|r| (r.at, r.id) <= (ev.at, ev.id));
                self.reviews.insert(
                    at,
                    crate::domain::review::ReviewVersion {
                        id: ev.id,
                        at: ev.at,
                        by: ev.by.clone(),
                        template: template.clone(),
                        sections: sections.clone(),
                    },
                );
                true
            }
            // The latest marking (by time, then event id) wins, in any arrival order.
            EventBody::EntryMarked { entry, marker } => match self.position(*entry) {
                Some(_) => {
                    let key = (ev.at, ev.id);
                    if self.marker_keys.get(entry).is_some_and(|k| *k > key) {
                        false
                    } else {
                        self.marker_keys.insert(*entry, key);
                        match marker {
                            Some(m) => self.markers.insert(*entry, *m),
                            None => self.markers.remove(entry),
                        };
                        true
                    }
                }
                None => self.hold_for_entry(*entry, ev),
            },
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
        let key = entry_key(&entry);
        // Entries mostly arrive in order: check the end first.
        let at = match self.entries.last() {
            Some(last) if entry_key(last) <= key => self.entries.len(),
            None => 0,
            _ => self.entries.partition_point(|e| entry_key(e) <= key),
        };
        self.keys
            .insert(entry.id, (entry.occurred_at, entry.logged_at));
        self.entries.insert(at, entry);
    }

    fn set_flag(&mut self, ev: &Event, id: Uuid, f: impl FnOnce(&mut Entry)) -> bool {
        match self.position(id) {
            Some(i) => {
                f(&mut self.entries[i]);
                true
            }
            None => self.hold_for_entry(id, ev),
        }
    }

    /// A notice the fold derives (a change that lost a conflict): an entry with the losing
    /// event's id, time and author, never an event of its own.
    fn push_notice(&mut self, ev: &Event, text: String, about: Option<String>) {
        let mut entry_about = about.unwrap_or_default();
        if !entry_about.is_empty() {
            entry_about.insert(0, '/');
        }
        entry_about.insert_str(0, conflict::ABOUT_CONFLICT);
        self.push_entry_about(ev, EntryKind::Incident, text, Some(entry_about));
        self.version += 1;
    }

    /// Index of an entry in [`Incident::entries`].
    pub fn position(&self, id: Uuid) -> Option<usize> {
        let (occurred, logged) = *self.keys.get(&id)?;
        let key = (occurred, logged, id);
        let i = self.entries.partition_point(|e| entry_key(e) < key);
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

    /// Every follow-up decided at a close (also those done or dropped), in the order they were
    /// first recorded, with owner, due date, state and tracker issues.
    pub fn followups(&self) -> &[FollowUpItem] {
        self.followup_log.all()
    }

    /// Whether the incident is closed.
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

/// Where an entry sorts: by when it happened, then when it was logged, then its id (so that
/// ties break the same way in every console, whatever order the events arrived in).
fn entry_key(e: &Entry) -> (DateTime<Utc>, DateTime<Utc>, Uuid) {
    (e.occurred_at, e.logged_at, e.id)
}

mod conflict;
mod order;
pub use conflict::ABOUT_CONFLICT;

#[cfg(test)]
mod converge_tests;
#[cfg(test)]
mod tests;
