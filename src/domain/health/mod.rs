//! The service-health model every source normalises to (this file), the diff that turns two
//! polls into timeline-worthy changes and the timeline entries they make (`diff.rs`), the compact
//! "last seen" state kept in the journal (`diff.rs`), and the source configuration types
//! (`config.rs`).
//!
//! Pure: std, serde and chrono only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::queue::QueueSummary;

mod config;
mod diff;
#[cfg(test)]
mod tests;

pub use config::*;
pub use diff::*;

pub use super::vocab::Level;

/// One dated post on an item (a Graph post, a Statuspage incident update, a Google update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemUpdate {
    /// When it was posted.
    pub at: DateTime<Utc>,
    /// Plain, sanitised text.
    pub text: String,
}

/// One thing a source reports on: an issue, an incident, a component, a service, a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthItem {
    /// Stable id within the source (e.g. `EX1234567`, a Statuspage id, a feed guid).
    pub id: String,
    /// One-line, sanitised title.
    pub title: String,
    /// The affected service or component, when the source says.
    pub service: Option<String>,
    /// Normalised level of this item.
    pub level: Level,
    /// The source's own status text, kept verbatim (sanitised), including values we do not know.
    pub status: String,
    /// When it started.
    pub started: Option<DateTime<Utc>>,
    /// When the source last changed it.
    pub updated: Option<DateTime<Utc>>,
    /// When it was resolved; `None` while open.
    pub resolved: Option<DateTime<Utc>>,
    /// Posts, oldest first.
    pub updates: Vec<ItemUpdate>,
}

/// What one source said at one poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSnapshot {
    /// The configured source name.
    pub name: String,
    /// The source kind (`graph`, `statuspage`, `feed`, `google`, `smtp`).
    pub kind: String,
    /// Overall level of the source.
    pub level: Level,
    /// Items, in the source's order.
    pub items: Vec<HealthItem>,
    /// When the source last answered usefully.
    pub last_success: Option<DateTime<Utc>>,
    /// Why the last poll failed; `None` when it succeeded. When set, `items` and `level` are the
    /// ones from the last success.
    pub last_error: Option<String>,
    /// When this snapshot was taken.
    pub polled_at: DateTime<Utc>,
    /// What a queue source's listing said (`postfix-queue`, `command-queue`); `None` for other
    /// kinds and after a failed listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSummary>,
}

/// Whether `kind` is a queue source's kind (`postfix-queue`, `command-queue`).
pub fn is_queue_kind(kind: &str) -> bool {
    matches!(kind, "postfix-queue" | "command-queue")
}

impl SourceSnapshot {
    /// The worst level among the items, `Operational` when there are none.
    pub fn worst_item_level(&self) -> Level {
        self.items
            .iter()
            .map(|i| i.level)
            .max()
            .unwrap_or(Level::Operational)
    }

    /// The snapshot to show after a failed poll: the previous items and level are kept (so a
    /// flaky source does not flap the pane), the error is recorded. Without a previous success
    /// the level is `Unknown`. A queue source is `Unknown` after any failure: a queue we cannot
    /// read may be growing, and the last listing's level would vouch for it.
    pub fn failed(
        name: &str,
        kind: &str,
        previous: Option<&SourceSnapshot>,
        error: String,
        now: DateTime<Utc>,
    ) -> SourceSnapshot {
        if is_queue_kind(kind) {
            return SourceSnapshot {
                name: name.to_string(),
                kind: kind.to_string(),
                level: Level::Unknown,
                items: Vec::new(),
                last_success: previous.and_then(|p| p.last_success),
                last_error: Some(error),
                polled_at: now,
                queue: None,
            };
        }
        match previous {
            Some(p) if p.last_success.is_some() => SourceSnapshot {
                name: name.to_string(),
                kind: kind.to_string(),
                level: p.level,
                items: p.items.clone(),
                last_success: p.last_success,
                last_error: Some(error),
                polled_at: now,
                queue: None,
            },
            _ => SourceSnapshot {
                name: name.to_string(),
                kind: kind.to_string(),
                level: Level::Unknown,
                items: Vec::new(),
                last_success: None,
                last_error: Some(error),
                polled_at: now,
                queue: None,
            },
        }
    }
}
