//! The listing of a `command-queue` source: any command that prints a JSON array of queues,
//!
//! ```json
//! [{"queue": "deferred", "count": 412, "oldest_seconds": 5400,
//!   "reason": "451 4.7.500 Server busy. Please try again later", "domain": "contoso.com"}]
//! ```
//!
//! `queue` and `count` are needed; `oldest_seconds`, `reason` (the queue's last error) and
//! `domain` (its next hop) are optional. A single object is read as an array of one (PowerShell's
//! `ConvertTo-Json` prints a lone queue that way), an empty output as no queues. An entry that is
//! not such an object is skipped and counted.

use serde::Deserialize;
use serde_json::Value;

use super::QueueTally;

#[derive(Deserialize)]
struct Entry {
    queue: String,
    count: u64,
    #[serde(default)]
    oldest_seconds: Option<f64>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    domain: Option<String>,
}

/// The output is not JSON, or not an array of queues.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the output is not a JSON array of queues ({0}): the command must print [{{\"queue\":…,\"count\":…,\"oldest_seconds\":…,\"reason\":…}}]"
)]
pub struct NotQueues(pub String);

/// Reads the command's output into `tally`.
pub fn read_listing(text: &str, tally: &mut QueueTally) -> Result<(), NotQueues> {
    // A byte-order mark, as Windows PowerShell writes one.
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Ok(());
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| NotQueues(crate::domain::text::sanitize_line(&e.to_string(), 120)))?;
    let entries = match value {
        Value::Array(a) => a,
        Value::Object(_) => vec![value],
        other => {
            let what = match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                _ => "a string",
            };
            return Err(NotQueues(format!("it is {what}")));
        }
    };
    let n = entries.len();
    let mut read = 0;
    for v in entries {
        match serde_json::from_value::<Entry>(v) {
            Ok(e) => {
                read += 1;
                let oldest = e
                    .oldest_seconds
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map(|s| s as u64);
                tally.add_messages(&e.queue, e.count, oldest);
                if let Some(r) = &e.reason {
                    tally.add_reason(r, e.count);
                }
                if let Some(d) = &e.domain
                    && !e.queue.trim().eq_ignore_ascii_case(super::HOLD)
                {
                    tally.add_domain(d, e.count);
                }
            }
            Err(_) => tally.skip(),
        }
    }
    if read == 0 && n > 0 {
        return Err(NotQueues(format!(
            "none of its {n} entries has a text `queue` and a whole-number `count`"
        )));
    }
    Ok(())
}
