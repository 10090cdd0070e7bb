//! Mail queues as a health source: what a queue listing says (messages per queue, the oldest
//! message's age, the top deferral reasons and destination domains), the thresholds that turn it
//! into a health level, and the depth history the health pane draws as a sparkline.
//!
//! Each listing format has its own parser: [`postfix`] reads `postqueue -j` (one JSON object a
//! line), [`command`] reads the JSON array any other command prints (`{queue, count,
//! oldest_seconds, reason, domain}`). Both feed a [`QueueTally`], which [`QueueTally::finish`]
//! turns into a [`QueueSummary`]. Deferral reasons are grouped with the trace breakdown's
//! [`reason_key`], so a thousand `Connection timed out` lines from a thousand addresses are one
//! reason.
//!
//! Pure: std, serde and chrono only.

pub mod command;
pub mod postfix;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::text::sanitize_line;
use super::trace_breakdown::{domain_of, reason_key};
use super::vocab::Level;

/// The queue that mail put on hold on purpose sits in: counted, shown, but never held against
/// the thresholds.
pub const HOLD: &str = "hold";
/// How many reasons and domains a summary keeps.
pub const TOP_N: usize = 5;
/// Longest queue name, reason or domain kept from a listing.
const NAME_CAP: usize = 200;
/// The most distinct queue names, reasons or domains counted (the rest go under `(other)`), so
/// a hostile listing cannot grow the tally without bound.
const DISTINCT_CAP: usize = 10_000;

/// Default `warn_count`: messages waiting for delivery.
pub const DEFAULT_WARN_COUNT: u64 = 200;
/// Default `alert_count`.
pub const DEFAULT_ALERT_COUNT: u64 = 2_000;
/// Default `warn_age`: the oldest waiting message.
pub const DEFAULT_WARN_AGE: Duration = Duration::from_secs(3600);
/// Default `alert_age`.
pub const DEFAULT_ALERT_AGE: Duration = Duration::from_secs(4 * 3600);

/// When a queue is worth a look (`warn_*` → degraded) and when it is an outage of our own
/// (`alert_*` → partial outage). Counts are messages waiting for delivery (every queue but
/// `hold`); ages are the oldest such message's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueThresholds {
    pub warn_count: u64,
    pub alert_count: u64,
    pub warn_age: Duration,
    pub alert_age: Duration,
}

impl Default for QueueThresholds {
    fn default() -> Self {
        QueueThresholds {
            warn_count: DEFAULT_WARN_COUNT,
            alert_count: DEFAULT_ALERT_COUNT,
            warn_age: DEFAULT_WARN_AGE,
            alert_age: DEFAULT_ALERT_AGE,
        }
    }
}

impl QueueThresholds {
    /// Checks that each warning comes before its alert and that none is zero; the message says
    /// what to change.
    pub fn check(&self) -> Result<(), String> {
        if self.warn_count == 0 || self.alert_count == 0 {
            return Err("`warn_count` and `alert_count` must be at least 1 message".into());
        }
        if self.warn_count > self.alert_count {
            return Err(format!(
                "`warn_count` ({}) is above `alert_count` ({}): the warning must come first; lower warn_count or raise alert_count",
                self.warn_count, self.alert_count
            ));
        }
        if self.warn_age.is_zero() || self.alert_age.is_zero() {
            return Err("`warn_age` and `alert_age` must be longer than zero, e.g. \"1h\"".into());
        }
        if self.warn_age > self.alert_age {
            return Err(format!(
                "`warn_age` ({}) is longer than `alert_age` ({}): the warning must come first; shorten warn_age or lengthen alert_age",
                fmt_age(self.warn_age.as_secs()),
                fmt_age(self.alert_age.as_secs())
            ));
        }
        Ok(())
    }

    /// The level of a queue with `waiting` messages, the oldest `oldest_seconds` old, and the
    /// threshold that set it (`None` while under every threshold). An alert beats a warning;
    /// between two of the same rank the count is named first.
    pub fn judge(&self, waiting: u64, oldest_seconds: Option<u64>) -> (Level, Option<String>) {
        let age = oldest_seconds.unwrap_or(0);
        let count_text = |what: &str, limit: u64| format!("{waiting} waiting ≥ {what} {limit}");
        let age_text = |what: &str, limit: Duration| {
            format!(
                "oldest {} ≥ {what} {}",
                fmt_age(age),
                fmt_age(limit.as_secs())
            )
        };
        if waiting >= self.alert_count {
            (
                Level::PartialOutage,
                Some(count_text("alert_count", self.alert_count)),
            )
        } else if waiting > 0 && age >= self.alert_age.as_secs() {
            (
                Level::PartialOutage,
                Some(age_text("alert_age", self.alert_age)),
            )
        } else if waiting >= self.warn_count {
            (
                Level::Degraded,
                Some(count_text("warn_count", self.warn_count)),
            )
        } else if waiting > 0 && age >= self.warn_age.as_secs() {
            (Level::Degraded, Some(age_text("warn_age", self.warn_age)))
        } else {
            (Level::Operational, None)
        }
    }
}

/// `45s`, `12m`, `2h05m`, `3d04h`: an age, short.
pub fn fmt_age(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// One reason or domain and how many recipients it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub key: String,
    pub count: u64,
}

/// What one queue listing said.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Messages in every queue, `hold` included.
    pub total: u64,
    /// Messages per queue name (`active`, `deferred`, `hold`, `incoming`, `maildrop`, or what a
    /// command named).
    pub by_queue: BTreeMap<String, u64>,
    /// Messages waiting for delivery: every queue but `hold`.
    pub waiting: u64,
    /// Age of the oldest waiting message, when the listing says.
    pub oldest_seconds: Option<u64>,
    /// Deferral reasons, normalised, most frequent first (at most [`TOP_N`]).
    pub top_reasons: Vec<Counted>,
    /// Destination domains of waiting mail, most frequent first (at most [`TOP_N`]).
    pub top_domains: Vec<Counted>,
    /// Listing lines or entries that could not be read and were skipped.
    pub skipped: u64,
    /// The threshold the level comes from, e.g. `1204 waiting ≥ warn_count 1000`.
    pub crossed: Option<String>,
}

impl QueueSummary {
    /// `1204 queued (deferred 1180, active 24) · oldest 2h10m`: the pane's and the timeline's
    /// one-line account.
    pub fn headline(&self) -> String {
        let mut counts: Vec<(&String, u64)> = self
            .by_queue
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(q, n)| (q, *n))
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let parts: Vec<String> = counts.iter().map(|(q, n)| format!("{q} {n}")).collect();
        let mut text = format!("{} queued", self.total);
        if !parts.is_empty() {
            text.push_str(&format!(" ({})", parts.join(", ")));
        }
        if let Some(age) = self.oldest_seconds.filter(|_| self.waiting > 0) {
            text.push_str(&format!(" · oldest {}", fmt_age(age)));
        }
        text
    }
}

impl QueueSummary {
    /// `1204 queued · oldest 2h10m`: the headline for a narrow pane.
    pub fn short_headline(&self) -> String {
        match self.oldest_seconds.filter(|_| self.waiting > 0) {
            Some(age) => format!("{} queued · oldest {}", self.total, fmt_age(age)),
            None => format!("{} queued", self.total),
        }
    }
}

/// Counts a listing as it is read.
#[derive(Debug, Clone, Default)]
pub struct QueueTally {
    by_queue: BTreeMap<String, u64>,
    oldest: Option<u64>,
    reasons: BTreeMap<String, u64>,
    domains: BTreeMap<String, u64>,
    skipped: u64,
}

/// Adds `n` under `key`, or under `(other)` once [`DISTINCT_CAP`] keys are known.
fn bump(map: &mut BTreeMap<String, u64>, key: String, n: u64) {
    let key = if map.len() >= DISTINCT_CAP && !map.contains_key(&key) {
        "(other)".to_string()
    } else {
        key
    };
    let slot = map.entry(key).or_insert(0);
    *slot = slot.saturating_add(n);
}

impl QueueTally {
    /// Messages in `queue` (`count` of them, the oldest `oldest_seconds` old).
    pub fn add_messages(&mut self, queue: &str, count: u64, oldest_seconds: Option<u64>) {
        let queue = clean_name(queue);
        let queue = if queue.is_empty() {
            "(unnamed)".to_string()
        } else {
            queue.to_lowercase()
        };
        if queue != HOLD
            && count > 0
            && let Some(age) = oldest_seconds
        {
            self.oldest = Some(self.oldest.map_or(age, |o| o.max(age)));
        }
        bump(&mut self.by_queue, queue, count);
    }

    /// `count` recipients deferred for `reason` (the remote reply or the local error, as the
    /// listing gives it); grouped like the trace breakdown's reasons.
    pub fn add_reason(&mut self, reason: &str, count: u64) {
        let reason = clean_name(reason);
        if reason.is_empty() || count == 0 {
            return;
        }
        bump(&mut self.reasons, reason_key(&reason, ""), count);
    }

    /// `count` waiting recipients at `domain` (an address or a bare domain).
    pub fn add_domain(&mut self, address_or_domain: &str, count: u64) {
        let a = clean_name(address_or_domain);
        if a.is_empty() || count == 0 {
            return;
        }
        let domain = if a.contains('@') {
            domain_of(&a)
        } else {
            a.to_lowercase()
        };
        bump(&mut self.domains, domain, count);
    }

    /// One line or entry that could not be read.
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// How many were skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The summary, its level judged by `thresholds`.
    pub fn finish(self, thresholds: &QueueThresholds) -> (Level, QueueSummary) {
        let total = self
            .by_queue
            .values()
            .fold(0u64, |a, n| a.saturating_add(*n));
        let waiting = total.saturating_sub(self.by_queue.get(HOLD).copied().unwrap_or(0));
        let oldest = if waiting > 0 { self.oldest } else { None };
        let (level, crossed) = thresholds.judge(waiting, oldest);
        let summary = QueueSummary {
            total,
            by_queue: self.by_queue,
            waiting,
            oldest_seconds: oldest,
            top_reasons: top(self.reasons),
            top_domains: top(self.domains),
            skipped: self.skipped,
            crossed,
        };
        (level, summary)
    }
}

fn top(map: BTreeMap<String, u64>) -> Vec<Counted> {
    let mut all: Vec<Counted> = map
        .into_iter()
        .map(|(key, count)| Counted { key, count })
        .collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    all.truncate(TOP_N);
    all
}

fn clean_name(s: &str) -> String {
    sanitize_line(s, NAME_CAP)
}

/// How many points of depth history a source keeps. Past that, neighbouring points are merged
/// (each point then stands for twice as many polls), so the history always covers the whole
/// session in bounded memory.
pub const HISTORY_CAP: usize = 512;

/// A queue source's depth over the session, oldest first; `None` marks a poll that failed (a gap
/// in the sparkline). A point that stands for several polls holds the deepest of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepthHistory {
    points: Vec<Option<u64>>,
    /// Polls per point.
    stride: u32,
    /// The point being filled: its value and how many polls it has.
    pending: Option<(Option<u64>, u32)>,
}

impl Default for DepthHistory {
    fn default() -> Self {
        DepthHistory {
            points: Vec::new(),
            stride: 1,
            pending: None,
        }
    }
}

/// The deeper of two points; a gap only when both are.
fn deeper(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl DepthHistory {
    /// Records one poll.
    pub fn push(&mut self, depth: Option<u64>) {
        let (value, polls) = match self.pending.take() {
            Some((v, n)) => (deeper(v, depth), n + 1),
            None => (depth, 1),
        };
        if polls < self.stride {
            self.pending = Some((value, polls));
            return;
        }
        self.points.push(value);
        if self.points.len() >= HISTORY_CAP {
            self.points = self
                .points
                .chunks(2)
                .map(|c| c.iter().copied().fold(None, deeper))
                .collect();
            self.stride = self.stride.saturating_mul(2);
        }
    }

    /// The whole session in at most `width` points, oldest first: consecutive points merged
    /// (the deepest kept) when there are more than fit.
    pub fn shape(&self, width: usize) -> Vec<Option<u64>> {
        let mut all = self.points.clone();
        if let Some((v, _)) = self.pending {
            all.push(v);
        }
        if width == 0 || all.is_empty() {
            return Vec::new();
        }
        if all.len() <= width {
            return all;
        }
        let per = all.len().div_ceil(width);
        all.chunks(per)
            .map(|c| c.iter().copied().fold(None, deeper))
            .collect()
    }

    /// Polls recorded in the points (not counting merges).
    pub fn len(&self) -> usize {
        self.points.len() + usize::from(self.pending.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
