//! The drill's mail relay queue: a Postfix relay in front of Exchange Online whose deferred
//! queue grows while the scenario defers mail and drains once it recovers. A thread writes the
//! queue as `postqueue -j` would list it into `queue/postqueue.jsonl`, and a stand-in
//! `queue/postqueue` script prints that file; the drill's `postfix-queue` source runs the script,
//! so the console reads it through the real command runner, parser and thresholds.
//!
//! The model, in steps of ten drill seconds: new mail is deferred at `per_minute × deferral`;
//! each deferred message is retried every 90 drill seconds and a retry succeeds with probability
//! `1 − deferral`, oldest first. With the built-in scenario the queue passes the drill's warning
//! (25 messages) two minutes in and its alert (60) at three and a half, falls back under the
//! alert at five minutes and under the warning about a minute after the restoration at six.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{DrillClock, DrillShared, Scenario};

/// The drill's thresholds: low enough for the scenario's few hundred messages a minute.
pub const WARN_COUNT: u64 = 25;
pub const ALERT_COUNT: u64 = 60;

/// Drill time between two simulation steps.
const STEP: Duration = Duration::from_secs(10);
/// Drill time between two delivery attempts of a deferred message.
const RETRY: Duration = Duration::from_secs(90);

const REASONS: [&str; 3] = [
    "host contoso-com.mail.protection.outlook.com[52.101.68.2] said: 451 4.7.500 Server busy. Please try again later from [40.107.22.61]. (AS761) (in reply to RCPT TO command)",
    "host contoso-com.mail.protection.outlook.com[52.101.73.17] said: 451 4.7.500 Server busy. Please try again later from [40.107.22.88]. (AS761) (in reply to RCPT TO command)",
    "connect to contoso-com.mail.protection.outlook.com[52.101.68.2]:25: Connection timed out",
];
const SENDERS: [&str; 4] = [
    "billing@fabrikam.com",
    "orders@litwareinc.com",
    "hr@adventure-works.com",
    "payments@woodgrovebank.com",
];
const RCPTS: [&str; 5] = [
    "ops@contoso.com",
    "finance@contoso.com",
    "jordan@contoso.com",
    "sales@contoso.com",
    "legal@contoso.com",
];

/// One deferred message: when it arrived (drill time) and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Deferred {
    arrived: Duration,
    seq: u64,
}

/// The simulated queue.
#[derive(Debug, Clone, Default)]
pub struct QueueSim {
    done: Duration,
    deferred: VecDeque<Deferred>,
    active: u64,
    seq: u64,
    owed_in: f64,
    owed_out: f64,
}

impl QueueSim {
    /// Advances the queue to drill time `until`.
    pub fn advance(&mut self, scenario: &Scenario, until: Duration) {
        while self.done + STEP <= until {
            let next = self.done + STEP;
            let flow = scenario.state_at(next).mail;
            let per_step = flow.per_minute as f64 * STEP.as_secs_f64() / 60.0;
            self.owed_in += per_step * flow.deferral;
            while self.owed_in >= 1.0 {
                self.owed_in -= 1.0;
                self.seq += 1;
                self.deferred.push_back(Deferred {
                    arrived: next,
                    seq: self.seq,
                });
            }
            let retried = self.deferred.len() as f64 * STEP.as_secs_f64() / RETRY.as_secs_f64();
            self.owed_out += retried * (1.0 - flow.deferral);
            while self.owed_out >= 1.0 {
                self.owed_out -= 1.0;
                self.deferred.pop_front();
            }
            if self.deferred.is_empty() {
                self.owed_out = 0.0;
            }
            // Mail being handed over right now: a few messages, more when mail is slow.
            self.active = (per_step * (0.05 + flow.deferral)).round() as u64;
            self.done = next;
        }
    }

    /// Messages deferred now.
    pub fn deferred(&self) -> usize {
        self.deferred.len()
    }

    /// The queue as `postqueue -j` lists it. Arrival times are wall-clock times: drill time
    /// mapped back through the clock's speed, so that ages read right at any speed.
    pub fn listing(&self, clock: &DrillClock) -> String {
        let wall = |t: Duration| -> DateTime<Utc> {
            clock.stamp(Duration::ZERO)
                + chrono::Duration::from_std(t.div_f64(clock.speed())).unwrap_or_default()
        };
        let mut out = String::new();
        let mut line = |queue: &str, seq: u64, arrived: Duration, reason: Option<&str>| {
            let i = seq as usize;
            let mut rcpt = serde_json::json!({ "address": RCPTS[i % RCPTS.len()] });
            if let Some(r) = reason {
                rcpt["delay_reason"] = r.into();
            }
            let v = serde_json::json!({
                "queue_name": queue,
                "queue_id": format!("4Q{:010X}", 0xd1110000u64 + seq),
                "arrival_time": wall(arrived).timestamp(),
                "message_size": 1800 + (seq * 7919) % 60_000,
                "forced_expire": false,
                "sender": SENDERS[i % SENDERS.len()],
                "recipients": [rcpt],
            });
            out.push_str(&v.to_string());
            out.push('\n');
        };
        for d in &self.deferred {
            let reason = REASONS[(d.seq as usize) % REASONS.len()];
            line("deferred", d.seq, d.arrived, Some(reason));
        }
        for k in 0..self.active {
            line("active", 1_000_000 + k, self.done, None);
        }
        out
    }
}

/// The script the drill's queue source runs: prints the listing next to it.
const SCRIPT: &str = "#!/bin/sh\n# warroom drill: a stand-in for `postqueue -j` on the drill's relay.\nexec cat \"$(dirname \"$0\")/postqueue.jsonl\"\n";

/// Where the stand-in script is, under the drill folder.
pub fn script_path(dir: &Path) -> PathBuf {
    dir.join("queue").join("postqueue")
}

/// Writes the script and a first (empty) listing, then starts the thread that rewrites the
/// listing as drill time passes; it runs until the process ends.
pub fn start(shared: Arc<DrillShared>, dir: &Path) -> std::io::Result<()> {
    let qdir = dir.join("queue");
    std::fs::create_dir_all(&qdir)?;
    std::fs::write(script_path(dir), SCRIPT)?;
    let file = qdir.join("postqueue.jsonl");
    write_atomically(&file, "")?;
    std::thread::Builder::new()
        .name("drill-queue".into())
        .spawn(move || {
            let mut sim = QueueSim::default();
            loop {
                sim.advance(&shared.scenario, shared.clock.elapsed());
                if let Err(e) = write_atomically(&file, &sim.listing(&shared.clock)) {
                    tracing::warn!("drill queue writer stopped: {e}");
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })?;
    Ok(())
}

/// The listing is replaced whole, so a reader never sees half of it.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_scenario_grows_past_warn_then_alert_then_drains() {
        let scenario = Scenario::load(super::super::DEFAULT_SCENARIO).unwrap();
        let mut sim = QueueSim::default();
        let mut samples = Vec::new();
        for s in (0..=600).step_by(10) {
            sim.advance(&scenario, Duration::from_secs(s));
            samples.push((s, sim.deferred() as u64));
        }
        let first =
            |pred: &dyn Fn(u64) -> bool| samples.iter().find(|(_, n)| pred(*n)).map(|(s, _)| *s);
        let warn = first(&|n| n >= WARN_COUNT).expect("reaches the warning");
        let alert = first(&|n| n >= ALERT_COUNT).expect("reaches the alert");
        assert!((90..=180).contains(&warn), "{samples:?}");
        assert!(warn < alert && alert <= 300, "{samples:?}");
        let peak = samples.iter().map(|(_, n)| *n).max().unwrap();
        assert!(peak < 200, "{samples:?}");
        let end = samples.last().unwrap().1;
        assert!(end < WARN_COUNT, "{samples:?}");
        // Deterministic: the same drill time gives the same queue.
        let mut again = QueueSim::default();
        again.advance(&scenario, Duration::from_secs(600));
        assert_eq!(again.deferred() as u64, end);
    }
}
