//! The console's state: [`AppState`], what has the keyboard ([`Mode`]) and the helpers every
//! pane uses to change it. Only `update` (and the pane modules it calls) changes it.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;
use uuid::Uuid;

use super::action::Effect;
use super::cursor::ListCursor;
use super::keymap::{Command, Keymap};
use super::layout;
use super::pane::Pane;
use super::views::{CloseForm, ComposerState, PendingSend, TimelineView, TraceView, UpdatesState};
use crate::domain::event::{Event, EventBody};
use crate::domain::health::{HealthSourceConfig, SeenState, SourceSnapshot};
use crate::domain::incident::{EntryKind, Incident};
use crate::domain::playbook::Playbook;
use crate::domain::time::{Zone, show_time};
use crate::domain::trace::{TraceEvent, TraceRow, TraceSourceConfig};

/// One-line feedback at the bottom of the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub until: DateTime<Utc>,
}

/// What a one-line input is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPurpose {
    AddEntry,
    Filter,
    Command,
    /// The reason for skipping a step.
    SkipReason(StepRef),
    /// A new owner for a step.
    Owner(StepRef),
    /// A timeline note about a step.
    StepNote(StepRef),
    /// A message-trace query.
    TraceQuery,
}

/// A step of an attached playbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    pub playbook: String,
    pub step: String,
}

/// A one-line text input.
#[derive(Debug, Clone)]
pub struct InputState {
    pub purpose: InputPurpose,
    pub field: TextArea<'static>,
    /// For adding: the kind picked with Tab, used when the text names none.
    pub kind: EntryKind,
    pub error: Option<String>,
}

/// The entry editor.
#[derive(Debug, Clone)]
pub struct EditState {
    pub entry: Uuid,
    pub time: TextArea<'static>,
    pub kind: EntryKind,
    pub text: TextArea<'static>,
    /// 0 time, 1 kind, 2 text.
    pub focus: usize,
    pub error: Option<String>,
}

/// Questions that need a yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Quit although changes are unsaved or still saving.
    Quit,
    /// Throw away the open editor's text.
    Discard,
    /// After the close: resolve the Statuspage incident(s) still open.
    ResolveStatuspage,
}

/// What has the keyboard.
#[derive(Debug, Clone)]
pub enum Mode {
    Normal,
    Help {
        scroll: ListCursor,
    },
    Input(Box<InputState>),
    Edit(Box<EditState>),
    Detail {
        entry: Uuid,
        scroll: ListCursor,
    },
    /// A message's event chain (`None` while it loads).
    TraceChain {
        row: Box<TraceRow>,
        events: Option<Result<Vec<TraceEvent>, String>>,
        scroll: ListCursor,
    },
    /// A health item with all its updates.
    HealthItem {
        source: String,
        item: String,
        scroll: ListCursor,
    },
    /// A step's detail: what to do and why, its state and times.
    StepDetail {
        step: StepRef,
        scroll: ListCursor,
    },
    /// Choosing a playbook to attach: indices into `catalog`.
    Picker {
        items: Vec<usize>,
        cursor: ListCursor,
    },
    Confirm {
        what: Confirm,
        back: Box<Mode>,
    },
    /// The `:close` form.
    Close(Box<CloseForm>),
    /// Writing a stakeholder update.
    Composer(Box<ComposerState>),
    /// The exact text and the external channels it will reach, before sending.
    ConfirmSend(Box<PendingSend>),
    /// Choosing how long to snooze the next update.
    Snooze {
        cursor: ListCursor,
    },
    /// `:who`: who has the incident open (team mode).
    Who {
        scroll: ListCursor,
    },
    /// The exact command of a playbook step, before it is run.
    ConfirmRun(Box<RunConfirm>),
}

/// A step's command waiting for a yes; `back` is what had the keyboard before.
#[derive(Debug, Clone)]
pub struct RunConfirm {
    pub step: StepRef,
    pub argv: Vec<String>,
    pub back: Box<Mode>,
}

impl Mode {
    /// The command that leaves this mode, for the hint line (`None`: any key, or none).
    pub fn cancel_command(&self) -> Option<Command> {
        match self {
            Mode::Normal | Mode::Confirm { .. } | Mode::ConfirmSend(_) | Mode::ConfirmRun(_) => {
                None
            }
            Mode::Help { .. }
            | Mode::Detail { .. }
            | Mode::TraceChain { .. }
            | Mode::HealthItem { .. }
            | Mode::StepDetail { .. } => Some(Command::ClosePopup),
            Mode::Who { .. } => Some(Command::ClosePopup),
            Mode::Input(_) => Some(Command::InputCancel),
            Mode::Edit(_) => Some(Command::EditorCancel),
            Mode::Close(_) => Some(Command::FormCancel),
            Mode::Composer(_) => Some(Command::ComposerCancel),
            Mode::Picker { .. } | Mode::Snooze { .. } => Some(Command::PickerCancel),
        }
    }
}

/// The console's whole state.
pub struct AppState {
    /// How far the open popup's text can scroll, as the last frame drew it (its rows less the
    /// rows shown; the wrapping depends on the width, so drawing is what knows). Scrolling stops
    /// there, so `k` after many `j` moves at once.
    pub popup_scroll_max: std::cell::Cell<usize>,
    pub incident: Incident,
    pub author: String,
    pub zone: Zone,
    pub now: DateTime<Utc>,
    pub keymap: Keymap,
    /// Colours the frame is drawn in (`theme`, mono under `NO_COLOR`, and the terminal's).
    pub look: super::look::Look,
    pub focus: Pane,
    pub zoomed: bool,
    pub mode: Mode,
    pub timeline: TimelineView,
    /// Index of the selected step among all steps of the attached playbooks.
    pub steps: ListCursor,
    /// Playbooks that can be attached, with their TOML text.
    pub catalog: Vec<(Playbook, String)>,
    /// The configured health sources, in config order.
    pub health_sources: Vec<HealthSourceConfig>,
    /// The latest snapshot of each source, by name.
    pub health: std::collections::BTreeMap<String, SourceSnapshot>,
    /// What the diffs compare against: the journal's last recorded state plus what this console
    /// has sent since (so a change is never sent twice while its event is on the way).
    pub health_seen: SeenState,
    /// Selected row among the health items (newest first).
    pub health_list: ListCursor,
    /// Each queue source's depth over the session (bounded), for the pane's sparkline.
    pub queue_history: std::collections::BTreeMap<String, crate::domain::queue::DepthHistory>,
    /// The configured message-trace sources.
    pub trace_sources: Vec<TraceSourceConfig>,
    /// The trace pane.
    pub trace: TraceView,
    /// A query to run in the trace pane on the first tick (`[trace] query`).
    pub trace_autostart: Option<String>,
    /// How often to run the trace pane's query again (`[trace] refresh`).
    pub trace_refresh: Option<Duration>,
    /// Request budget of each Exchange Online trace source, as shown.
    pub trace_budgets: std::collections::BTreeMap<String, String>,
    pub width: u16,
    pub height: u16,
    /// Events sent to the journal and not yet read back.
    pub pending: HashSet<Uuid>,
    /// Events whose append failed, with the error; `:retry` sends them again.
    pub unsaved: Vec<(Event, String)>,
    /// Inverse operations of this session's timeline changes, newest last.
    pub undo: Vec<EventBody>,
    pub flash: Option<Flash>,
    /// Problems found while reading the journal.
    pub warnings: Vec<String>,
    /// When the incident started (the `started` key time) and the durations for the status
    /// bar: derived from the whole timeline, so worked out when it changes, not every frame.
    pub started: DateTime<Utc>,
    pub durations: Option<String>,
    /// A banner line above the panes (e.g. for drills); empty for none.
    pub banner: Option<String>,
    pub quit: bool,
    /// Stakeholder updates: config, templates, sends on their way.
    pub updates: UpdatesState,
    /// The review templates (`:review`): the built-ins and the user's.
    pub review_templates: crate::export::review::ReviewTemplates,
    /// Team mode's state, when the incident is shared (`None`: it is not).
    pub team: Option<crate::team::live::LiveStatus>,
}

impl AppState {
    pub fn new(incident: Incident, author: String, zone: Zone, now: DateTime<Utc>) -> Self {
        let banner = incident
            .drill
            .then(|| "DRILL: this incident is an exercise".to_string());
        let mut app = AppState {
            popup_scroll_max: std::cell::Cell::new(usize::MAX),
            incident,
            author,
            zone,
            now,
            keymap: Keymap::default(),
            look: super::look::Look::default(),
            focus: Pane::Timeline,
            zoomed: false,
            mode: Mode::Normal,
            timeline: TimelineView {
                follow: true,
                ..TimelineView::default()
            },
            steps: ListCursor::default(),
            catalog: Vec::new(),
            health_sources: Vec::new(),
            health: Default::default(),
            health_seen: SeenState::default(),
            health_list: ListCursor::default(),
            queue_history: Default::default(),
            trace_sources: Vec::new(),
            trace: TraceView::default(),
            trace_budgets: Default::default(),
            trace_autostart: None,
            trace_refresh: None,
            width: 120,
            height: 40,
            pending: HashSet::new(),
            unsaved: Vec::new(),
            undo: Vec::new(),
            flash: None,
            warnings: Vec::new(),
            started: now,
            durations: None,
            banner,
            quit: false,
            updates: Default::default(),
            review_templates: Default::default(),
            team: None,
        };
        app.health_seen = app.incident.health_seen.clone();
        app.rebuild_rows(true);
        app
    }

    /// The entry under the timeline cursor.
    pub fn selected_entry(&self) -> Option<&crate::domain::incident::Entry> {
        self.timeline
            .rows
            .get(self.timeline.cursor.selected)
            .and_then(|&i| self.incident.entries.get(i))
    }

    /// The zoomed pane, if any.
    pub fn zoom(&self) -> Option<Pane> {
        self.zoomed.then_some(self.focus)
    }

    /// Whether an editor holds text that would be lost.
    pub fn has_open_edit(&self) -> bool {
        match &self.mode {
            Mode::Input(i) => i.purpose == InputPurpose::AddEntry && !is_blank(&i.field),
            Mode::Edit(_) | Mode::Close(_) => true,
            Mode::Composer(c) => c.edited,
            Mode::ConfirmSend(p) => p.composer.edited,
            Mode::Confirm { back, .. } => matches!(
                **back,
                Mode::Edit(_) | Mode::Input(_) | Mode::Close(_) | Mode::Composer(_)
            ),
            _ => false,
        }
    }

    pub(crate) fn flash(&mut self, text: impl Into<String>, error: bool) {
        let secs = if error { 12 } else { 5 };
        self.flash = Some(Flash {
            text: text.into(),
            error,
            until: self.now + Duration::seconds(secs),
        });
    }

    pub(crate) fn event(&self, body: EventBody) -> Event {
        Event::new(self.now, self.author.clone(), body)
    }

    pub(crate) fn append(&mut self, body: EventBody) -> Effect {
        let by = self.author.clone();
        self.append_as(&by, body)
    }

    /// Like [`AppState::append`], with another author (e.g. `health` for what the pollers saw).
    pub(crate) fn append_as(&mut self, by: &str, body: EventBody) -> Effect {
        let ev = Event::new(self.now, by, body);
        self.pending.insert(ev.id);
        Effect::Append(ev)
    }

    /// `q`: leaves at once when nothing is unsaved or on its way, else asks first.
    pub fn ask_to_quit(&mut self, fx: &mut Vec<Effect>) {
        if self.pending.is_empty() && self.unsaved.is_empty() {
            self.quit = true;
            fx.push(Effect::Quit);
        } else {
            self.mode = Mode::Confirm {
                what: Confirm::Quit,
                back: Box::new(Mode::Normal),
            };
        }
    }

    /// Rows of the timeline list that fit in its pane (without borders and header).
    pub fn timeline_page(&self) -> usize {
        let area = Rect::new(0, 0, self.width, self.height);
        let rect = layout::pane_rect(
            area,
            Pane::Timeline,
            self.focus,
            self.zoom(),
            self.banner.is_some(),
        )
        .unwrap_or(area);
        (rect.height.saturating_sub(2) as usize).max(1)
    }

    /// Recomputes which entries show. Cheap enough to run on every change: one pass.
    pub fn rebuild_rows(&mut self, force: bool) {
        if !force && self.timeline.built_at == self.incident.version {
            return;
        }
        if self.timeline.built_at != self.incident.version {
            self.started = crate::domain::closing::key_time(
                &self.incident,
                crate::domain::closing::KeyTime::Started,
            )
            .at
            .unwrap_or(self.incident.started_at);
            self.durations = super::views::status_durations(&self.incident);
        }
        let tv = &mut self.timeline;
        let needle = tv.text_filter.to_lowercase();
        tv.rows.clear();
        for (i, e) in self.incident.entries.iter().enumerate() {
            if e.deleted {
                continue;
            }
            if let Some(k) = tv.kind_filter
                && e.kind != k
            {
                continue;
            }
            if tv.marked_only && !self.incident.markers.contains_key(&e.id) {
                continue;
            }
            if !needle.is_empty()
                && !e.text.to_lowercase().contains(&needle)
                && !e.author.to_lowercase().contains(&needle)
            {
                continue;
            }
            tv.rows.push(i);
        }
        tv.built_at = self.incident.version;
        let last = tv.rows.len().saturating_sub(1);
        tv.cursor.selected = if tv.follow {
            last
        } else if let Some(anchor) = tv.anchor {
            tv.rows
                .iter()
                .position(|&i| self.incident.entries[i].id == anchor)
                .unwrap_or(tv.cursor.selected.min(last))
        } else {
            tv.cursor.selected.min(last)
        };
        self.settle_scroll();
    }

    pub(crate) fn settle_scroll(&mut self) {
        let page = self.timeline_page();
        let tv = &mut self.timeline;
        tv.cursor.settle(tv.rows.len(), page);
        tv.anchor = tv
            .rows
            .get(tv.cursor.selected)
            .map(|&i| self.incident.entries[i].id);
    }

    /// Moves the timeline's cursor by a list command; on the last row it follows new entries.
    pub(crate) fn move_cursor(&mut self, cmd: Command) {
        let n = self.timeline.rows.len();
        if n == 0 {
            return;
        }
        let page = self.timeline_page();
        self.timeline.cursor.step(n, page, cmd);
        self.timeline.follow = self.timeline.cursor.selected == n - 1;
        self.settle_scroll();
    }
}

pub(crate) fn is_blank(t: &TextArea<'_>) -> bool {
    t.lines().iter().all(|l| l.trim().is_empty())
}

pub(crate) fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}

/// A single-line text field with the given content, cursor at the end.
pub fn line_field(content: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![content.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

pub(crate) fn multiline_field(content: &str) -> TextArea<'static> {
    let mut t = TextArea::new(content.lines().map(str::to_string).collect());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

/// The closed-incident guard for bound commands, driven by [`Command::changes`]: a change to
/// a closed incident is refused (and said so). The `:` commands have theirs in
/// [`super::commands::run_line`].
///
/// Allowed on a closed incident, on purpose: the follow-up events
/// (`EventBody::allowed_on_closed`: a follow-up marked done or dropped, a tracker issue
/// recorded), which `warroom followups` writes without reopening the incident; the fold applies
/// them whether the incident is open or closed.
pub(crate) fn refused_while_closed(app: &mut AppState, cmd: Command) -> bool {
    let refused = cmd.changes() && app.incident.is_closed();
    if refused {
        app.flash(CLOSED, true);
    }
    refused
}

pub(crate) fn open_input(app: &mut AppState, purpose: InputPurpose, content: &str) {
    app.mode = Mode::Input(Box::new(InputState {
        purpose,
        field: line_field(content),
        kind: EntryKind::Note,
        error: None,
    }));
}

/// What the console says when a change is tried on a closed incident.
pub const CLOSED: &str = "the incident is closed and read-only: :reopen REASON to change it";

/// How the message about a change that could not be written starts.
pub const NOT_SAVED: &str = "NOT SAVED";

/// What the timeline shows for an entry's time.
pub fn entry_time(app: &AppState, at: DateTime<Utc>) -> String {
    show_time(at, app.now, app.zone)
}
