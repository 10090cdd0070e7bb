//! The message-trace request budget: 100 requests per 5 minutes, counted in a sliding window.

use super::*;

/// The request budget as the pane shows it: `EXO budget 7/100 per 5 min`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests sent within the window ending now.
    pub used: usize,
    pub limit: usize,
    pub window_secs: u64,
    /// When the oldest counted request leaves the window (a slot frees); `None` when none is
    /// counted.
    pub resets_at: Option<DateTime<Utc>>,
}

impl Budget {
    /// Requests that may still be sent now.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used)
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EXO budget {}/{} per {}",
            self.used,
            self.limit,
            fmt_window(self.window_secs)
        )
    }
}

pub(super) fn fmt_window(secs: u64) -> String {
    if secs > 0 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else {
        format!("{secs} s")
    }
}

/// A sliding-window request counter.
#[derive(Debug, Clone)]
pub(super) struct RequestBudget {
    limit: usize,
    window: TimeDelta,
    window_secs: u64,
    sent: VecDeque<DateTime<Utc>>,
}

impl RequestBudget {
    pub(super) fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window: TimeDelta::from_std(window).unwrap_or(TimeDelta::seconds(300)),
            window_secs: window.as_secs(),
            sent: VecDeque::new(),
        }
    }

    pub(super) fn prune(&mut self, now: DateTime<Utc>) {
        while let Some(&t) = self.sent.front() {
            if t + self.window <= now {
                self.sent.pop_front();
            } else {
                break;
            }
        }
    }

    pub(super) fn snapshot(&self, now: DateTime<Utc>) -> Budget {
        let live: Vec<DateTime<Utc>> = self
            .sent
            .iter()
            .copied()
            .filter(|t| *t + self.window > now)
            .collect();
        Budget {
            used: live.len(),
            limit: self.limit,
            window_secs: self.window_secs,
            resets_at: live.iter().min().map(|t| *t + self.window),
        }
    }

    /// Counts one request at `now`, or says why it may not be sent.
    pub(super) fn acquire(&mut self, now: DateTime<Utc>) -> Result<(), ExoError> {
        self.prune(now);
        if self.sent.len() >= self.limit {
            let frees_at = self
                .sent
                .iter()
                .min()
                .map(|t| *t + self.window)
                .unwrap_or(now);
            let wait = (frees_at - now).to_std().unwrap_or_default();
            return Err(ExoError::Budget {
                used: self.sent.len(),
                limit: self.limit,
                window: fmt_window(self.window_secs),
                frees_at,
                wait: fmt_duration(Duration::from_secs(wait.as_secs().max(1))),
            });
        }
        self.sent.push_back(now);
        Ok(())
    }
}
