//! Postfix's queue listing, `postqueue -j` (Postfix 3.1 and later): one JSON object a line,
//!
//! ```json
//! {"queue_name": "deferred", "queue_id": "4Fz1kq0Qm9z9sWx", "arrival_time": 1772460000,
//!  "message_size": 2841, "forced_expire": false, "sender": "billing@example.com",
//!  "recipients": [{"address": "ops@example.net",
//!                  "delay_reason": "connect to mx.example.net[192.0.2.10]:25: Connection timed out"}]}
//! ```
//!
//! `queue_name` is `maildrop`, `incoming`, `active`, `deferred` or `hold`; `arrival_time` is
//! seconds since the epoch; a recipient carries `delay_reason` once a delivery attempt failed.
//! Fields we do not use are ignored, so later Postfix versions keep working. A damaged line (a
//! listing cut short, a line mangled by `ssh`) is skipped and counted; only a listing where no
//! line at all can be read is refused. An empty listing is an empty queue.

use serde::Deserialize;

use super::QueueTally;

#[derive(Deserialize)]
struct Message {
    queue_name: String,
    /// Whole seconds from Postfix; read as a number of any form so that a listing rewritten by
    /// another tool still counts.
    #[serde(default)]
    arrival_time: Option<f64>,
    #[serde(default)]
    recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
struct Recipient {
    #[serde(default)]
    address: String,
    #[serde(default)]
    delay_reason: Option<String>,
}

/// A listing none of whose lines is a queue entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the output is not a `postqueue -j` listing ({lines} line(s), none readable; the first starts `{first}`): check that `command` runs `postqueue -j` (Postfix 3.1 or later)"
)]
pub struct NotAListing {
    pub lines: u64,
    /// The first line's start, cleaned.
    pub first: String,
}

/// Reads a `postqueue -j` listing taken at `now_unix` (seconds since the epoch) into `tally`.
pub fn read_listing(text: &str, now_unix: i64, tally: &mut QueueTally) -> Result<(), NotAListing> {
    let mut read = 0u64;
    let mut bad = 0u64;
    let mut first_bad: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Message>(line) {
            Ok(m) => {
                read += 1;
                add_message(&m, now_unix, tally);
            }
            Err(_) => {
                bad += 1;
                first_bad.get_or_insert(line);
                tally.skip();
            }
        }
    }
    if read == 0 && bad > 0 {
        return Err(NotAListing {
            lines: bad,
            first: crate::domain::text::sanitize_line(
                &first_bad
                    .unwrap_or_default()
                    .chars()
                    .take(60)
                    .collect::<String>(),
                80,
            ),
        });
    }
    Ok(())
}

fn add_message(m: &Message, now_unix: i64, tally: &mut QueueTally) {
    // A time in the future (clocks differ between hosts) is an age of zero.
    let age = m
        .arrival_time
        .filter(|t| t.is_finite())
        .map(|t| (now_unix as f64 - t).clamp(0.0, u64::MAX as f64) as u64);
    tally.add_messages(&m.queue_name, 1, age);
    let held = m.queue_name.trim().eq_ignore_ascii_case(super::HOLD);
    for r in &m.recipients {
        if let Some(reason) = r.delay_reason.as_deref() {
            tally.add_reason(reason, 1);
        }
        if !held {
            tally.add_domain(&r.address, 1);
        }
    }
}
