//! The diff between two polls of a source, and the "last seen" state it compares against.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::{HealthItem, ItemUpdate, Level, SourceSnapshot};

/// What kind of change a [`HealthChange`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ChangeKind {
    /// An item we had not seen before.
    NewItem {
        /// Its level.
        level: Level,
        /// Its status text.
        status: String,
    },
    /// An item's level changed.
    LevelChanged {
        /// Before.
        from: Level,
        /// After.
        to: Level,
    },
    /// An item's status text changed (compared case-insensitively).
    StatusChanged {
        /// Before.
        from: String,
        /// After.
        to: String,
    },
    /// A post newer than any seen before.
    NewUpdate {
        /// When it was posted.
        at: DateTime<Utc>,
    },
    /// An item got a resolution time.
    Resolved,
    /// An open item is no longer listed by the source (resolved or withdrawn).
    Gone,
    /// The source's overall level changed.
    SourceLevelChanged {
        /// Before (`None` the first time a source is seen).
        from: Option<Level>,
        /// After.
        to: Level,
    },
}

/// One change worth an entry in the incident timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthChange {
    /// The source name.
    pub source: String,
    /// The item, unless the change is about the whole source.
    pub item_id: Option<String>,
    /// What changed.
    pub kind: ChangeKind,
    /// A dedup key derived only from the data the source published (plus the poll time for
    /// source-level changes), e.g. `m365/EX1234567/status/serviceDegradation@2026-03-02T15:41:07Z`
    /// or `m365/EX1234567/update/2026-03-02T15:41:07Z`. The same change seen twice gives the same
    /// key.
    pub key: String,
    /// A one-line human description for the timeline.
    pub text: String,
}

/// What is remembered about one item between polls (and across restarts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenItem {
    /// Last seen level.
    pub level: Level,
    /// Last seen status text.
    pub status: String,
    /// Time of the newest post seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update: Option<DateTime<Utc>>,
    /// Whether it was seen resolved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resolved: bool,
}

/// What is remembered about one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenSource {
    /// Last seen overall level.
    pub level: Level,
    /// Items by id.
    #[serde(default)]
    pub items: BTreeMap<String, SeenItem>,
}

impl SeenSource {
    fn from_snapshot(snap: &SourceSnapshot) -> SeenSource {
        SeenSource {
            level: snap.level,
            items: snap
                .items
                .iter()
                .map(|i| {
                    (
                        i.id.clone(),
                        SeenItem {
                            level: i.level,
                            status: i.status.clone(),
                            last_update: i.updates.iter().map(|u| u.at).max(),
                            resolved: i.resolved.is_some(),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// The compact, serialisable "last seen" state of every source, meant to be stored in the
/// journal so that after a restart [`diff_seen`] reports only what really changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenState {
    /// Per source name.
    #[serde(default)]
    pub sources: BTreeMap<String, SeenSource>,
}

impl SeenState {
    /// Records `snap` as seen. A snapshot carrying an error is ignored (its items are stale copies).
    pub fn apply(&mut self, snap: &SourceSnapshot) {
        if snap.last_error.is_some() {
            return;
        }
        self.sources
            .insert(snap.name.clone(), SeenSource::from_snapshot(snap));
    }

    /// Forgets a source (e.g. removed from the config).
    pub fn remove(&mut self, source: &str) {
        self.sources.remove(source);
    }
}

/// The changes between the previous snapshot of a source (if any) and the next one.
/// Same rules as [`diff_seen`].
pub fn diff(prev: Option<&SourceSnapshot>, next: &SourceSnapshot) -> Vec<HealthChange> {
    let seen = prev.map(SeenSource::from_snapshot);
    diff_source(seen.as_ref(), next)
}

/// The changes between what was last seen of `next`'s source and `next`.
///
/// Rules:
/// - a snapshot carrying an error reports nothing (the pane shows the error);
/// - a new item is reported unless it is an `Operational` row with nothing to say (a resolved
///   item, or a component/service without posts), so the first poll does not flood the timeline
///   with every green component;
/// - for a known item: level change, status change (case-insensitive), each post newer than the
///   newest seen, and resolution;
/// - a previously open item that disappears is reported as gone;
/// - the source's overall level is reported when it changes, and the first time a source is
///   seen if it is not `Operational`/`Unknown`.
pub fn diff_seen(seen: &SeenState, next: &SourceSnapshot) -> Vec<HealthChange> {
    diff_source(seen.sources.get(&next.name), next)
}

/// Timestamps in keys and texts: whole seconds, `Z`.
fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn short(s: &str, max_chars: usize) -> String {
    let mut out: String = s.chars().take(max_chars).collect();
    if s.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn diff_source(seen: Option<&SeenSource>, next: &SourceSnapshot) -> Vec<HealthChange> {
    let mut out = Vec::new();
    if next.last_error.is_some() {
        return out;
    }
    let src = next.name.as_str();
    let change =
        |item_id: Option<&str>, kind: ChangeKind, key: String, text: String| HealthChange {
            source: src.to_string(),
            item_id: item_id.map(str::to_string),
            kind,
            key,
            text,
        };

    // A queue source says why: `relay-q: overall operational → degraded: 1204 waiting ≥
    // warn_count 1000; 1204 queued (deferred 1180, active 24) · oldest 2h10m`. The key stays
    // the level's, so the same crossing is still recorded once.
    let why = next
        .queue
        .as_ref()
        .map(|q| match &q.crossed {
            Some(c) => format!(": {c}; {}", q.headline()),
            None => format!(": {}", q.headline()),
        })
        .unwrap_or_default();
    // Overall level first, so the timeline reads "overall degraded", then the details.
    match seen {
        Some(s) if s.level != next.level => out.push(change(
            None,
            ChangeKind::SourceLevelChanged {
                from: Some(s.level),
                to: next.level,
            },
            format!("{src}/level/{}@{}", next.level, ts(next.polled_at)),
            format!("{src}: overall {} → {}{why}", s.level, next.level),
        )),
        None if !matches!(next.level, Level::Operational | Level::Unknown) => out.push(change(
            None,
            ChangeKind::SourceLevelChanged {
                from: None,
                to: next.level,
            },
            format!("{src}/level/{}@{}", next.level, ts(next.polled_at)),
            format!("{src}: overall {}{why}", next.level),
        )),
        _ => {}
    }

    let mut present = BTreeSet::new();
    for item in &next.items {
        present.insert(item.id.as_str());
        let id = item.id.as_str();
        let stamp = ts(item.updated.unwrap_or(next.polled_at));
        let old = seen.and_then(|s| s.items.get(id));
        let Some(old) = old else {
            let quiet = item.level == Level::Operational
                && (item.resolved.is_some() || item.updates.is_empty());
            if !quiet {
                let resolved = if item.resolved.is_some() {
                    ", resolved"
                } else {
                    ""
                };
                out.push(change(
                    Some(id),
                    ChangeKind::NewItem {
                        level: item.level,
                        status: item.status.clone(),
                    },
                    format!("{src}/{id}/new"),
                    format!(
                        "{src} {id}: new ({}, {}{resolved}) {}",
                        item.level,
                        short(&item.status, 60),
                        short(&item.title, 160)
                    ),
                ));
            }
            continue;
        };
        if old.level != item.level {
            out.push(change(
                Some(id),
                ChangeKind::LevelChanged {
                    from: old.level,
                    to: item.level,
                },
                format!("{src}/{id}/level/{}@{stamp}", item.level),
                format!("{src} {id}: level {} → {}", old.level, item.level),
            ));
        }
        if !old.status.eq_ignore_ascii_case(&item.status) {
            out.push(change(
                Some(id),
                ChangeKind::StatusChanged {
                    from: old.status.clone(),
                    to: item.status.clone(),
                },
                format!("{src}/{id}/status/{}@{stamp}", item.status),
                format!(
                    "{src} {id}: status {} → {}",
                    short(&old.status, 60),
                    short(&item.status, 60)
                ),
            ));
        }
        let mut fresh: Vec<&ItemUpdate> = item
            .updates
            .iter()
            .filter(|u| old.last_update.is_none_or(|seen_at| u.at > seen_at))
            .collect();
        fresh.sort_by_key(|u| u.at);
        for u in fresh {
            out.push(change(
                Some(id),
                ChangeKind::NewUpdate { at: u.at },
                format!("{src}/{id}/update/{}", ts(u.at)),
                format!(
                    "{src} {id}: update {}: {}",
                    u.at.format("%H:%M UTC"),
                    short(&one_line(&u.text), 200)
                ),
            ));
        }
        if !old.resolved && item.resolved.is_some() {
            out.push(change(
                Some(id),
                ChangeKind::Resolved,
                format!("{src}/{id}/resolved"),
                format!("{src} {id}: resolved: {}", short(&item.title, 160)),
            ));
        }
    }

    if let Some(s) = seen {
        for (id, old) in &s.items {
            if !present.contains(id.as_str()) && !old.resolved && old.level != Level::Operational {
                out.push(change(
                    Some(id),
                    ChangeKind::Gone,
                    format!("{src}/{id}/gone"),
                    format!("{src} {id}: no longer listed by the source (resolved or withdrawn)"),
                ));
            }
        }
    }
    out
}

/// One health entry in the incident timeline: everything one poll revealed about one item (or
/// about the source as a whole), told in one line. A new item with its level, status and posts
/// is one entry; a source's overall level change is another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthEntry {
    /// The source name.
    pub source: String,
    /// The item, unless the entry is about the whole source.
    pub item_id: Option<String>,
    /// Every change the entry tells, in the order [`diff`] gave them; never empty.
    pub changes: Vec<HealthChange>,
    /// The timeline text.
    pub text: String,
}

impl HealthEntry {
    /// The key the entry is recorded under: its first change's.
    pub fn key(&self) -> &str {
        &self.changes[0].key
    }
}

/// Groups the changes of one poll of `snap`'s source into timeline entries: one per item, one
/// for the source's overall level, in the order the changes came.
pub fn entries(changes: Vec<HealthChange>, snap: &SourceSnapshot) -> Vec<HealthEntry> {
    let mut groups: Vec<(Option<String>, Vec<HealthChange>)> = Vec::new();
    for c in changes {
        // A source-level change stands alone; an item's changes gather under the item.
        let same = |g: &&mut (Option<String>, Vec<HealthChange>)| {
            c.item_id.is_some() && g.0 == c.item_id && g.1[0].source == c.source
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.1.push(c),
            None => groups.push((c.item_id.clone(), vec![c])),
        }
    }
    groups
        .into_iter()
        .map(|(item_id, changes)| {
            let item = item_id
                .as_deref()
                .and_then(|id| snap.items.iter().find(|i| i.id == id));
            HealthEntry {
                source: changes[0].source.clone(),
                text: entry_text(&changes, item),
                item_id,
                changes,
            }
        })
        .collect()
}

/// `m365 EX1094411 new: degraded, investigating: Users may be unable to …` for a new item (its
/// newest post on the next line); the change's own text for a lone change; otherwise the item
/// and its changes joined by `; `.
fn entry_text(changes: &[HealthChange], item: Option<&HealthItem>) -> String {
    let first = &changes[0];
    if let (ChangeKind::NewItem { level, status }, Some(item)) = (&first.kind, item) {
        let resolved = if item.resolved.is_some() {
            ", resolved"
        } else {
            ""
        };
        let mut text = format!(
            "{} {} new: {level}, {}{resolved}: {}",
            first.source,
            item.id,
            short(status, 60),
            short(&item.title, 160)
        );
        if let Some(post) = item.updates.iter().max_by_key(|u| u.at) {
            text.push_str(&format!(
                "\n{}: {}",
                post.at.format("%H:%M UTC"),
                short(&one_line(&post.text), 400)
            ));
        }
        return text;
    }
    if changes.len() == 1 {
        return first.text.clone();
    }
    let head = match &first.item_id {
        Some(id) => format!("{} {id}: ", first.source),
        None => format!("{}: ", first.source),
    };
    let parts: Vec<&str> = changes
        .iter()
        .map(|c| c.text.strip_prefix(&head).unwrap_or(&c.text))
        .collect();
    format!("{head}{}", parts.join("; "))
}
