//! `warroom evidence add|run|list|verify`: files and command outputs kept in the incident's
//! `evidence/` folder with their SHA-256, and the check that they are still the same.
//!
//! Allowed on a closed incident (evidence often comes after the close); no reopen needed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;

use crate::config::Config;
use crate::domain::event::{Event, EventBody};
use crate::domain::evidence::EvidenceFile;
use crate::domain::text::{FIELD_CAP, sanitize_line};
use crate::evidence::run::{DEFAULT_TIMEOUT, EvidenceRun, parse_timeout};
use crate::evidence::{self, Check};
use crate::store::DataDir;

#[derive(Debug, Subcommand)]
pub enum EvidenceVerb {
    /// Copy files (logs, exports, screenshots) into the incident's evidence/ folder and record
    /// each one with its size and SHA-256.
    Add {
        /// Incident id (or a unique part of it) [default: the current one]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Why the files are kept (recorded with each).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Run a command (no shell) and keep its standard output and error, exit code and duration.
    Run {
        /// Incident id (or a unique part of it) [default: the current one]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Why it was run (recorded with it).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Kill the command after this long: 30s, 5m, 1h [default: 60s]
        #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
        timeout: Option<std::time::Duration>,
        /// The command and its arguments, after `--`.
        #[arg(required = true, last = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Every evidence file with its time, author, size and SHA-256.
    List {
        /// Incident id (or a unique part of it) [default: the current one]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Hash every evidence file again; exits non-zero if any changed or went missing.
    Verify {
        /// Incident id (or a unique part of it) [default: the current one]
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
    },
}

impl EvidenceVerb {
    /// Whether it prints JSON.
    pub fn json(&self) -> bool {
        matches!(self, EvidenceVerb::List { json: true, .. })
    }
}

fn note(n: Option<&str>) -> String {
    n.map(|n| sanitize_line(n, FIELD_CAP)).unwrap_or_default()
}

pub fn evidence(
    data: &DataDir,
    config: &Config,
    verb: EvidenceVerb,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match verb {
        EvidenceVerb::Add {
            incident,
            note: n,
            files,
        } => {
            let id = data.pick_any(incident.as_deref())?;
            data.load(&id)?;
            let dir = data.incident_dir(&id);
            let mut journal = data.journal(&id)?;
            let mut failed = 0;
            for f in &files {
                match evidence::add_file(&dir, f, &note(n.as_deref())) {
                    Ok(added) => {
                        let (file, sha) = (added.file.clone(), added.sha256.clone());
                        let ev = Event::new(
                            chrono::Utc::now(),
                            config.author(),
                            EventBody::EvidenceAdded(added),
                        );
                        journal.append(&ev)?;
                        writeln!(out, "{file}\tsha256:{sha}")?;
                    }
                    Err(e) => {
                        failed += 1;
                        crate::diagln!("warroom: {e}");
                    }
                }
            }
            if failed > 0 {
                bail!(
                    "{failed} of {} file(s) were not kept (see above); the others are recorded",
                    files.len()
                );
            }
            Ok(())
        }
        EvidenceVerb::Run {
            incident,
            note: n,
            timeout,
            command,
        } => {
            let id = data.pick_any(incident.as_deref())?;
            data.load(&id)?;
            let what = EvidenceRun {
                argv: command,
                timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
                note: note(n.as_deref()),
                step: None,
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let now = chrono::Utc::now();
            let added = runtime.block_on(crate::evidence::run::run(
                &data.incident_dir(&id),
                &what,
                now,
            ))?;
            let text = crate::domain::evidence::evidence_text(&added);
            let ev = Event::new(now, config.author(), EventBody::EvidenceAdded(added));
            data.journal(&id)?.append(&ev)?;
            writeln!(out, "{text}")?;
            Ok(())
        }
        EvidenceVerb::List { incident, json } => {
            let id = data.pick_any(incident.as_deref())?;
            let files = data.load(&id)?.incident.custody.files();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&files)?)?;
                return Ok(());
            }
            if files.is_empty() {
                writeln!(
                    out,
                    "no evidence recorded for {id}: `warroom evidence add FILE` keeps one"
                )?;
            }
            let zone = config.zone();
            for f in &files {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\tsha256:{}\t{}",
                    crate::domain::time::WithOffset(f.at, zone),
                    f.by,
                    f.kind.as_str(),
                    f.file,
                    f.size.map(|s| format!("{s} bytes")).unwrap_or_default(),
                    f.sha256.as_deref().unwrap_or("(none recorded)"),
                    describe(f),
                )?;
            }
            Ok(())
        }
        EvidenceVerb::Verify { incident } => {
            let id = data.pick_any(incident.as_deref())?;
            let files = data.load(&id)?.incident.custody.files();
            let results =
                evidence::verify(&data.incident_dir(&id), &files, &crate::net::host_name());
            let mut bad = 0;
            for (f, check) in &results {
                if check.is_problem() {
                    bad += 1;
                }
                let detail = match check {
                    Check::Changed { size, sha256 } => format!(
                        ": now {size} bytes, sha256:{sha256}; recorded {} bytes, sha256:{}",
                        f.size.unwrap_or_default(),
                        f.sha256.as_deref().unwrap_or("")
                    ),
                    Check::Unreadable(why) => format!(": {why}"),
                    Check::NoHash { sha256, .. } => format!(": sha256 now {sha256}"),
                    Check::Elsewhere(h) => format!(
                        ": kept on {} (team mode shares the record, not the file: check it there)",
                        crate::domain::text::sanitize_line(h, 256)
                    ),
                    Check::Same | Check::Missing => String::new(),
                };
                writeln!(out, "{}\t{}{detail}", check.word(), f.file)?;
            }
            if bad > 0 {
                bail!(
                    "{bad} of {} evidence file(s) changed or went missing since they were recorded: the copies in {} are not what the journal says",
                    results.len(),
                    data.evidence_dir(&id).display()
                );
            }
            let elsewhere = results
                .iter()
                .filter(|(_, c)| matches!(c, Check::Elsewhere(_)))
                .count();
            if elsewhere > 0 {
                writeln!(
                    out,
                    "{} evidence file(s) checked here: all as recorded; {elsewhere} kept on other machines",
                    results.len() - elsewhere
                )?;
            } else {
                writeln!(
                    out,
                    "{} evidence file(s) checked: all as recorded",
                    results.len()
                )?;
            }
            Ok(())
        }
    }
}

/// What the file is, with its note and step.
fn describe(f: &EvidenceFile) -> String {
    let mut s = f.what.clone();
    if !f.note.is_empty() {
        s.push_str(&format!(" ({})", f.note));
    }
    if let Some(step) = &f.step {
        s.push_str(&format!(" [step {step}]"));
    }
    s
}
