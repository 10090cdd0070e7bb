//! Journal events: everything that changes an incident is one of these, one JSON object a line.
//!
//! ```text
//! {"v":1,"id":"…","at":"2026-11-30T14:03:00Z","by":"alice","type":"entry_added",…}
//! ```
//! Unknown `type`s deserialize to [`EventBody::Unknown`] so that a journal written by a newer
//! version still loads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::close_record::FollowUp;
use super::comms::{ChannelFailure, StatuspagePublished};
use super::evidence::{EvidenceAdded, TicketRecorded};
use super::followup::FollowUpState;
use super::health::{HealthChange, SeenSource};
use super::playbook::StepAction;
use super::vocab::{EntryKind, KeyTime, Role, Severity, Status};

/// The journal line format version written by this build.
pub const JOURNAL_VERSION: u32 = 1;

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub v: u32,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub by: String,
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    /// A new event with a fresh time-ordered id.
    pub fn new(at: DateTime<Utc>, by: impl Into<String>, body: EventBody) -> Self {
        Event {
            v: JOURNAL_VERSION,
            id: Uuid::now_v7(),
            at,
            by: by.into(),
            body,
        }
    }
}

/// What happened. Internally tagged on `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// The first line of every journal.
    IncidentOpened {
        incident: String,
        title: String,
        severity: Severity,
        #[serde(default = "Status::initial")]
        status: Status,
        /// When the first symptom was seen, if earlier than the opening.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        started_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        drill: bool,
    },
    TitleSet {
        title: String,
    },
    SeveritySet {
        severity: Severity,
    },
    StatusSet {
        status: Status,
    },
    /// `person` empty clears the role.
    RoleSet {
        role: Role,
        person: String,
    },
    EntryAdded {
        occurred_at: DateTime<Utc>,
        kind: EntryKind,
        text: String,
        /// The playbook step a note is about, as `playbook/step`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
    /// Only the fields present change.
    EntryEdited {
        entry: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        occurred_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<EntryKind>,
    },
    EntryDeleted {
        entry: Uuid,
    },
    EntryRestored {
        entry: Uuid,
    },
    EntryPinned {
        entry: Uuid,
        pinned: bool,
    },
    /// A playbook attached to the incident, with the definition as it was then (so the
    /// incident keeps its checklist even if the file changes later).
    PlaybookAttached {
        playbook: String,
        source: String,
    },
    /// A step of an attached playbook changed.
    StepChanged {
        playbook: String,
        step: String,
        #[serde(flatten)]
        action: StepAction,
    },
    /// What one poll revealed about a health source or one of its items: one timeline entry.
    /// `key` (the first change's) deduplicates; when the entry tells more than one change,
    /// `changes` keeps each of them (with its own key, so none is recorded again).
    HealthChanged {
        source: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<String>,
        key: String,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        changes: Vec<HealthChange>,
    },
    /// What a health source looked like when its changes were recorded, so that a restart
    /// compares against it and adds no duplicates.
    HealthSeen {
        source: String,
        seen: SeenSource,
    },
    /// A message-trace result kept as evidence: the query, the counts, and the file with the
    /// rows (relative to the incident folder).
    TraceSnapshot {
        query: String,
        rows: usize,
        by_status: std::collections::BTreeMap<String, usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<String>,
        /// The evidence file's size and SHA-256 when it was written (none in older journals).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    /// The incident was closed; it is read-only until reopened. `override_reason` says why it
    /// was closed while required playbook steps were open.
    Closed {
        summary: String,
        #[serde(default)]
        impact: String,
        #[serde(default)]
        root_cause: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        follow_ups: Vec<FollowUp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        override_reason: Option<String>,
    },
    /// A closed incident was reopened.
    Reopened {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A key time of the response set by hand (it wins over the one proposed from the timeline).
    /// (`time`, because `at` is the event's own time.)
    KeyTimeSet {
        which: KeyTime,
        time: DateTime<Utc>,
    },
    /// A stakeholder update went out (to the channels in `channels_ok`); one that reached any
    /// channel restarts the next-update clock. `retry_of` is the event of the first attempt.
    UpdateSent {
        template: String,
        channels_ok: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        channels_failed: Vec<ChannelFailure>,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_of: Option<Uuid>,
        /// Statuspage incidents this send created or updated (their ids, so that the next send
        /// updates the same incident).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        statuspage: Vec<StatuspagePublished>,
    },
    /// The next stakeholder update was put off.
    UpdateSnoozed {
        minutes: u32,
    },
    /// A file kept as evidence (copied in, or a command's output), with its hash. Allowed on a
    /// closed incident.
    EvidenceAdded(EvidenceAdded),
    /// A support case opened with a provider. Allowed on a closed incident.
    TicketRecorded(TicketRecorded),
    /// A timeline entry's marker set (`marker` left out: cleared). Makes no entry of its own.
    EntryMarked {
        entry: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        marker: Option<super::marker::Marker>,
    },
    /// A version of the post-incident review saved: the text of each section (every version is
    /// kept; the latest wins). Allowed on a closed incident. Makes no timeline entry.
    ReviewSaved {
        /// The template it was written from.
        #[serde(default)]
        template: String,
        #[serde(default)]
        sections: Vec<super::review::SectionText>,
    },
    /// A follow-up's state changed (`followup` is its id, see `domain::followup`); `reason`
    /// says why it was dropped. Allowed on a closed incident.
    FollowupChanged {
        followup: String,
        #[serde(default)]
        state: FollowUpState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A follow-up was pushed to a tracker: the issue created there (`key` such as
    /// `owner/repo#12` or `OPS-7`, and its URL). Allowed on a closed incident.
    FollowupPushed {
        followup: String,
        #[serde(default)]
        tracker: String,
        #[serde(default)]
        key: String,
        #[serde(default)]
        url: String,
    },
    /// The commander role passed to `to` (from `from`, empty when nobody had it) with a brief
    /// of where the incident stands: one timeline entry for both.
    Handoff {
        #[serde(default)]
        to: String,
        #[serde(default)]
        from: String,
        #[serde(default)]
        brief: String,
    },
    /// A type this build does not know; kept in the file, skipped in the fold.
    #[serde(other)]
    Unknown,
}

impl EventBody {
    /// Whether this event may stand after a close. The fold refuses every other event that sorts
    /// after the close (one made on a console that had not heard of it yet) and shows it as a
    /// conflict notice; the console's and the verbs' closed-incident guards refuse them before
    /// they are written.
    pub fn allowed_on_closed(&self) -> bool {
        matches!(
            self,
            // What happens after a close: follow-ups, the review, evidence and support cases.
            EventBody::FollowupChanged { .. }
                | EventBody::FollowupPushed { .. }
                | EventBody::ReviewSaved { .. }
                | EventBody::EvidenceAdded(_)
                | EventBody::TicketRecorded(_)
                | EventBody::TraceSnapshot { .. }
                // Closing and reopening have rules of their own (a second close is a notice).
                | EventBody::Closed { .. }
                | EventBody::Reopened { .. }
                // Facts that were true whatever the incident's state: what a health source
                // showed, an update that went out (the last one may follow the close).
                | EventBody::HealthChanged { .. }
                | EventBody::HealthSeen { .. }
                | EventBody::UpdateSent { .. }
                | EventBody::UpdateSnoozed { .. }
                | EventBody::IncidentOpened { .. }
                | EventBody::Unknown
        )
    }
}
