//! Queue sources (`postfix-queue`, `command-queue`): run the configured command through
//! [`crate::net::process`] (argument list, no shell, time limit, capped output), read its
//! listing with the matching parser in [`crate::domain::queue`], and judge the result against
//! the source's thresholds.
//!
//! Whatever goes wrong becomes an error the pane shows and the source turns `unknown`: the
//! program is missing, it exits non-zero (its first line of standard error is shown, cleaned),
//! it runs past `timeout` (it is killed with everything it started), it prints more than
//! `max_output`, or it prints something that is not a listing.

use chrono::{DateTime, Utc};

use crate::domain::health::{HealthSourceConfig, Level, QueueSource, SourceKind};
use crate::domain::queue::{QueueSummary, QueueTally, command, postfix};
use crate::domain::text::sanitize_line;
use crate::net::process::{self, CommandSpec, Exit};

use super::SourceError;

/// Runs the source's command once and summarises its listing.
pub async fn poll(
    cfg: &HealthSourceConfig,
    now: DateTime<Utc>,
) -> Result<(Level, QueueSummary), SourceError> {
    let (q, postfix_listing) = match &cfg.kind {
        SourceKind::PostfixQueue(q) => (q, true),
        SourceKind::CommandQueue(q) => (q, false),
        _ => return Err(SourceError::Command("not a queue source".into())),
    };
    let text = run(cfg, q).await?;
    summarise(&text, postfix_listing, q, now)
}

/// Reads a listing (what the command printed) taken at `now`.
pub fn summarise(
    text: &str,
    postfix_listing: bool,
    q: &QueueSource,
    now: DateTime<Utc>,
) -> Result<(Level, QueueSummary), SourceError> {
    let mut tally = QueueTally::default();
    let read = if postfix_listing {
        postfix::read_listing(text, now.timestamp(), &mut tally).map_err(|e| e.to_string())
    } else {
        command::read_listing(text, &mut tally).map_err(|e| e.to_string())
    };
    read.map_err(SourceError::Command)?;
    Ok(tally.finish(&q.thresholds))
}

async fn run(cfg: &HealthSourceConfig, q: &QueueSource) -> Result<String, SourceError> {
    let spec = CommandSpec::new(q.command.clone(), cfg.timeout, q.max_output);
    let shown = || sanitize_line(&spec.display(), 200);
    let out = process::run(&spec)
        .await
        .map_err(|e| SourceError::Command(sanitize_line(&e.to_string(), 300)))?;
    match out.exit {
        Exit::TimedOut => {
            return Err(SourceError::Command(format!(
                "`{}` did not finish within {} and was stopped: check the host it reaches, or raise `timeout`",
                shown(),
                crate::net::http::fmt_duration(cfg.timeout)
            )));
        }
        e if !e.success() => {
            let stderr = String::from_utf8_lossy(&out.stderr.bytes);
            let first = stderr
                .lines()
                .map(|l| sanitize_line(l, 300))
                .find(|l| !l.is_empty())
                .unwrap_or_else(|| "no error output".to_string());
            return Err(SourceError::Command(format!(
                "`{}` failed ({e}): {first}",
                shown()
            )));
        }
        _ => {}
    }
    if out.stdout.cut() {
        return Err(SourceError::Command(format!(
            "`{}`: output over {}: raise `max_output`, or list fewer messages",
            shown(),
            fmt_size(q.max_output)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout.bytes).into_owned())
}

/// `16 MiB`, `512 KiB`, `300 bytes`.
pub fn fmt_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}
