//! Evidence with a chain of custody, and support cases with the provider: what the
//! `evidence_added` and `ticket_recorded` events carry, and [`Custody`], the part of the
//! incident's fold that keeps them (with the trace results kept with `t`, which are evidence
//! too).
//!
//! Who added a file and when come from the event itself (`by`, `at`); the event adds what the
//! file was (its name where it came from, its size and SHA-256), so that `warroom evidence
//! verify` can tell later whether it is still the same file.
//!
//! Both events are allowed on a closed incident: evidence and support cases often come after
//! the close (the provider's case number, the report they send, a log pulled for the claim).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::text::{FIELD_CAP, sanitize_line};

/// What kind of evidence a file is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A file copied in (`warroom evidence add`).
    #[default]
    File,
    /// A command's output (`warroom evidence run`, a playbook step's `run`).
    Command,
    /// A message-trace result kept with `t` (recorded by its `trace_snapshot` event).
    Trace,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::File => "file",
            EvidenceKind::Command => "command",
            EvidenceKind::Trace => "trace",
        }
    }
}

/// A file in the evidence folder with what it was when it was kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedFile {
    /// Relative to the incident folder (`evidence/relay.log`).
    pub file: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

/// What a command evidence was: the command, how it ended and its standard error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub argv: Vec<String>,
    /// The exit code, when it exited by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// How it ended, in words: `exit code 0`, `timed out`, `killed by signal 9`.
    #[serde(default)]
    pub exit: String,
    #[serde(default)]
    pub duration_ms: u64,
    /// The standard error, kept in a file of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<HashedFile>,
    /// Whether the standard output, or the standard error, was longer than kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stdout_cut: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stderr_cut: bool,
}

/// The `evidence_added` event: one file kept (for a command, `file` is its standard output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAdded {
    /// Relative to the incident folder (`evidence/relay.log`).
    pub file: String,
    /// The name or path the file had where it came from; for a command, its command line as
    /// people read it (`net::process::display_argv`).
    #[serde(default)]
    pub original: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub sha256: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    #[serde(default)]
    pub kind: EvidenceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandRecord>,
    /// The playbook step whose `run` made it, as `playbook/step`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The machine whose `evidence/` folder holds the file (team mode shares the record, not
    /// the file). Absent in records made before it was kept: taken as this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl EvidenceAdded {
    /// The files this evidence is made of, each with its hash: the file, and a command's
    /// standard error.
    pub fn files(&self) -> Vec<HashedFile> {
        let mut out = vec![HashedFile {
            file: self.file.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
        }];
        if let Some(e) = self.command.as_ref().and_then(|c| c.stderr.clone()) {
            out.push(e);
        }
        out
    }
}

/// The `ticket_recorded` event: a support case opened with a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRecorded {
    /// The case number or reference the provider gave.
    pub reference: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl TicketRecorded {
    /// A ticket typed by a person (`warroom ticket add`, `:ticket`): every field cleaned to one
    /// line; an empty reference refused with what to write.
    pub fn typed(reference: &str, provider: &str, note: &str) -> Result<Self, String> {
        let reference = sanitize_line(reference, 256);
        if reference.is_empty() {
            return Err(
                "the ticket needs its reference: the case number the provider gave (e.g. :ticket 12345678 Microsoft)".into(),
            );
        }
        Ok(TicketRecorded {
            reference,
            provider: sanitize_line(provider, FIELD_CAP),
            note: sanitize_line(note, FIELD_CAP),
        })
    }
}

/// One piece of evidence as the incident keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceItem {
    pub at: DateTime<Utc>,
    pub by: String,
    #[serde(flatten)]
    pub added: EvidenceAdded,
}

/// A support case as the incident keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub at: DateTime<Utc>,
    pub by: String,
    #[serde(flatten)]
    pub ticket: TicketRecorded,
}

/// A trace result kept with `t`: the query, the counts, the file of rows and its hash (older
/// journals have none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceKept {
    pub at: DateTime<Utc>,
    pub by: String,
    pub query: String,
    pub rows: usize,
    pub by_status: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Evidence, support cases and kept traces, each in time order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Custody {
    pub evidence: Vec<EvidenceItem>,
    pub tickets: Vec<Ticket>,
    pub traces: Vec<TraceKept>,
}

/// One file the incident holds as evidence, whatever recorded it: what `list` and `verify`
/// and the reports go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFile {
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: EvidenceKind,
    /// Relative to the incident folder.
    pub file: String,
    /// What it is: the original name, the command line, the trace query.
    pub what: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// Size and hash when recorded (a trace kept by an older version has none).
    pub size: Option<u64>,
    pub sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The machine that holds the file, when recorded (see [`EvidenceAdded::host`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Custody {
    // Each list is kept in time order whatever order the events arrive in (another console's
    // events can come later than ours).

    pub fn add_evidence(&mut self, at: DateTime<Utc>, by: &str, added: &EvidenceAdded) {
        let i = self.evidence.partition_point(|e| e.at <= at);
        self.evidence.insert(
            i,
            EvidenceItem {
                at,
                by: by.to_string(),
                added: added.clone(),
            },
        );
    }

    pub fn add_ticket(&mut self, at: DateTime<Utc>, by: &str, ticket: &TicketRecorded) {
        let i = self.tickets.partition_point(|t| t.at <= at);
        self.tickets.insert(
            i,
            Ticket {
                at,
                by: by.to_string(),
                ticket: ticket.clone(),
            },
        );
    }

    pub fn add_trace(&mut self, trace: TraceKept) {
        let i = self.traces.partition_point(|t| t.at <= trace.at);
        self.traces.insert(i, trace);
    }

    /// Every evidence file, oldest first: the files and command outputs (a command's standard
    /// error as a file of its own) and the kept trace results that have a file.
    pub fn files(&self) -> Vec<EvidenceFile> {
        let mut out = Vec::new();
        for e in &self.evidence {
            let a = &e.added;
            let what = a.original.clone();
            for (i, f) in a.files().into_iter().enumerate() {
                out.push(EvidenceFile {
                    at: e.at,
                    by: e.by.clone(),
                    kind: a.kind,
                    file: f.file,
                    what: if i == 0 {
                        what.clone()
                    } else {
                        format!("{what} (standard error)")
                    },
                    note: a.note.clone(),
                    size: Some(f.size),
                    sha256: (!f.sha256.is_empty()).then_some(f.sha256),
                    step: a.step.clone(),
                    host: a.host.clone(),
                });
            }
        }
        for t in &self.traces {
            if let Some(file) = &t.evidence {
                out.push(EvidenceFile {
                    at: t.at,
                    by: t.by.clone(),
                    kind: EvidenceKind::Trace,
                    file: file.clone(),
                    what: format!("trace {}", t.query),
                    note: String::new(),
                    size: t.size,
                    sha256: t.sha256.clone(),
                    step: None,
                    host: None,
                });
            }
        }
        out.sort_by_key(|a| a.at);
        out
    }
}

/// The timeline text of an `evidence_added` event.
pub fn evidence_text(e: &EvidenceAdded) -> String {
    let mut text = match (&e.kind, &e.command) {
        (EvidenceKind::Command, Some(c)) => format!(
            "evidence: ran {} ({}, {} ms); output kept in {}",
            e.original, c.exit, c.duration_ms, e.file
        ),
        _ => format!(
            "evidence: {} kept as {} ({} bytes)",
            if e.original.is_empty() {
                &e.file
            } else {
                &e.original
            },
            e.file,
            e.size
        ),
    };
    if e.command
        .as_ref()
        .is_some_and(|c| c.stdout_cut || c.stderr_cut)
    {
        text.push_str(" (output longer than kept: cut)");
    }
    if !e.sha256.is_empty() {
        text.push_str(&format!(", sha256 {}", &e.sha256[..e.sha256.len().min(12)]));
    }
    if !e.note.is_empty() {
        text.push_str(&format!(": {}", e.note));
    }
    text
}

/// The timeline text of a `ticket_recorded` event.
pub fn ticket_text(t: &TicketRecorded) -> String {
    let mut text = if t.provider.is_empty() {
        format!("support case recorded: {}", t.reference)
    } else {
        format!("support case with {}: {}", t.provider, t.reference)
    };
    if !t.note.is_empty() {
        text.push_str(&format!(" ({})", t.note));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd_evidence() -> EvidenceAdded {
        EvidenceAdded {
            file: "evidence/cmd-1.stdout".into(),
            original: "pwsh -c Get-TransportRule".into(),
            size: 10,
            sha256: "ab".repeat(32),
            note: "rules".into(),
            kind: EvidenceKind::Command,
            command: Some(CommandRecord {
                argv: vec!["pwsh".into(), "-c".into(), "Get-TransportRule".into()],
                exit_code: Some(0),
                exit: "exit code 0".into(),
                duration_ms: 120,
                stderr: Some(HashedFile {
                    file: "evidence/cmd-1.stderr".into(),
                    size: 0,
                    sha256: "cd".repeat(32),
                }),
                stdout_cut: false,
                stderr_cut: false,
            }),
            step: Some("cloud-mail-outage/snapshot-mail-config".into()),
            host: None,
        }
    }

    #[test]
    fn a_minimal_line_loads_with_defaults() {
        let e: EvidenceAdded = serde_json::from_str(r#"{"file":"evidence/a.log"}"#).unwrap();
        assert_eq!(e.kind, EvidenceKind::File);
        assert_eq!(e.size, 0);
        assert!(e.command.is_none());
        let t: TicketRecorded = serde_json::from_str(r#"{"reference":"MS-1"}"#).unwrap();
        assert_eq!(t.provider, "");
    }

    #[test]
    fn a_command_lists_its_output_and_its_error_as_files() {
        let mut c = Custody::default();
        c.add_evidence(DateTime::UNIX_EPOCH, "dana", &cmd_evidence());
        let files = c.files();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].what, "pwsh -c Get-TransportRule");
        assert_eq!(files[1].file, "evidence/cmd-1.stderr");
        assert!(files[1].what.ends_with("(standard error)"));
        assert_eq!(files[1].sha256.as_deref(), Some("cd".repeat(32).as_str()));
    }

    #[test]
    fn texts_say_what_was_kept() {
        assert_eq!(
            evidence_text(&cmd_evidence()),
            "evidence: ran pwsh -c Get-TransportRule (exit code 0, 120 ms); output kept in evidence/cmd-1.stdout, sha256 abababababab: rules"
        );
        let t = TicketRecorded {
            reference: "MS-77".into(),
            provider: "Microsoft".into(),
            note: String::new(),
        };
        assert_eq!(ticket_text(&t), "support case with Microsoft: MS-77");
    }

    #[test]
    fn the_fold_keeps_evidence_tickets_and_traces_even_after_the_close() {
        use crate::domain::event::{Event, EventBody};
        use crate::domain::incident::{EntryKind, Incident};
        use crate::domain::vocab::Severity;
        let at = |m: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 30, 14, m, 0).unwrap();
        let events = [
            Event::new(
                at(0),
                "dana",
                EventBody::IncidentOpened {
                    incident: "i".into(),
                    title: "Mail delayed".into(),
                    severity: Severity::Sev2,
                    status: crate::domain::vocab::Status::initial(),
                    started_at: None,
                    drill: false,
                },
            ),
            Event::new(
                at(1),
                "dana",
                EventBody::TraceSnapshot {
                    query: "since:1h".into(),
                    rows: 3,
                    by_status: [("deferred".to_string(), 2)].into(),
                    evidence: Some("evidence/trace-1.json".into()),
                    size: Some(5),
                    sha256: Some("ef".repeat(32)),
                },
            ),
            Event::new(
                at(2),
                "dana",
                EventBody::Closed {
                    summary: "done".into(),
                    impact: String::new(),
                    root_cause: String::new(),
                    follow_ups: Vec::new(),
                    override_reason: None,
                },
            ),
            Event::new(at(3), "sam", EventBody::EvidenceAdded(cmd_evidence())),
            Event::new(
                at(4),
                "sam",
                EventBody::TicketRecorded(TicketRecorded {
                    reference: "MS-1".into(),
                    provider: "Microsoft".into(),
                    note: String::new(),
                }),
            ),
        ];
        let inc = Incident::from_events(&events).unwrap();
        assert_eq!(inc.ignored_events, 0);
        assert_eq!(inc.custody.tickets[0].by, "sam");
        assert_eq!(inc.custody.traces[0].rows, 3);
        let files: Vec<(EvidenceKind, String)> = inc
            .custody
            .files()
            .into_iter()
            .map(|f| (f.kind, f.file))
            .collect();
        assert_eq!(
            files,
            [
                (EvidenceKind::Trace, "evidence/trace-1.json".to_string()),
                (EvidenceKind::Command, "evidence/cmd-1.stdout".to_string()),
                (EvidenceKind::Command, "evidence/cmd-1.stderr".to_string()),
            ]
        );
        let e = inc
            .entries
            .iter()
            .find(|e| e.text.starts_with("evidence:"))
            .unwrap();
        assert_eq!(e.kind, EntryKind::Action);
        assert_eq!(
            e.about.as_deref(),
            Some("cloud-mail-outage/snapshot-mail-config")
        );
        assert!(
            inc.entries
                .iter()
                .any(|e| e.text == "support case with Microsoft: MS-1")
        );
        // The same custody whatever order the events arrive in.
        let mut shuffled = vec![events[0].clone()];
        shuffled.extend(events[1..].iter().rev().cloned());
        assert_eq!(
            Incident::from_events(&shuffled).unwrap().custody,
            inc.custody
        );
        // Both survive a round trip through the journal's line format.
        for ev in &events[3..] {
            let line = serde_json::to_string(ev).unwrap();
            assert_eq!(&serde_json::from_str::<Event>(&line).unwrap(), ev, "{line}");
        }
        assert!(
            serde_json::to_string(&events[4])
                .unwrap()
                .contains(r#""type":"ticket_recorded""#)
        );
    }
}
