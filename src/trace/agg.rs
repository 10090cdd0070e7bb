//! Folding events into messages and messages into rows.
//!
//! Every field of a [`MessageAgg`] is a minimum, a maximum or a union over the events folded
//! into it, each under a total order. So the result does not depend on the order events arrive
//! in, and two aggregates of the same message (from two files) [`merge`](MessageAgg::merge) into
//! what one aggregate of all the events would be. That is what lets a refresh fold only the
//! bytes that grew, and drop one file's share of a message when the file is truncated.
//!
//! # Status of a recipient
//!
//! The latest event wins (ties: the higher rank), except that a *weak* event (a content-filter
//! hop, a shadow copy, a Safety Net resubmission) never replaces a normal one. Across the queue
//! ids of one message (a content filter re-queues it), the later hop always wins.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::{AggKey, Effect, RawEvent};
use crate::domain::trace::{TraceEvent, TraceRow, TraceStatus};

/// Deferral times kept per recipient.
const MAX_DEFERRALS: usize = 256;

/// A status with what decides between two of them, in comparison order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Mark {
    /// 0 weak, 1 normal.
    pub strength: u8,
    pub time: DateTime<Utc>,
    pub rank: u8,
    pub status: TraceStatus,
    /// Set by a hand-off to a content filter.
    pub hop: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Rcpt {
    /// The address as first written (earliest event, then smallest).
    pub display: (DateTime<Utc>, String),
    pub status: Option<Mark>,
    /// Latest reply: time, text, enhanced code.
    pub reply: Option<(DateTime<Utc>, String, String)>,
    pub deferrals: Vec<DateTime<Utc>>,
    /// Latest logged delay (Postfix `delay=`), in milliseconds.
    pub delay: Option<(DateTime<Utc>, u64)>,
    pub orig_to: Option<String>,
}

impl Rcpt {
    fn merge(&mut self, o: &Rcpt) {
        if o.display < self.display {
            self.display = o.display.clone();
        }
        self.status = self.status.max(o.status);
        if o.reply > self.reply {
            self.reply = o.reply.clone();
        }
        for d in &o.deferrals {
            if self.deferrals.len() < MAX_DEFERRALS {
                self.deferrals.push(*d);
            }
        }
        self.delay = self.delay.max(o.delay);
        if o.orig_to > self.orig_to {
            self.orig_to = o.orig_to.clone();
        }
    }
}

fn min_opt<T: Ord + Clone>(a: &mut Option<T>, b: &Option<T>) {
    if let Some(b) = b
        && a.as_ref().is_none_or(|a| b < a)
    {
        *a = Some(b.clone());
    }
}

/// Everything known about one message (one queue id, one Exchange message id).
#[derive(Debug, Clone, Default)]
pub(crate) struct MessageAgg {
    pub sources: BTreeSet<usize>,
    pub message_id: Option<(DateTime<Utc>, String)>,
    pub sender: Option<(DateTime<Utc>, String)>,
    pub subject: Option<(DateTime<Utc>, String)>,
    pub first: Option<DateTime<Utc>>,
    /// Earliest Exchange `RECEIVE`.
    pub first_receive: Option<DateTime<Utc>>,
    /// Some event gave a status (recipients without one of their own are pending).
    pub active: bool,
    pub recipients: BTreeMap<String, Rcpt>,
    /// Message-level failure (Postfix expiry): time and reason.
    pub terminal: Option<(DateTime<Utc>, String)>,
    pub references: BTreeSet<String>,
    /// Keys the message went on under after a content filter.
    pub links: BTreeSet<AggKey>,
    /// Bounce notifications created for it.
    pub notifications: BTreeSet<AggKey>,
    pub probe: bool,
    pub events: Vec<TraceEvent>,
}

impl MessageAgg {
    /// Folds one event in. `source_name` names the event's source in chain events.
    pub fn fold(&mut self, ev: &RawEvent, keep_events: bool, source_name: &str) {
        self.first = Some(self.first.map_or(ev.time, |f| f.min(ev.time)));
        if ev.receive {
            self.first_receive = Some(self.first_receive.map_or(ev.time, |f| f.min(ev.time)));
        }
        self.sources.insert(ev.source);
        if !ev.message_id.is_empty() {
            min_opt(
                &mut self.message_id,
                &Some((ev.time, ev.message_id.clone())),
            );
        }
        if let Some(s) = &ev.sender {
            min_opt(&mut self.sender, &Some((ev.time, s.clone())));
        }
        if let Some(s) = &ev.subject
            && !s.is_empty()
        {
            min_opt(&mut self.subject, &Some((ev.time, s.clone())));
        }
        if let Some(r) = &ev.reference {
            self.references.insert(r.clone());
        }
        if let Some(l) = &ev.link {
            self.links.insert(l.clone());
        }
        if let Some(n) = &ev.notification {
            self.notifications.insert(n.clone());
        }
        self.probe |= ev.probe;
        let status = ev.effect.status();
        if status.is_some() {
            self.active = true;
        }
        if ev.recipients.is_empty() && matches!(ev.effect, Effect::Expired | Effect::Failed) {
            let t = Some((ev.time, ev.reply.clone()));
            if t > self.terminal {
                self.terminal = t;
            }
        }
        let mark = status.map(|(st, rank)| Mark {
            strength: u8::from(!ev.weak),
            time: ev.time,
            rank,
            status: st,
            hop: ev.hop,
        });
        for r in &ev.recipients {
            let one = Rcpt {
                display: (ev.time, r.addr.clone()),
                status: mark,
                reply: (!r.reply.is_empty()).then(|| (ev.time, r.reply.clone(), r.dsn.clone())),
                deferrals: if ev.effect == Effect::Deferred {
                    vec![ev.time]
                } else {
                    Vec::new()
                },
                delay: r.delay_ms.map(|d| (ev.time, d)),
                orig_to: r.orig_to.as_ref().map(|o| o.to_lowercase()),
            };
            match self.recipients.get_mut(&r.addr.to_lowercase()) {
                Some(have) => have.merge(&one),
                None => {
                    self.recipients.insert(r.addr.to_lowercase(), one);
                }
            }
        }
        if keep_events {
            self.events.push(TraceEvent {
                time: ev.time,
                server: ev.server.clone(),
                source: source_name.to_string(),
                file: (*ev.file).clone(),
                line: ev.line,
                event: ev.event.clone(),
                recipients: ev.recipients.iter().map(|r| r.addr.clone()).collect(),
                detail: ev.detail.clone(),
            });
        }
    }

    /// What one aggregate of both messages' events would be.
    pub fn merge(&mut self, o: &MessageAgg) {
        self.sources.extend(o.sources.iter().copied());
        min_opt(&mut self.message_id, &o.message_id);
        min_opt(&mut self.sender, &o.sender);
        min_opt(&mut self.subject, &o.subject);
        min_opt(&mut self.first, &o.first);
        min_opt(&mut self.first_receive, &o.first_receive);
        self.active |= o.active;
        for (k, r) in &o.recipients {
            match self.recipients.get_mut(k) {
                Some(have) => have.merge(r),
                None => {
                    self.recipients.insert(k.clone(), r.clone());
                }
            }
        }
        if o.terminal > self.terminal {
            self.terminal = o.terminal.clone();
        }
        self.references.extend(o.references.iter().cloned());
        self.links.extend(o.links.iter().cloned());
        self.notifications.extend(o.notifications.iter().cloned());
        self.probe |= o.probe;
        self.events.extend(o.events.iter().cloned());
    }
}

/// One recipient of one member of a group, its terminal applied.
struct Candidate<'a> {
    depth: usize,
    mark: Option<Mark>,
    reply: String,
    reply_at: Option<DateTime<Utc>>,
    dsn: String,
    rcpt: &'a Rcpt,
}

/// The rows of a message made of `members` (the queue ids of one message, root first, with
/// their depth: 0 for the root, 1 for the id after the first content filter, …). `sources`
/// names the sources; `row_key` is the rows' key.
pub(crate) fn group_rows(
    members: &[(usize, &MessageAgg)],
    row_key: &str,
    sources: &[&str],
) -> Vec<(String, TraceRow)> {
    let Some((_, root)) = members.first() else {
        return Vec::new();
    };
    if root.probe {
        return Vec::new();
    }
    let mut first: Option<DateTime<Utc>> = None;
    let mut sender: Option<(DateTime<Utc>, String)> = None;
    let mut subject: Option<(DateTime<Utc>, String)> = None;
    let mut message_id = root.message_id.clone();
    let mut names: BTreeSet<usize> = BTreeSet::new();
    let mut candidates: BTreeMap<&str, Vec<Candidate>> = BTreeMap::new();
    // Addresses that a later hop delivered under their new name (`orig_to=`).
    let mut rewritten: Vec<(usize, &str)> = Vec::new();
    for (depth, m) in members {
        min_opt(&mut first, &m.first);
        min_opt(&mut sender, &m.sender);
        min_opt(&mut subject, &m.subject);
        if message_id.is_none() {
            message_id.clone_from(&m.message_id);
        }
        names.extend(m.sources.iter().copied());
        for (lower, r) in &m.recipients {
            if let Some(o) = &r.orig_to {
                rewritten.push((*depth, o.as_str()));
            }
            let mut mark = r.status;
            if mark.is_none() && m.active {
                mark = Some(Mark {
                    strength: 0,
                    time: m.first.unwrap_or_default(),
                    rank: 0,
                    status: TraceStatus::Pending,
                    hop: false,
                });
            }
            let (mut reply, mut reply_at, dsn) = match &r.reply {
                Some((t, text, dsn)) => (text.clone(), Some(*t), dsn.clone()),
                None => (String::new(), None, String::new()),
            };
            let settled = mark.is_some_and(|m| m.rank >= 3);
            if let Some((t, reason)) = &m.terminal
                && !settled
            {
                mark = Some(Mark {
                    strength: 1,
                    time: *t,
                    rank: 3,
                    status: TraceStatus::Failed,
                    hop: false,
                });
                reply = if reply.is_empty() {
                    reason.clone()
                } else {
                    format!("{reason}; last reply: {reply}")
                };
                reply_at = Some(*t);
            }
            candidates
                .entry(lower.as_str())
                .or_default()
                .push(Candidate {
                    depth: *depth,
                    mark,
                    reply,
                    reply_at,
                    dsn,
                    rcpt: r,
                });
        }
    }
    let source = names
        .iter()
        .filter_map(|&i| sources.get(i).copied())
        .collect::<Vec<_>>()
        .join(", ");
    let received = first.unwrap_or_default();
    let mut rows = Vec::new();
    for (lower, cands) in candidates {
        let Some(best) = cands.iter().max_by_key(|c| (c.depth, c.mark)) else {
            continue;
        };
        // Handed to a filter and delivered after it under another name: that row stands.
        if best.mark.is_some_and(|m| m.hop)
            && rewritten
                .iter()
                .any(|(d, o)| *d > best.depth && *o == lower)
        {
            continue;
        }
        let replied = cands
            .iter()
            .filter(|c| !c.reply.is_empty())
            .max_by_key(|c| (c.depth, c.reply_at));
        let (reply, dsn) = match (best.reply.is_empty(), replied) {
            (false, _) => (best.reply.clone(), best.dsn.clone()),
            (true, Some(c)) => (c.reply.clone(), c.dsn.clone()),
            (true, None) => (String::new(), String::new()),
        };
        let mut deferrals: Vec<DateTime<Utc>> = cands
            .iter()
            .flat_map(|c| c.rcpt.deferrals.iter().copied())
            .collect();
        deferrals.sort_unstable();
        let status = best.mark.map_or(TraceStatus::Unknown, |m| m.status);
        // Postfix: the delays of each hop add up. Exchange: first RECEIVE to delivery.
        let logged: Vec<u64> = cands
            .iter()
            .filter_map(|c| c.rcpt.delay.map(|(_, d)| d))
            .collect();
        let delay_ms = if !logged.is_empty() {
            Some(logged.iter().sum())
        } else {
            match (status, best.mark, members[0].1.first_receive) {
                (TraceStatus::Delivered, Some(m), Some(start)) if m.time >= start => {
                    u64::try_from((m.time - start).num_milliseconds()).ok()
                }
                _ => None,
            }
        };
        let display = cands
            .iter()
            .map(|c| &c.rcpt.display)
            .min()
            .map(|(_, d)| d.clone())
            .unwrap_or_default();
        rows.push((
            lower.to_string(),
            TraceRow {
                received,
                sender: sender.as_ref().map(|(_, s)| s.clone()).unwrap_or_default(),
                recipient: display,
                subject: subject.as_ref().map(|(_, s)| s.clone()).unwrap_or_default(),
                status,
                reply,
                message_id: message_id
                    .as_ref()
                    .map(|(_, m)| m.clone())
                    .unwrap_or_default(),
                source: source.clone(),
                key: row_key.to_string(),
                deferrals,
                last_event: best.mark.filter(|m| m.rank > 0).map(|m| m.time),
                delay_ms,
                dsn,
            },
        ));
    }
    rows
}
