//! A command's output kept as evidence: run through `net::process` (no shell, a time limit,
//! each stream capped), its standard output and error written to two new files in the
//! evidence folder, and what the `evidence_added` event records.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{EvidenceError, keep_bytes};
use crate::domain::evidence::{CommandRecord, EvidenceAdded, EvidenceKind};
use crate::net::process::{CommandSpec, Exit, display_argv};

/// The most kept of each stream: 16 MiB. More is read and dropped, and the event says so.
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// The time limit when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// What to run and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRun {
    pub argv: Vec<String>,
    pub timeout: Duration,
    pub note: String,
    /// The playbook step it belongs to, as `playbook/step`.
    pub step: Option<String>,
}

impl EvidenceRun {
    /// The command as people read it (what the confirmation shows).
    pub fn display(&self) -> String {
        display_argv(&self.argv)
    }
}

/// `pwsh-20261130T140300Z`: the file stem of a run's outputs.
fn stem(argv: &[String], at: DateTime<Utc>) -> String {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
        .unwrap_or_default();
    super::safe_name(&format!("{program}-{}", at.format("%Y%m%dT%H%M%SZ")))
}

/// Runs the command to its end or its time limit and keeps both outputs. A command that
/// cannot be started keeps nothing; one that fails or times out is kept like any other (that
/// it failed is evidence too).
pub async fn run(
    incident_dir: &Path,
    what: &EvidenceRun,
    at: DateTime<Utc>,
) -> Result<EvidenceAdded, EvidenceError> {
    let spec = CommandSpec::new(what.argv.clone(), what.timeout, MAX_OUTPUT);
    let out = crate::net::process::run(&spec).await?;
    let stem = stem(&what.argv, at);
    let dir = incident_dir.to_path_buf();
    let (stdout, stderr) = (out.stdout.clone(), out.stderr.clone());
    // Writing and syncing up to 32 MiB: off the runtime's threads.
    let kept = tokio::task::spawn_blocking(move || {
        let o = keep_bytes(&dir, &format!("{stem}.stdout.txt"), &stdout.bytes)?;
        let e = keep_bytes(&dir, &format!("{stem}.stderr.txt"), &stderr.bytes)?;
        Ok::<_, EvidenceError>((o, e))
    })
    .await
    .map_err(|e| EvidenceError::Write {
        path: incident_dir.display().to_string(),
        reason: e.to_string(),
    })??;
    let (o, e) = kept;
    Ok(EvidenceAdded {
        file: o.file,
        // The argument list is kept as given; its one-line form is shown, so it is cleaned.
        original: crate::domain::text::sanitize_line(&display_argv(&what.argv), 1024),
        size: o.size,
        sha256: o.sha256,
        note: what.note.clone(),
        kind: EvidenceKind::Command,
        command: Some(CommandRecord {
            argv: what.argv.clone(),
            exit_code: match out.exit {
                Exit::Code(c) => Some(c),
                _ => None,
            },
            exit: out.exit.to_string(),
            duration_ms: out.duration.as_millis() as u64,
            stderr: Some(e),
            stdout_cut: out.stdout.cut(),
            stderr_cut: out.stderr.cut(),
        }),
        step: what.step.clone(),
        host: Some(crate::net::host_name()),
    })
}

/// Parses a `--timeout` such as `60s`, `5m` (at most a day).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    crate::domain::time::parse_duration_within(s, chrono::TimeDelta::days(1))
        .and_then(|d| d.to_std().ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{s:?} is not a time limit: write e.g. 30s, 5m or 1h (at most 1d)"))
}
