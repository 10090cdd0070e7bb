//! What the journal says about stakeholder updates: the channels an update reached or missed,
//! the Statuspage incidents it published, and the log the next-update clock runs from.
//!
//! A leaf: chrono and serde only.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A channel an update did not reach, and why (a message without secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelFailure {
    pub channel: String,
    pub error: String,
}

/// A Statuspage incident an update created or updated, recorded with the send so that every
/// console (and a restart) updates the same incident instead of opening another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatuspagePublished {
    /// The channel it went out on.
    pub channel: String,
    pub page_id: String,
    /// Statuspage's id of the incident.
    pub incident_id: String,
    /// The Statuspage status it was given: investigating, identified, monitoring or resolved.
    pub status: String,
}

/// What the journal says about updates so far: enough to run the clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommsLog {
    /// When an update last reached at least one channel.
    pub last_sent: Option<DateTime<Utc>>,
    /// How many updates reached at least one channel.
    pub sent: usize,
    /// Snoozes since the last update: (when, minutes), in journal order.
    pub snoozes: Vec<(DateTime<Utc>, u32)>,
    /// The Statuspage incident of each page (by page id), as last published.
    pub statuspage: std::collections::BTreeMap<String, StatuspagePublished>,
    /// When each update that reached a channel went out, in journal order (for the figures
    /// across incidents, `domain::stats`).
    pub sent_times: Vec<DateTime<Utc>>,
    /// Every snooze ever made: (when, minutes), in journal order.
    pub snooze_log: Vec<(DateTime<Utc>, u32)>,
}

impl CommsLog {
    /// An update went out at `at`; only one that reached somebody restarts the clock.
    pub fn record_sent(&mut self, at: DateTime<Utc>, reached_any: bool) {
        if reached_any {
            self.sent += 1;
            self.sent_times.push(at);
            if self.last_sent.is_none_or(|l| at >= l) {
                self.last_sent = Some(at);
                self.snoozes.retain(|(s, _)| *s > at);
            }
        }
    }

    /// Statuspage incidents a send created or updated.
    pub fn record_published(&mut self, published: &[StatuspagePublished]) {
        for p in published {
            self.statuspage.insert(p.page_id.clone(), p.clone());
        }
    }

    /// The Statuspage incidents not resolved yet, in page order.
    pub fn open_statuspage(&self) -> Vec<&StatuspagePublished> {
        self.statuspage
            .values()
            .filter(|p| p.status != "resolved")
            .collect()
    }

    pub fn record_snooze(&mut self, at: DateTime<Utc>, minutes: u32) {
        self.snooze_log.push((at, minutes));
        if self.last_sent.is_none_or(|l| at >= l) {
            self.snoozes.push((at, minutes));
        }
    }
}
