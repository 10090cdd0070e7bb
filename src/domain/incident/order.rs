//! The order of the fold, so that the same SET of events makes the same incident whatever order
//! they arrived in (several consoles append each other's events as they come).
//!
//! - **The order**: the opening first, then every other event by (`at`, `id`) (ids are UUID
//!   v7). Competing changes of the header (title, severity, status, roles, a step's state, key
//!   times, close and reopen) are resolved by that order: the later one wins, and one the state
//!   refuses leaves a notice (see `conflict.rs`).
//! - **References wait**: an event that refers to something not there yet (an edit, delete,
//!   restore, pin or mark of an entry; a step change of a playbook not attached yet; a change
//!   of a follow-up whose close is not folded in yet), as happens
//!   when another machine's clock is behind, is held and applied right after what it refers
//!   to, in its own order among the others held. It is never lost, and the result is still a
//!   function of the set: the fold in order decides when it is held and when it is let go.
//! - **Arrivals**: an event that sorts after the last one folded (nearly always) is folded
//!   straight away; one that sorts earlier makes the fold start again from the opening over
//!   every event kept, in order (rare: remote events arriving late).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{IdHash, Incident};
use crate::domain::event::{Event, EventBody};

/// Where an event sorts among the others (the opening is always first).
fn key(ev: &Event) -> (DateTime<Utc>, Uuid) {
    (ev.at, ev.id)
}

/// Events held until what they refer to is folded in.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Waiting {
    /// By the id of the entry they refer to.
    entry: HashMap<Uuid, Vec<Event>, IdHash>,
    /// By the id of the playbook they need attached.
    playbook: HashMap<String, Vec<Event>>,
    /// By the id of the follow-up they change (decided by a close not folded in yet).
    followup: HashMap<String, Vec<Event>>,
}

impl Waiting {
    fn is_empty(&self) -> bool {
        self.entry.is_empty() && self.playbook.is_empty() && self.followup.is_empty()
    }

    fn count(&self) -> usize {
        self.entry
            .values()
            .chain(self.playbook.values())
            .chain(self.followup.values())
            .map(Vec::len)
            .sum()
    }
}

impl Incident {
    /// Folds a whole journal (in any order: see the module notes).
    pub fn from_events<'a>(
        events: impl IntoIterator<Item = &'a Event>,
    ) -> Result<Self, super::FoldError> {
        let mut it = events.into_iter();
        let first = it.next().ok_or(super::FoldError::Empty)?;
        let mut inc = Incident::from_opening(first)?;
        let more = it.size_hint().0;
        inc.seen.reserve(more);
        inc.log.reserve(more);
        inc.apply_all(it);
        Ok(inc)
    }

    /// Applies one event. Returns whether its change took effect: false for an unknown type, a
    /// second opening, an event id already folded in, a malformed change, one that waits for
    /// what it refers to, or one that lost a conflict (which still shows a notice).
    pub fn apply(&mut self, ev: &Event) -> bool {
        if self.seen.contains(&ev.id) {
            self.repeated_events += 1;
            return false;
        }
        if self.follows_last(ev) {
            self.seen.insert(ev.id);
            self.log.push(ev.clone());
            self.fold_event(ev)
        } else {
            self.refold(vec![ev.clone()], Some(ev.id))
        }
    }

    /// Applies several events (a batch read from the journal), starting the fold again at
    /// most once however many of them arrived late. Returns whether anything changed.
    pub fn apply_all<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> bool {
        self.take_all(events.into_iter().map(Cow::Borrowed))
    }

    /// Folds a whole journal read into memory, keeping its events without copying them.
    pub fn from_journal(events: Vec<Event>) -> Result<Self, super::FoldError> {
        let mut it = events.into_iter();
        let first = it.next().ok_or(super::FoldError::Empty)?;
        let mut inc = Incident::from_opening(&first)?;
        let more = it.size_hint().0;
        inc.seen.reserve(more);
        inc.log.reserve(more);
        inc.take_all(it.map(Cow::Owned));
        Ok(inc)
    }

    fn take_all<'a>(&mut self, events: impl Iterator<Item = Cow<'a, Event>>) -> bool {
        let before = self.version;
        let mut late = Vec::new();
        for ev in events {
            if self.seen.contains(&ev.id) {
                self.repeated_events += 1;
            } else if self.follows_last(&ev) {
                self.seen.insert(ev.id);
                self.fold_event(&ev);
                self.log.push(ev.into_owned());
            } else {
                late.push(ev.into_owned());
            }
        }
        if !late.is_empty() {
            self.refold(late, None);
        }
        self.version != before
    }

    /// Every distinct event folded in, in fold order: the opening, then by (`at`, `id`).
    /// The same in every console that holds the same events (exports carry this).
    pub fn events_in_order(&self) -> &[Event] {
        &self.log
    }

    /// Events waiting for an entry or a playbook that is not there (yet).
    pub fn waiting_events(&self) -> usize {
        self.waiting.count()
    }

    fn follows_last(&self, ev: &Event) -> bool {
        match self.log.as_slice() {
            [_opening] => true,
            [.., last] => key(last) < key(ev),
            [] => true,
        }
    }

    /// Folds one event in order, then lets go of the events that waited for it.
    fn fold_event(&mut self, ev: &Event) -> bool {
        self.events += 1;
        let changed = self.fold_body(ev);
        if !self.waiting.is_empty() {
            self.release(ev);
        }
        changed
    }

    /// The events held for what `ev` made (its entry, its playbook), folded now in their
    /// own order.
    fn release(&mut self, ev: &Event) {
        let mut held = self.waiting.entry.remove(&ev.id).unwrap_or_default();
        if let EventBody::PlaybookAttached { playbook, .. } = &ev.body
            && self.playbook(playbook).is_some()
            && let Some(more) = self.waiting.playbook.remove(playbook)
        {
            held.extend(more);
            held.sort_by_key(key);
        }
        if matches!(ev.body, EventBody::Closed { .. }) && !self.waiting.followup.is_empty() {
            let known: Vec<String> = self
                .waiting
                .followup
                .keys()
                .filter(|id| self.followups().iter().any(|f| &f.id == *id))
                .cloned()
                .collect();
            for id in known {
                held.extend(self.waiting.followup.remove(&id).unwrap_or_default());
            }
            held.sort_by_key(key);
        }
        for h in held {
            // It was counted as ignored while it waited.
            self.ignored_events -= 1;
            self.fold_body(&h);
            if !self.waiting.is_empty() {
                self.release(&h);
            }
        }
    }

    /// Holds `ev` until the entry `id` exists. Always false (nothing changed yet).
    pub(super) fn hold_for_entry(&mut self, id: Uuid, ev: &Event) -> bool {
        self.waiting.entry.entry(id).or_default().push(ev.clone());
        false
    }

    /// Holds `ev` until a close decides the follow-up `id`. Always false (nothing changed yet).
    pub(super) fn hold_for_followup(&mut self, id: &str, ev: &Event) -> bool {
        self.waiting
            .followup
            .entry(id.to_string())
            .or_default()
            .push(ev.clone());
        false
    }

    /// Holds `ev` until the playbook `id` is attached. Always false (nothing changed yet).
    pub(super) fn hold_for_playbook(&mut self, id: &str, ev: &Event) -> bool {
        self.waiting
            .playbook
            .entry(id.to_string())
            .or_default()
            .push(ev.clone());
        false
    }

    /// Puts `late` among the events kept and folds them all again from the opening. Returns
    /// whether the event `watch` took effect when its turn came.
    fn refold(&mut self, late: Vec<Event>, watch: Option<Uuid>) -> bool {
        let mut log = std::mem::take(&mut self.log);
        for ev in late {
            if self.seen.insert(ev.id) {
                log.push(ev);
            } else {
                self.repeated_events += 1;
            }
        }
        if let Some((_, rest)) = log.split_first_mut() {
            rest.sort_by_key(key);
        }
        let Some(Ok(mut fresh)) = log.first().map(Incident::from_opening) else {
            // The first event kept was accepted as the opening when the fold began.
            self.log = log;
            return false;
        };
        fresh.seen = std::mem::take(&mut self.seen);
        fresh.log.clear();
        let mut result = false;
        for ev in log.iter().skip(1) {
            let changed = fresh.fold_event(ev);
            if Some(ev.id) == watch {
                result = changed;
            }
        }
        fresh.log = log;
        fresh.repeated_events = self.repeated_events;
        fresh.version += self.version;
        *self = fresh;
        result
    }
}
