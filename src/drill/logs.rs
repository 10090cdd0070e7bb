//! The drill's message-tracking logs: a thread that appends Exchange 2016/2019-layout MSGTRK
//! lines (through [`crate::trace::gen`]'s writer) as drill time passes, following the
//! scenario's mail flow: RECEIVE then DELIVER mostly; DEFER with `451 4.7.500` and a retry
//! 90 drill-seconds later (delivered, deferred again, or expired after three tries); FAIL; and
//! legitimate mail quarantined as phishing.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};

use super::DrillShared;
use crate::trace::r#gen::{Msg, Writer, event};

/// Drill time between a deferral and its retry.
pub const RETRY: Duration = Duration::from_secs(90);
/// Tries before a deferred message expires.
pub const MAX_TRIES: u32 = 3;

const DEFER: &str = "451 4.7.500 Server busy. Please try again later from [40.107.22.61]. (AS761)";
const QUARANTINE: &str =
    "550 5.7.1 Message quarantined: high confidence phish (FilterAction=Quarantine)";
const FAIL: &str = "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)";
const EXPIRED: &str = "550 4.4.7 QUEUE.Expired; message expired";
const DELIVERED: &str = "250 2.1.5 Recipient OK";
const SENDERS: [&str; 6] = [
    "billing@fabrikam.com",
    "noreply@tailspintoys.com",
    "alex.quinn@wingtiptoys.com",
    "orders@litwareinc.com",
    "hr@adventure-works.com",
    "payments@woodgrovebank.com",
];
const RCPTS: [&str; 6] = [
    "ops@contoso.com",
    "finance@contoso.com",
    "jordan@contoso.com",
    "sales@contoso.com",
    "legal@contoso.com",
    "it-helpdesk@contoso.com",
];
const SUBJECTS: [&str; 5] = [
    "Invoice 2026-03",
    "Your order has shipped",
    "Re: Contract draft",
    "Payroll update",
    "Weekly digest",
];

struct Retry {
    at: Duration,
    msg: Msg,
    tries: u32,
}

/// Starts the writer thread; it runs until the process ends.
pub fn start(shared: Arc<DrillShared>, dir: PathBuf) -> std::io::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let mut g = Generator::new(&dir);
    // The first file exists (header only) before anything reads the folder.
    g.w.ensure_file(shared.clock.stamp(Duration::ZERO))?;
    g.w.flush()?;
    std::thread::Builder::new()
        .name("drill-logs".into())
        .spawn(move || {
            loop {
                let now = shared.clock.elapsed();
                if let Err(e) = g.advance(&shared, now) {
                    tracing::warn!("drill log writer stopped: {e}");
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })?;
    Ok(())
}

/// Writes the lines for drill time up to a point; kept separate from the thread for tests.
pub struct Generator {
    w: Writer,
    rng: rand::rngs::StdRng,
    done: Duration,
    owed: f64,
    internal: u64,
    retries: VecDeque<Retry>,
}

impl Generator {
    /// A generator writing into `dir` (which must exist).
    pub fn new(dir: &std::path::Path) -> Self {
        Generator {
            w: Writer::new(dir),
            rng: rand::rngs::StdRng::seed_from_u64(0xd111),
            done: Duration::ZERO,
            owed: 0.0,
            internal: 91_000_000_000,
            retries: VecDeque::new(),
        }
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.w.lines()
    }

    /// Writes every event up to drill time `until`, then flushes.
    pub fn advance(&mut self, s: &DrillShared, until: Duration) -> std::io::Result<()> {
        // In steps of at most one drill second, so that rates follow the scenario.
        while self.done < until {
            let next = (self.done + Duration::from_secs(1)).min(until);
            let flow = s.scenario.state_at(next).mail;
            self.owed += flow.per_minute as f64 * (next - self.done).as_secs_f64() / 60.0;
            let n = self.owed.floor() as u64;
            self.owed -= n as f64;
            for k in 0..n {
                let t = self.done + (next - self.done).mul_f64((k as f64 + 0.5) / n as f64);
                self.message(s, t)?;
            }
            while self.retries.front().is_some_and(|r| r.at <= next) {
                if let Some(r) = self.retries.pop_front() {
                    self.retry(s, r)?;
                }
            }
            self.done = next;
        }
        self.w.flush()
    }

    fn stamp(s: &DrillShared, t: Duration) -> DateTime<Utc> {
        s.clock.stamp(t)
    }

    fn line(
        &mut self,
        t: DateTime<Utc>,
        m: &Msg,
        ev: &str,
        source: &str,
        status: &str,
    ) -> std::io::Result<()> {
        let rcpts = m.recipients.clone();
        let (ctx, connector) = match ev {
            "RECEIVE" => (
                "08DE5A1B00D1;250 2.6.0 Queued mail for delivery",
                "EX01\\Default Frontend EX01",
            ),
            "DELIVER" => ("ClientType:MOMT", ""),
            _ => ("", "Outbound to Office 365"),
        };
        let f = event(
            t,
            m,
            "EX01",
            source,
            ev,
            &rcpts,
            &[status.to_string()],
            ctx,
            connector,
            self.w.lines(),
        );
        self.w.line(t, &f)
    }

    fn message(&mut self, s: &DrillShared, t: Duration) -> std::io::Result<()> {
        self.internal += 1;
        let flow = s.scenario.state_at(t).mail;
        let sender = SENDERS[self.rng.random_range(0..SENDERS.len())].to_string();
        let domain = sender
            .split('@')
            .nth(1)
            .unwrap_or("fabrikam.com")
            .to_string();
        let msg = Msg {
            internal: self.internal,
            message_id: format!("<{:016x}@{domain}>", self.rng.random::<u64>()),
            network_id: uuid::Uuid::new_v4().to_string(),
            sender,
            recipients: vec![RCPTS[self.rng.random_range(0..RCPTS.len())].to_string()],
            subject: SUBJECTS[self.rng.random_range(0..SUBJECTS.len())].to_string(),
            size: 4_000 + self.rng.random_range(0..200_000),
            incoming: true,
            client_ip: format!("198.51.100.{}", self.rng.random_range(1..250)),
        };
        let at = Self::stamp(s, t);
        self.line(at, &msg, "RECEIVE", "SMTP", "To")?;
        let later = at + chrono::Duration::milliseconds(150);
        let roll: f64 = self.rng.random();
        if roll < flow.quarantine {
            self.line(later, &msg, "FAIL", "AGENT", QUARANTINE)
        } else if roll < flow.quarantine + flow.failure {
            self.line(later, &msg, "FAIL", "SMTP", FAIL)
        } else if roll < flow.quarantine + flow.failure + flow.deferral {
            self.line(later, &msg, "DEFER", "SMTP", DEFER)?;
            self.retries.push_back(Retry {
                at: t + RETRY,
                msg,
                tries: 1,
            });
            Ok(())
        } else {
            self.line(later, &msg, "DELIVER", "STOREDRIVER", DELIVERED)
        }
    }

    fn retry(&mut self, s: &DrillShared, r: Retry) -> std::io::Result<()> {
        let flow = s.scenario.state_at(r.at).mail;
        let at = Self::stamp(s, r.at);
        if self.rng.random::<f64>() < flow.deferral {
            if r.tries >= MAX_TRIES {
                return self.line(at, &r.msg, "FAIL", "SMTP", EXPIRED);
            }
            self.line(at, &r.msg, "DEFER", "SMTP", DEFER)?;
            self.retries.push_back(Retry {
                at: r.at + RETRY,
                msg: r.msg,
                tries: r.tries + 1,
            });
            Ok(())
        } else {
            self.line(at, &r.msg, "DELIVER", "STOREDRIVER", DELIVERED)
        }
    }
}
