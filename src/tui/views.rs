//! Each pane's view state, apart from the code that changes it (in `panes/`): the timeline's
//! rows and cursor, the trace pane's result, the update composer, the close form.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use ratatui_textarea::TextArea;
use uuid::Uuid;

use super::action::TraceMsg;
use super::cursor::ListCursor;
use crate::domain::closing::durations;
use crate::domain::incident::{EntryKind, Incident};
use crate::domain::time::format_duration;
use crate::domain::trace::{TraceQuery, TraceRow, TraceSummary};
use crate::domain::trace_breakdown::{Breakdown, GroupBy, breakdown};
use crate::domain::updates::{Audience, ComponentStatus, UpdatesConfig};
use crate::updates::context::audience_of;
use crate::updates::{SendReport, TemplateCatalog};

/// The timeline's view: which entries show, which is selected, where the window starts.
#[derive(Debug, Clone, Default)]
pub struct TimelineView {
    /// Indices into `incident.entries` of the rows shown, in order.
    pub rows: Vec<usize>,
    pub cursor: ListCursor,
    pub text_filter: String,
    pub kind_filter: Option<EntryKind>,
    /// Only entries with a marker (after the kinds in the `f` cycle).
    pub marked_only: bool,
    /// `incident.version` the rows were computed at.
    pub(crate) built_at: u64,
    /// Entry to keep selected across rebuilds.
    pub(crate) anchor: Option<Uuid>,
    /// Whether to follow new entries (selection on the last row).
    pub(crate) follow: bool,
}

/// Component statuses chosen for Statuspage channels: channel → component → status.
pub type ComponentChoices = BTreeMap<String, BTreeMap<String, ComponentStatus>>;

/// What the trace pane shows of its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraceMode {
    #[default]
    Rows,
    /// The rows grouped (see [`GroupBy`]).
    Breakdown,
}

/// The trace pane's state.
#[derive(Debug, Clone, Default)]
pub struct TraceView {
    /// The query as typed.
    pub text: String,
    pub query: Option<TraceQuery>,
    /// Id of the latest request; results for older ones are dropped.
    pub request: u64,
    pub running: bool,
    pub started: Option<DateTime<Utc>>,
    pub done: u64,
    pub total: u64,
    pub(crate) rows_by_key: HashMap<(String, String), TraceRow>,
    /// Rows newest first (rebuilt from `rows_by_key` after each batch).
    pub rows: Vec<TraceRow>,
    pub summary: TraceSummary,
    pub warnings: Vec<String>,
    /// Why the last query stopped early, if it did.
    pub error: Option<String>,
    pub cancelled: bool,
    pub cursor: ListCursor,
    /// When the last run ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// This run repeats the previous query over grown logs: the rows stay on screen and are
    /// updated in place; rows the run did not find again go when it ends.
    pub(crate) refreshing: bool,
    pub(crate) seen: std::collections::HashSet<(String, String)>,
    /// `rows` and `summary` lag behind `rows_by_key` (a big result still streaming in).
    pub(crate) stale: bool,
    /// This run sends changes only (see [`TraceMsg::Delta`]).
    pub(crate) delta: bool,
    /// Rows or breakdown; kept from query to query.
    pub mode: TraceMode,
    pub group_by: GroupBy,
    /// The breakdown of `rows`, while shown.
    pub breakdown: Option<Breakdown>,
    pub group_cursor: ListCursor,
    /// Bumped each time `rows` is rebuilt; the breakdown was computed at `breakdown_gen`.
    pub(crate) rows_gen: u64,
    pub(crate) breakdown_gen: u64,
}

/// Results up to this many rows are re-sorted and recounted on every batch.
const EAGER_ROWS: usize = 5_000;

impl TraceView {
    pub(crate) fn apply(&mut self, msgs: Vec<TraceMsg>) {
        let mut rows_changed = false;
        for m in msgs {
            match m {
                TraceMsg::Row(mut r) => {
                    let k = (r.key.clone(), r.recipient.to_lowercase());
                    self.seen.insert(k.clone());
                    // Exchange Online's list gives no reply: keep one fetched before.
                    if r.reply.is_empty()
                        && let Some(old) = self.rows_by_key.get(&k)
                        && old.status == r.status
                    {
                        r.reply.clone_from(&old.reply);
                    }
                    self.rows_by_key.insert(k, r);
                    rows_changed = true;
                }
                TraceMsg::Remove { key, recipient } => {
                    let k = (key, recipient.to_lowercase());
                    self.seen.remove(&k);
                    rows_changed |= self.rows_by_key.remove(&k).is_some();
                }
                TraceMsg::Progress { done, total } => {
                    self.done = done;
                    self.total = total;
                }
                TraceMsg::Warning(w) => {
                    if self.warnings.len() < 1000 {
                        self.warnings.push(w);
                    }
                }
                TraceMsg::Budget { .. } => {}
                TraceMsg::Delta => self.delta = true,
            }
        }
        // Sorting every row and recounting on each batch would make a big result cost
        // O(n² log n) while it streams in: small results are rebuilt each batch, big ones when
        // they have doubled since the last rebuild, and every one when the run ends.
        if rows_changed {
            self.stale = true;
            if self.rows_by_key.len() <= EAGER_ROWS || self.rows_by_key.len() >= 2 * self.rows.len()
            {
                self.rebuild();
            }
        }
    }

    pub(crate) fn rebuild(&mut self) {
        self.stale = false;
        let mut rows: Vec<TraceRow> = self.rows_by_key.values().cloned().collect();
        crate::trace::scan::sort_rows(&mut rows);
        let q = self.query.clone().unwrap_or_default();
        self.summary = TraceSummary::from_rows(&rows, &q);
        self.rows = rows;
        self.cursor.selected = self.cursor.selected.min(self.rows.len().saturating_sub(1));
        self.rows_gen += 1;
    }

    /// Recomputes the breakdown if it is shown and the rows changed.
    pub(crate) fn update_breakdown(&mut self, zone: crate::domain::time::Zone) {
        if self.mode != TraceMode::Breakdown {
            self.breakdown = None;
            return;
        }
        if self
            .breakdown
            .as_ref()
            .is_some_and(|b| b.by == self.group_by)
            && self.breakdown_gen == self.rows_gen
        {
            return;
        }
        let b = breakdown(&self.rows, self.group_by, zone);
        self.group_cursor.selected = self
            .group_cursor
            .selected
            .min(b.groups.len().saturating_sub(1));
        self.breakdown = Some(b);
        self.breakdown_gen = self.rows_gen;
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&TraceRow> {
        self.rows.get(self.cursor.selected)
    }
}

/// Updates' part of the console state.
#[derive(Debug, Clone)]
pub struct UpdatesState {
    pub config: UpdatesConfig,
    pub templates: TemplateCatalog,
    pub(crate) next_request: u64,
    /// Sends on their way, by request id.
    pub in_flight: BTreeMap<u64, InFlight>,
    /// The last send's failed channels, for `:resend`.
    pub retry: Option<Retry>,
}

impl Default for UpdatesState {
    fn default() -> Self {
        UpdatesState::new(UpdatesConfig::default(), TemplateCatalog::builtin())
    }
}

impl UpdatesState {
    pub fn new(config: UpdatesConfig, templates: TemplateCatalog) -> Self {
        UpdatesState {
            config,
            templates,
            next_request: 1,
            in_flight: BTreeMap::new(),
            retry: None,
        }
    }
}

/// A send on its way.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    pub template: String,
    pub text: String,
    pub components: ComponentChoices,
    pub retry_of: Option<Uuid>,
    /// Channels already done in the console itself (the clipboard).
    pub done: SendReport,
}

/// What `:resend` sends again.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    pub template: String,
    pub text: String,
    pub components: ComponentChoices,
    pub channels: Vec<String>,
    /// The event of the first attempt.
    pub first: Uuid,
}

/// Where the composer's keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposerFocus {
    Text,
    Channels,
}

/// A channel in the composer's list.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposerChannel {
    pub name: String,
    /// The kind word.
    pub kind: &'static str,
    pub audience: Audience,
    pub checked: bool,
    /// For a Statuspage channel: each listed component and the status it will get.
    pub components: Vec<(String, ComponentStatus)>,
}

/// A row of the composer's channel list: a channel, or one of its Statuspage components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRow {
    Channel(usize),
    Component(usize, usize),
}

/// The composer: the draft and the channels to send it on.
#[derive(Debug, Clone)]
pub struct ComposerState {
    pub template: String,
    pub text: TextArea<'static>,
    pub focus: ComposerFocus,
    pub channels: Vec<ComposerChannel>,
    /// Index into [`ComposerState::rows`].
    pub cursor: ListCursor,
    pub error: Option<String>,
    /// Whether the draft was changed by hand.
    pub edited: bool,
    /// The audience the draft was rendered for.
    pub audience: Audience,
}

impl ComposerState {
    pub fn draft(&self) -> String {
        self.text.lines().join("\n")
    }

    /// The channel list's rows: each channel followed by its components.
    pub fn rows(&self) -> Vec<ChannelRow> {
        let mut rows = Vec::new();
        for (i, ch) in self.channels.iter().enumerate() {
            rows.push(ChannelRow::Channel(i));
            for j in 0..ch.components.len() {
                rows.push(ChannelRow::Component(i, j));
            }
        }
        rows
    }

    /// The audience of the ticked channels (internal when none is ticked).
    pub fn ticked_audience(&self) -> Audience {
        let ticked: Vec<Audience> = self
            .channels
            .iter()
            .filter(|c| c.checked)
            .map(|c| c.audience)
            .collect();
        audience_of(ticked)
    }

    /// The component statuses as chosen, for the Statuspage channels.
    pub fn component_choices(&self) -> ComponentChoices {
        self.channels
            .iter()
            .filter(|c| !c.components.is_empty())
            .map(|c| (c.name.clone(), c.components.iter().cloned().collect()))
            .collect()
    }
}

/// A send waiting for the yes that external channels need.
#[derive(Debug, Clone)]
pub struct PendingSend {
    pub composer: Box<ComposerState>,
    pub text: String,
    pub names: Vec<String>,
    /// The external ones among `names`.
    pub external: Vec<String>,
    pub scroll: ListCursor,
}

/// The fields of the close form, in Tab order.
pub const FIELDS: [&str; 5] = ["Summary", "Impact", "Root cause", "Follow-ups", "Override"];

/// The `:close` form.
#[derive(Debug, Clone)]
pub struct CloseForm {
    /// Summary, impact, root cause, follow-ups (one a line: `action | owner | due`), override.
    pub fields: [TextArea<'static>; 5],
    /// Index into `fields`.
    pub focus: usize,
    /// Required playbook steps open when the form was opened: (playbook, step title).
    pub required_open: Vec<(String, String)>,
    pub error: Option<String>,
    /// The status closing leaves the incident in (resolved unless the closer picks another;
    /// the current one keeps it).
    pub status_after: crate::domain::incident::Status,
}

impl CloseForm {
    /// How many fields the form has: the override only while required steps are open.
    pub fn field_count(&self) -> usize {
        if self.required_open.is_empty() { 4 } else { 5 }
    }
}

pub(crate) fn field(content: &str) -> TextArea<'static> {
    let mut t = TextArea::new(content.lines().map(str::to_string).collect());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

/// `TTD 12m TTA 4m TTM 21m`: the durations known so far, for the status bar. A zero one (say,
/// detected when it started, as far as anyone knows) says nothing and is left out.
pub fn status_durations(inc: &Incident) -> Option<String> {
    let parts: Vec<String> = durations(inc)
        .into_iter()
        // Rounded to the minute: seconds are noise at this scale, and under a minute says nothing.
        .filter_map(|(m, d)| d.map(|d| (m, chrono::Duration::minutes(d.num_minutes()))))
        .filter(|(_, d)| !d.is_zero())
        .map(|(m, d)| format!("{} {}", m.short(), format_duration(d)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}
