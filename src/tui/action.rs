//! What can happen to the console ([`Action`]) and what `update` asks the outside to do
//! ([`Effect`]).

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::keymap::Command;
use crate::domain::event::Event;
use crate::domain::health::SourceSnapshot;
use crate::domain::trace::{TraceEvent, TraceQuery, TraceRow, TraceSummary};

/// Everything that can happen to the console.
#[derive(Debug, Clone)]
pub enum Action {
    /// A bound command.
    Command(Command),
    /// A key for the open text field or popup.
    Key(KeyEvent),
    /// Bracketed paste.
    Paste(String),
    /// A left click at a cell.
    Click {
        column: u16,
        row: u16,
    },
    /// Mouse wheel: positive is down.
    Scroll(i32),
    Resize {
        width: u16,
        height: u16,
    },
    /// The clock moved.
    Tick(DateTime<Utc>),
    /// Lines read from the journal (ours, acknowledged, or another process's).
    Journal {
        events: Vec<Event>,
        warnings: Vec<String>,
    },
    /// An append failed; nothing of it reached the journal.
    SaveFailed {
        event: Box<Event>,
        error: String,
    },
    /// Ctrl-C, SIGTERM, SIGHUP, SIGINT, SIGQUIT: leave now, cleanly.
    ForceQuit,
    /// A health source was polled.
    HealthPolled(Box<SourceSnapshot>),
    /// Rows, progress and warnings of a trace request.
    TraceBatch {
        request: u64,
        msgs: Vec<TraceMsg>,
    },
    /// A trace request ended.
    TraceDone {
        request: u64,
        error: Option<String>,
        cancelled: bool,
    },
    /// A message's event chain.
    TraceChain {
        key: String,
        result: Result<Vec<TraceEvent>, String>,
    },
    /// The evidence file of a trace snapshot: its path relative to the incident with its size
    /// and hash, or why not.
    TraceEvidenceSaved {
        query: String,
        summary: Box<TraceSummary>,
        saved: Result<crate::domain::evidence::HashedFile, String>,
    },
    /// The reports were written into `exports/` (the paths), or why not.
    Exported(Result<Vec<std::path::PathBuf>, String>),
    /// A playbook step's command ran (what its `evidence_added` event records), or why it
    /// could not.
    EvidenceRan(Result<Box<crate::domain::evidence::EvidenceAdded>, String>),
    /// A stakeholder update's send finished (request id from [`Effect::SendUpdate`]).
    UpdateResults {
        request: u64,
        report: crate::updates::SendReport,
    },
    /// The editor of [`Effect::EditReview`] ended: the file's text after it, or why not.
    ReviewEdited {
        template: String,
        before: String,
        result: Result<String, String>,
    },
    /// Team mode's state: online or not, what waits to be shared, who is here.
    Team(crate::team::live::LiveStatus),
}

/// What `update` asks the outside to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append this event to the journal (then it comes back as [`Action::Journal`]).
    Append(Event),
    /// Poll the health sources now (all, or the one named).
    PollNow(Option<String>),
    /// Start a trace query (cancelling any running one). `refresh`: the same query again over
    /// grown logs, the previous run's rows still shown, so only what changed need be sent.
    StartTrace {
        request: u64,
        query: TraceQuery,
        refresh: bool,
    },
    /// Stop the running trace query.
    CancelTrace,
    /// Load the whole event chain of a message.
    LoadChain { row: Box<TraceRow> },
    /// Fetch the last reply of these Exchange Online rows (for the breakdown by reason); they
    /// come back as rows of `request`.
    EnrichTraceReasons { request: u64, rows: Vec<TraceRow> },
    /// Write trace rows to the evidence folder (then [`Action::TraceEvidenceSaved`]).
    SaveTraceEvidence {
        query: String,
        rows: Vec<TraceRow>,
        summary: TraceSummary,
    },
    /// Leave the console.
    Quit,
    /// Write every report format into the incident's `exports/` folder (then
    /// [`Action::Exported`]).
    Export,
    /// Send a stakeholder update on these channels in the background; the results come back as
    /// [`Action::UpdateResults`].
    SendUpdate {
        request: u64,
        message: Box<crate::updates::Outgoing>,
        channels: Vec<crate::domain::updates::ChannelConfig>,
    },
    /// Put this text on the terminal's clipboard (OSC 52).
    Clipboard(String),
    /// Run a command and keep its output as evidence (then [`Action::EvidenceRan`]).
    RunEvidence(Box<crate::evidence::run::EvidenceRun>),
    /// Suspend the console (leave the alternate screen and raw mode), run the editor on the
    /// review `text`, restore the console, then [`Action::ReviewEdited`]. Run by the loop,
    /// which owns the terminal.
    EditReview {
        incident: String,
        template: String,
        text: String,
    },
}

/// What the scan reports, as the console receives it. Rows are by far the most common
/// message, so they are not boxed.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum TraceMsg {
    /// A matching row, new or replacing the one with the same key and recipient.
    Row(TraceRow),
    /// A row sent earlier no longer matches.
    Remove { key: String, recipient: String },
    /// Bytes scanned so far, of the total.
    Progress { done: u64, total: u64 },
    /// A file or line that was skipped, or a source that could not be read.
    Warning(String),
    /// An Exchange Online source's request budget, as text (any request id).
    Budget { source: String, text: String },
    /// This run sends only what changed in the log files since the previous run (whose rows
    /// are on screen): rows it does not send again stay.
    Delta,
}
