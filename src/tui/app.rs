//! Console state, the actions that change it, and `update`: the one place where the console's
//! behaviour lives. `update` does no I/O: what must happen outside comes back as [`Effect`]s.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui_textarea::TextArea;
use uuid::Uuid;

use super::keymap::{Command, Context, Keymap};
use super::trace_pane::{TraceMsg, TraceView};
use super::ui::layout;
use crate::domain::event::{Event, EventBody};
use crate::domain::health::{HealthSourceConfig, SeenState, SourceSnapshot};
use crate::domain::incident::{EntryKind, Incident, entry_text};
use crate::domain::playbook::Playbook;
use crate::domain::text::sanitize;
use crate::domain::time::{Zone, check_typed_time, looks_like_time, parse_when, show_time};
use crate::domain::trace::{TraceEvent, TraceQuery, TraceRow, TraceSourceConfig, TraceSummary};

/// The four panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Health,
    Playbook,
    Trace,
    Timeline,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Health, Pane::Playbook, Pane::Trace, Pane::Timeline];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Health => "Health",
            Pane::Playbook => "Playbook",
            Pane::Trace => "Trace",
            Pane::Timeline => "Timeline",
        }
    }

    pub fn number(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    fn step(self, by: isize) -> Pane {
        let i = (self.number() as isize - 1 + by).rem_euclid(4) as usize;
        Pane::ALL[i]
    }
}

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
    /// The evidence file of a trace snapshot: its path relative to the incident, or why not.
    TraceEvidenceSaved {
        query: String,
        summary: Box<TraceSummary>,
        saved: Result<String, String>,
    },
    /// The reports were written into `exports/` (the paths), or why not.
    Exported(Result<Vec<std::path::PathBuf>, String>),
    /// A stakeholder update's send finished (request id from [`Effect::SendUpdate`]).
    UpdateResults {
        request: u64,
        report: crate::updates::SendReport,
    },
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
}

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
        scroll: u16,
    },
    Input(Box<InputState>),
    Edit(Box<EditState>),
    Detail {
        entry: Uuid,
        scroll: u16,
    },
    /// A message's event chain (`None` while it loads).
    TraceChain {
        row: Box<TraceRow>,
        events: Option<Result<Vec<TraceEvent>, String>>,
        scroll: u16,
    },
    /// A health item with all its updates.
    HealthItem {
        source: String,
        item: String,
        scroll: u16,
    },
    /// A step's detail: what to do and why, its state and times.
    StepDetail {
        step: StepRef,
        scroll: u16,
    },
    /// Choosing a playbook to attach: indices into `catalog`.
    Picker {
        items: Vec<usize>,
        selected: usize,
    },
    Confirm {
        what: Confirm,
        back: Box<Mode>,
    },
    /// The `:close` form.
    Close(Box<super::closing::CloseForm>),
    /// Writing a stakeholder update.
    Composer(Box<super::updates_pane::ComposerState>),
    /// The exact text and the external channels it will reach, before sending.
    ConfirmSend(Box<super::updates_pane::PendingSend>),
    /// Choosing how long to snooze the next update.
    Snooze {
        selected: usize,
    },
}

/// The timeline's view: which entries show, which is selected, where the window starts.
#[derive(Debug, Clone, Default)]
pub struct TimelineView {
    /// Indices into `incident.entries` of the rows shown, in order.
    pub rows: Vec<usize>,
    pub selected: usize,
    pub offset: usize,
    pub text_filter: String,
    pub kind_filter: Option<EntryKind>,
    /// `incident.version` the rows were computed at.
    built_at: u64,
    /// Entry to keep selected across rebuilds.
    anchor: Option<Uuid>,
    /// Whether to follow new entries (selection on the last row).
    follow: bool,
}

/// The console's whole state.
pub struct AppState {
    pub incident: Incident,
    pub author: String,
    pub zone: Zone,
    pub now: DateTime<Utc>,
    pub keymap: Keymap,
    pub focus: Pane,
    pub zoomed: bool,
    pub mode: Mode,
    pub timeline: TimelineView,
    /// Index of the selected step among all steps of the attached playbooks.
    pub step_selected: usize,
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
    pub health_selected: usize,
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
    pub updates: super::updates_pane::UpdatesState,
}

impl AppState {
    pub fn new(incident: Incident, author: String, zone: Zone, now: DateTime<Utc>) -> Self {
        let banner = incident
            .drill
            .then(|| "DRILL: this incident is an exercise".to_string());
        let mut app = AppState {
            incident,
            author,
            zone,
            now,
            keymap: Keymap::default(),
            focus: Pane::Timeline,
            zoomed: false,
            mode: Mode::Normal,
            timeline: TimelineView {
                follow: true,
                ..TimelineView::default()
            },
            step_selected: 0,
            catalog: Vec::new(),
            health_sources: Vec::new(),
            health: Default::default(),
            health_seen: SeenState::default(),
            health_selected: 0,
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
        };
        app.health_seen = app.incident.health_seen.clone();
        app.rebuild_rows(true);
        app
    }

    /// The entry under the timeline cursor.
    pub fn selected_entry(&self) -> Option<&crate::domain::incident::Entry> {
        self.timeline
            .rows
            .get(self.timeline.selected)
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

    /// Rows of the timeline list that fit in its pane (without borders and header).
    pub fn timeline_page(&self) -> usize {
        let area = Rect::new(0, 0, self.width, self.height);
        let rect = layout::pane_rect(area, Pane::Timeline, self.zoom(), self.banner.is_some())
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
            self.durations = super::closing::status_durations(&self.incident);
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
        tv.selected = if tv.follow {
            last
        } else if let Some(anchor) = tv.anchor {
            tv.rows
                .iter()
                .position(|&i| self.incident.entries[i].id == anchor)
                .unwrap_or(tv.selected.min(last))
        } else {
            tv.selected.min(last)
        };
        self.settle_scroll();
    }

    fn settle_scroll(&mut self) {
        let page = self.timeline_page();
        let tv = &mut self.timeline;
        if tv.selected < tv.offset {
            tv.offset = tv.selected;
        }
        if tv.selected >= tv.offset + page {
            tv.offset = tv.selected + 1 - page;
        }
        let max_off = tv.rows.len().saturating_sub(page);
        tv.offset = tv.offset.min(max_off);
        tv.anchor = tv
            .rows
            .get(tv.selected)
            .map(|&i| self.incident.entries[i].id);
    }

    fn move_selection(&mut self, delta: isize) {
        let n = self.timeline.rows.len();
        if n == 0 {
            return;
        }
        let cur = self.timeline.selected as isize;
        let next = (cur + delta).clamp(0, n as isize - 1) as usize;
        self.timeline.selected = next;
        self.timeline.follow = next == n - 1;
        self.settle_scroll();
    }
}

/// Where a list cursor lands after a movement command, in a list of `n` rows (n > 0).
pub(crate) fn list_step(cur: usize, n: usize, cmd: Command) -> usize {
    let last = n.saturating_sub(1) as isize;
    let cur = (cur as isize).min(last);
    let next = match cmd {
        Command::Up => cur - 1,
        Command::Down => cur + 1,
        Command::PageUp => cur - 10,
        Command::PageDown => cur + 10,
        Command::Top => 0,
        _ => last,
    };
    next.clamp(0, last) as usize
}

fn is_blank(t: &TextArea<'_>) -> bool {
    t.lines().iter().all(|l| l.trim().is_empty())
}

fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}

/// A single-line text field with the given content, cursor at the end.
pub fn line_field(content: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![content.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn multiline_field(content: &str) -> TextArea<'static> {
    let mut t = TextArea::new(content.lines().map(str::to_string).collect());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

/// What was typed after `a`, understood.
#[derive(Debug, Clone, PartialEq)]
pub struct QuickEntry {
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    pub text: String,
    /// Said about a typed time that is accepted but looks odd (long before the opening).
    pub warning: Option<String>,
}

/// Splits what was typed after `a`: an optional leading time (`-4m`, `14:32`, `now`), an
/// optional kind prefix (`action:`), and the text. A typed time is checked by the rule for
/// typed times against `now` and the incident's opening; text over the entry limit is refused.
pub fn parse_quick_entry(
    input: &str,
    default_kind: EntryKind,
    now: DateTime<Utc>,
    opened: DateTime<Utc>,
    zone: Zone,
) -> Result<QuickEntry, String> {
    let mut rest = input.trim();
    let mut at = now;
    if let Some(first) = rest.split_whitespace().next()
        && looks_like_time(first)
    {
        // "2026-11-30 14:32 text" has the time in two tokens.
        let two: Vec<&str> = rest.splitn(3, char::is_whitespace).collect();
        if two.len() >= 2
            && first.len() == 10
            && let Ok(t) = parse_when(&format!("{} {}", two[0], two[1]), now, zone)
        {
            at = t;
            rest = two.get(2).copied().unwrap_or("").trim();
        } else {
            at = parse_when(first, now, zone).map_err(|e| e.to_string())?;
            rest = rest[first.len()..].trim_start();
        }
    } else if let Some(first) = rest.split_whitespace().next()
        && first.len() == 10
        && first.chars().filter(|c| *c == '-').count() == 2
    {
        let two: Vec<&str> = rest.splitn(3, char::is_whitespace).collect();
        if two.len() >= 2
            && let Ok(t) = parse_when(&format!("{} {}", two[0], two[1]), now, zone)
        {
            at = t;
            rest = two.get(2).copied().unwrap_or("").trim();
        }
    }
    let mut kind = default_kind;
    if let Some((head, tail)) = rest.split_once(':')
        && let Ok(k) = head.trim().parse::<EntryKind>()
        && EntryKind::TYPED.contains(&k)
    {
        kind = k;
        rest = tail.trim_start();
    }
    let text = entry_text(rest)?;
    if text.is_empty() {
        return Err("the entry has no text: type what happened after the time".into());
    }
    let warning = check_typed_time(at, now, Some(opened), zone).map_err(|e| e.to_string())?;
    Ok(QuickEntry {
        at,
        kind,
        text,
        warning,
    })
}

/// The key contexts in force, most specific first.
pub fn contexts(app: &AppState) -> Vec<Context> {
    match app.focus {
        Pane::Timeline => vec![Context::Timeline, Context::List, Context::Global],
        Pane::Playbook => vec![Context::Playbook, Context::List, Context::Global],
        Pane::Health => vec![Context::Health, Context::List, Context::Global],
        Pane::Trace => vec![Context::Trace, Context::List, Context::Global],
    }
}

/// Translates a key into an action for the current mode.
pub fn key_to_action(app: &AppState, key: KeyEvent) -> Option<Action> {
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Action::ForceQuit);
    }
    match app.mode {
        Mode::Normal => app.keymap.lookup(&key, &contexts(app)).map(Action::Command),
        _ => Some(Action::Key(key)),
    }
}

/// Applies an action. The only place the console's state changes.
pub fn update(app: &mut AppState, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Tick(now) => {
            app.now = now;
            super::trace_pane::tick(app, &mut fx);
            if app.flash.as_ref().is_some_and(|f| f.until <= now) {
                app.flash = None;
            }
        }
        Action::Resize { width, height } => {
            app.width = width;
            app.height = height;
            app.settle_scroll();
        }
        Action::Journal { events, warnings } => {
            let had_unsaved = !app.unsaved.is_empty();
            for ev in &events {
                let ours = app.pending.remove(&ev.id);
                app.unsaved.retain(|(u, _)| u.id != ev.id);
                app.incident.apply(ev);
                if ours {
                    super::closing::saved(app, ev, &mut fx);
                }
            }
            if had_unsaved && app.unsaved.is_empty() {
                // What had failed is on disk now: the NOT SAVED message goes.
                if app
                    .flash
                    .as_ref()
                    .is_some_and(|f| f.text.starts_with(NOT_SAVED))
                {
                    app.flash("saved: the changes that had failed are on disk now", false);
                }
            }
            if !warnings.is_empty() {
                app.flash(warnings.join("; "), true);
                app.warnings.extend(warnings);
            }
            app.rebuild_rows(false);
        }
        Action::SaveFailed { event, error } => {
            app.pending.remove(&event.id);
            app.flash(format!("{NOT_SAVED}: {error}. :retry sends it again"), true);
            app.unsaved.retain(|(u, _)| u.id != event.id);
            app.unsaved.push((*event, error));
        }
        Action::HealthPolled(snap) => super::health_pane::polled(app, *snap, &mut fx),
        Action::TraceBatch { request, msgs } => super::trace_pane::batch(app, request, msgs),
        Action::TraceDone {
            request,
            error,
            cancelled,
        } => super::trace_pane::finished(app, request, error, cancelled),
        Action::TraceChain { key, result } => super::trace_pane::chain_loaded(app, &key, result),
        Action::TraceEvidenceSaved {
            query,
            summary,
            saved,
        } => super::trace_pane::evidence_saved(app, query, &summary, saved, &mut fx),
        Action::Exported(result) => super::closing::exported(app, result),
        Action::UpdateResults { request, report } => {
            super::updates_pane::results(app, request, report, &mut fx)
        }
        Action::ForceQuit => {
            app.quit = true;
            fx.push(Effect::Quit);
        }
        Action::Command(cmd) => run_command(app, cmd, &mut fx),
        Action::Key(key) => key_in_mode(app, key, &mut fx),
        Action::Paste(text) => paste(app, &text),
        Action::Click { column, row } => {
            if matches!(app.mode, Mode::Normal) {
                let area = Rect::new(0, 0, app.width, app.height);
                if let Some(p) =
                    layout::pane_at(area, column, row, app.zoom(), app.banner.is_some())
                {
                    app.focus = p;
                }
            }
        }
        Action::Scroll(delta) => {
            if matches!(app.mode, Mode::Normal) {
                let cmd = if delta > 0 {
                    Command::Down
                } else {
                    Command::Up
                };
                for _ in 0..delta.unsigned_abs() {
                    run_command(app, cmd, &mut fx);
                }
            }
        }
    }
    fx
}

/// The closed-incident guard for bound commands, driven by [`Command::changes`]: a change to
/// a closed incident is refused (and said so). The `:` commands have theirs in
/// [`super::commands::run_line`].
pub(crate) fn refused_while_closed(app: &mut AppState, cmd: Command) -> bool {
    let refused = cmd.changes() && app.incident.is_closed();
    if refused {
        app.flash(super::closing::CLOSED, true);
    }
    refused
}

/// Runs a bound command.
pub(crate) fn run_command(app: &mut AppState, cmd: Command, fx: &mut Vec<Effect>) {
    if refused_while_closed(app, cmd) {
        return;
    }
    match cmd {
        Command::Quit => {
            if app.pending.is_empty() && app.unsaved.is_empty() {
                app.quit = true;
                fx.push(Effect::Quit);
            } else {
                app.mode = Mode::Confirm {
                    what: Confirm::Quit,
                    back: Box::new(Mode::Normal),
                };
            }
        }
        Command::FocusNext => app.focus = app.focus.step(1),
        Command::FocusPrev => app.focus = app.focus.step(-1),
        Command::FocusHealth => app.focus = Pane::Health,
        Command::FocusPlaybook => app.focus = Pane::Playbook,
        Command::FocusTrace => app.focus = Pane::Trace,
        Command::FocusTimeline => app.focus = Pane::Timeline,
        Command::Zoom => {
            app.zoomed = !app.zoomed;
            app.settle_scroll();
        }
        Command::Help => app.mode = Mode::Help { scroll: 0 },
        Command::CommandLine => open_input(app, InputPurpose::Command, ""),
        Command::Up
        | Command::Down
        | Command::PageUp
        | Command::PageDown
        | Command::Top
        | Command::Bottom => {
            if app.focus == Pane::Playbook {
                super::playbook_pane::navigate(app, cmd);
            } else if app.focus == Pane::Health {
                super::health_pane::navigate(app, cmd);
            } else if app.focus == Pane::Trace {
                super::trace_pane::navigate(app, cmd);
            } else if app.focus == Pane::Timeline {
                let page = app.timeline_page() as isize;
                let n = app.timeline.rows.len() as isize;
                let delta = match cmd {
                    Command::Up => -1,
                    Command::Down => 1,
                    Command::PageUp => -page,
                    Command::PageDown => page,
                    Command::Top => -n,
                    _ => n,
                };
                app.move_selection(delta);
            }
        }
        Command::Open if app.focus == Pane::Playbook => super::playbook_pane::open(app),
        Command::Open if app.focus == Pane::Health => super::health_pane::open(app),
        Command::Open if app.focus == Pane::Trace => super::trace_pane::open(app, fx),
        Command::TraceQuery
        | Command::TraceCancel
        | Command::TraceKeep
        | Command::TraceRerun
        | Command::TraceBreakdown
        | Command::TraceGroupBy => super::trace_pane::command(app, cmd, fx),
        Command::PollNow => fx.push(Effect::PollNow(None)),
        Command::Export => super::closing::export(app, fx),
        Command::ComposeUpdate => super::updates_pane::open_composer(app),
        Command::SnoozeUpdate => super::updates_pane::open_snooze(app),
        Command::Open => {
            if app.focus == Pane::Timeline
                && let Some(e) = app.selected_entry()
            {
                app.mode = Mode::Detail {
                    entry: e.id,
                    scroll: 0,
                };
            }
        }
        Command::AddEntry => open_input(app, InputPurpose::AddEntry, ""),
        Command::EditEntry => {
            if let Some(e) = app.selected_entry() {
                let wall = app.zone.to_wall(e.occurred_at);
                app.mode = Mode::Edit(Box::new(EditState {
                    entry: e.id,
                    time: line_field(&wall.format("%Y-%m-%d %H:%M:%S").to_string()),
                    kind: e.kind,
                    text: multiline_field(&e.text),
                    focus: 2,
                    error: None,
                }));
            } else {
                app.flash("nothing to edit: the timeline is empty", false);
            }
        }
        Command::DeleteEntry => {
            if let Some(e) = app.selected_entry() {
                let id = e.id;
                fx.push(app.append(EventBody::EntryDeleted { entry: id }));
                app.undo.push(EventBody::EntryRestored { entry: id });
                app.flash("entry deleted: u undoes", false);
            }
        }
        Command::TogglePin => {
            if let Some(e) = app.selected_entry() {
                let (id, pinned) = (e.id, !e.pinned);
                fx.push(app.append(EventBody::EntryPinned { entry: id, pinned }));
                app.undo.push(EventBody::EntryPinned {
                    entry: id,
                    pinned: !pinned,
                });
            }
        }
        Command::Undo => match app.undo.pop() {
            Some(body) => {
                let what = match &body {
                    EventBody::EntryRestored { .. } => "restored the deleted entry",
                    EventBody::EntryDeleted { .. } => "removed the added entry",
                    EventBody::EntryPinned { .. } => "pin undone",
                    EventBody::EntryEdited { .. } => "edit undone",
                    _ => "undone",
                };
                fx.push(app.append(body));
                app.flash(what, false);
            }
            None => app.flash("nothing to undo in this session", false),
        },
        Command::Filter => {
            let current = app.timeline.text_filter.clone();
            open_input(app, InputPurpose::Filter, &current);
        }
        Command::ToggleDone
        | Command::StartStep
        | Command::SkipStep
        | Command::OwnerStep
        | Command::NoteStep
        | Command::AckCheckBack
        | Command::AttachPlaybook => super::playbook_pane::command(app, cmd, fx),
        Command::CycleKind => {
            let all = EntryKind::ALL;
            app.timeline.kind_filter = match app.timeline.kind_filter {
                None => Some(all[0]),
                Some(k) => all
                    .iter()
                    .position(|x| *x == k)
                    .and_then(|i| all.get(i + 1))
                    .copied(),
            };
            app.rebuild_rows(true);
        }
        // The keys of popups, inputs and forms are read where those have the keyboard.
        _ => {}
    }
}

pub(crate) fn open_input(app: &mut AppState, purpose: InputPurpose, content: &str) {
    app.mode = Mode::Input(Box::new(InputState {
        purpose,
        field: line_field(content),
        kind: EntryKind::Note,
        error: None,
    }));
}

/// The most of one paste that is kept: well over an entry's limit, so that an entry made too
/// long by a paste is refused with the limit rather than cut to fit.
const PASTE_CAP: usize = 16 * crate::domain::incident::ENTRY_MAX;

fn paste(app: &mut AppState, text: &str) {
    let clean = sanitize(text, PASTE_CAP);
    match &mut app.mode {
        Mode::Input(i) => {
            i.field.insert_str(clean.replace('\n', " "));
        }
        Mode::Edit(e) => match e.focus {
            0 => {
                e.time.insert_str(clean.replace('\n', " "));
            }
            2 => {
                e.text.insert_str(&clean);
            }
            _ => {}
        },
        Mode::Close(form) => super::closing::paste(form, text),
        Mode::Composer(c) if c.focus == super::updates_pane::ComposerFocus::Text => {
            c.text.insert_str(&clean);
            c.edited = true;
        }
        Mode::Normal if app.focus == Pane::Timeline => {
            // Pasting on the timeline starts an entry with that text.
            open_input(app, InputPurpose::AddEntry, &clean.replace('\n', " "));
        }
        _ => {}
    }
}

/// The command a key means where a popup, input or form has the keyboard.
pub(crate) fn modal(app: &AppState, key: &KeyEvent, contexts: &[Context]) -> Option<Command> {
    app.keymap.lookup(key, contexts)
}

/// How far a popup scrolls for a command (`None`: not a scroll).
fn scroll_delta(cmd: Option<Command>) -> Option<i32> {
    match cmd? {
        Command::ScrollDown => Some(1),
        Command::ScrollUp => Some(-1),
        Command::ScrollPageDown => Some(10),
        Command::ScrollPageUp => Some(-10),
        _ => None,
    }
}

fn scrolled(scroll: u16, by: i32) -> u16 {
    if by < 0 {
        scroll.saturating_sub(by.unsigned_abs() as u16)
    } else {
        scroll.saturating_add(by as u16)
    }
}

fn key_in_mode(app: &mut AppState, key: KeyEvent, fx: &mut Vec<Effect>) {
    let mode = std::mem::replace(&mut app.mode, Mode::Normal);
    let popup = modal(app, &key, &[Context::Popup]);
    app.mode = match mode {
        Mode::Normal => Mode::Normal,
        Mode::Help { scroll } => match scroll_delta(popup) {
            Some(by) => Mode::Help {
                scroll: scrolled(scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::Detail { entry, scroll } => match (scroll_delta(popup), popup) {
            (Some(by), _) => Mode::Detail {
                entry,
                scroll: scrolled(scroll, by),
            },
            (None, Some(_)) => Mode::Normal,
            // The timeline's edit and pin work on the entry shown.
            (None, None) => match modal(app, &key, &[Context::Timeline]) {
                Some(Command::EditEntry) => {
                    run_command(app, Command::EditEntry, fx);
                    std::mem::replace(&mut app.mode, Mode::Normal)
                }
                Some(Command::TogglePin) => {
                    run_command(app, Command::TogglePin, fx);
                    Mode::Detail { entry, scroll }
                }
                _ => Mode::Normal,
            },
        },
        Mode::TraceChain {
            row,
            events,
            scroll,
        } => match scroll_delta(popup) {
            Some(by) => Mode::TraceChain {
                row,
                events,
                scroll: scrolled(scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::HealthItem {
            source,
            item,
            scroll,
        } => match scroll_delta(popup) {
            Some(by) => Mode::HealthItem {
                source,
                item,
                scroll: scrolled(scroll, by),
            },
            None => Mode::Normal,
        },
        Mode::StepDetail { step, scroll } => match (scroll_delta(popup), popup) {
            (Some(by), _) => Mode::StepDetail {
                step,
                scroll: scrolled(scroll, by),
            },
            (None, Some(_)) => Mode::Normal,
            (None, None) => match modal(app, &key, &[Context::Playbook]) {
                // The keys the popup's title advertises: the pane's own step commands, on
                // the step shown. Done, doing and checked keep the popup open on the new
                // state; skip, owner and note open their input.
                Some(
                    cmd @ (Command::ToggleDone
                    | Command::StartStep
                    | Command::SkipStep
                    | Command::OwnerStep
                    | Command::NoteStep
                    | Command::AckCheckBack),
                ) => {
                    app.mode = Mode::StepDetail {
                        step: step.clone(),
                        scroll,
                    };
                    if !refused_while_closed(app, cmd) {
                        super::playbook_pane::step_command(app, step, cmd, fx);
                    }
                    std::mem::replace(&mut app.mode, Mode::Normal)
                }
                _ => Mode::Normal,
            },
        },
        Mode::Picker { items, selected } => {
            super::playbook_pane::picker_key(app, items, selected, key, fx)
        }
        Mode::Confirm { what, back } => match modal(app, &key, &[Context::Confirm]) {
            Some(Command::ConfirmYes) => match what {
                Confirm::Quit => {
                    app.quit = true;
                    fx.push(Effect::Quit);
                    Mode::Normal
                }
                Confirm::Discard => Mode::Normal,
                Confirm::ResolveStatuspage => {
                    super::updates_pane::resolve_statuspage(app, fx);
                    Mode::Normal
                }
            },
            _ => *back,
        },
        Mode::Input(input) => input_key(app, input, key, fx),
        Mode::Edit(edit) => edit_key(app, edit, key, fx),
        Mode::Close(form) => super::closing::form_key(app, form, key, fx),
        Mode::Composer(c) => super::updates_pane::composer_key(app, c, key, fx),
        Mode::ConfirmSend(p) => super::updates_pane::confirm_send_key(app, p, key, fx),
        Mode::Snooze { selected } => super::updates_pane::snooze_key(app, selected, key, fx),
    };
}

fn input_key(
    app: &mut AppState,
    mut input: Box<InputState>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    match modal(app, &key, &[Context::Input]) {
        Some(Command::InputCancel) => {
            if input.purpose == InputPurpose::Filter {
                app.timeline.text_filter.clear();
                app.rebuild_rows(true);
                return Mode::Normal;
            }
            if input.purpose == InputPurpose::AddEntry && !is_blank(&input.field) {
                return Mode::Confirm {
                    what: Confirm::Discard,
                    back: Box::new(Mode::Input(input)),
                };
            }
            Mode::Normal
        }
        Some(Command::InputKind) if input.purpose == InputPurpose::AddEntry => {
            let typed = EntryKind::TYPED;
            let i = typed.iter().position(|k| *k == input.kind).unwrap_or(0);
            input.kind = typed[(i + 1) % typed.len()];
            Mode::Input(input)
        }
        Some(Command::InputSubmit) => {
            let text = text_of(&input.field);
            match input.purpose {
                InputPurpose::AddEntry if app.incident.is_closed() => {
                    input.error = Some(super::closing::CLOSED.into());
                    Mode::Input(input)
                }
                InputPurpose::AddEntry => {
                    let opened = app.incident.opened_at;
                    match parse_quick_entry(&text, input.kind, app.now, opened, app.zone) {
                        Ok(q) => {
                            let ev = app.event(EventBody::EntryAdded {
                                occurred_at: q.at,
                                kind: q.kind,
                                text: q.text,
                                step: None,
                            });
                            app.pending.insert(ev.id);
                            app.undo.push(EventBody::EntryDeleted { entry: ev.id });
                            app.timeline.follow = q.at >= app.now - Duration::seconds(5);
                            fx.push(Effect::Append(ev));
                            if let Some(w) = q.warning {
                                app.flash(w, false);
                            }
                            Mode::Normal
                        }
                        Err(e) => {
                            input.error = Some(e);
                            Mode::Input(input)
                        }
                    }
                }
                InputPurpose::Filter => {
                    app.timeline.text_filter = text.trim().to_string();
                    app.rebuild_rows(true);
                    Mode::Normal
                }
                InputPurpose::TraceQuery => match super::trace_pane::submit_query(app, &text, fx) {
                    Ok(()) => Mode::Normal,
                    Err(e) => {
                        input.error = Some(e);
                        Mode::Input(input)
                    }
                },
                InputPurpose::SkipReason(_)
                | InputPurpose::Owner(_)
                | InputPurpose::StepNote(_) => {
                    match super::playbook_pane::submit_input(app, &input.purpose, &text, fx) {
                        Ok(()) => Mode::Normal,
                        Err(e) => {
                            input.error = Some(e);
                            Mode::Input(input)
                        }
                    }
                }
                InputPurpose::Command => match super::commands::run_line(app, &text, fx) {
                    Ok(()) => std::mem::replace(&mut app.mode, Mode::Normal),
                    Err(e) => {
                        input.error = Some(e);
                        Mode::Input(input)
                    }
                },
            }
        }
        _ => {
            // One line only: Enter submits, so a newline never reaches the field.
            if key.code == KeyCode::Char('m') && key.modifiers.contains(KeyModifiers::CONTROL) {
                return Mode::Input(input);
            }
            input.field.input(key);
            input.error = None;
            if input.purpose == InputPurpose::Filter {
                app.timeline.text_filter = text_of(&input.field).trim().to_string();
                app.rebuild_rows(true);
            }
            Mode::Input(input)
        }
    }
}

fn edit_key(
    app: &mut AppState,
    mut edit: Box<EditState>,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Mode {
    match modal(app, &key, &[Context::Editor]) {
        Some(Command::EditorCancel) => Mode::Confirm {
            what: Confirm::Discard,
            back: Box::new(Mode::Edit(edit)),
        },
        Some(Command::EditorNext) => {
            edit.focus = (edit.focus + 1) % 3;
            Mode::Edit(edit)
        }
        Some(Command::EditorPrev) => {
            edit.focus = (edit.focus + 2) % 3;
            Mode::Edit(edit)
        }
        Some(Command::EditorSave) => save_edit(app, edit, fx),
        Some(Command::EditorNewline) if edit.focus == 2 => {
            edit.text.insert_newline();
            Mode::Edit(edit)
        }
        Some(Command::EditorNewline) => save_edit(app, edit, fx),
        Some(cmd @ (Command::EditorKindNext | Command::EditorKindPrev)) if edit.focus == 1 => {
            let all = EntryKind::ALL;
            let i = all.iter().position(|k| *k == edit.kind).unwrap_or(0);
            let step = if cmd == Command::EditorKindPrev {
                all.len() - 1
            } else {
                1
            };
            edit.kind = all[(i + step) % all.len()];
            Mode::Edit(edit)
        }
        _ => {
            match edit.focus {
                0 => {
                    edit.time.input(key);
                }
                2 => {
                    edit.text.input(key);
                }
                _ => {}
            }
            edit.error = None;
            Mode::Edit(edit)
        }
    }
}

fn save_edit(app: &mut AppState, mut edit: Box<EditState>, fx: &mut Vec<Effect>) -> Mode {
    let Some(old) = app.incident.entry(edit.entry).cloned() else {
        app.flash("that entry is gone", true);
        return Mode::Normal;
    };
    let when = text_of(&edit.time);
    let occurred_at = match parse_when(&when, app.now, app.zone) {
        Ok(t) => t,
        Err(e) => {
            edit.error = Some(e.to_string());
            edit.focus = 0;
            return Mode::Edit(edit);
        }
    };
    let text = match entry_text(&text_of(&edit.text)) {
        Ok(t) => t,
        Err(e) => {
            edit.error = Some(e);
            edit.focus = 2;
            return Mode::Edit(edit);
        }
    };
    if text.is_empty() {
        edit.error = Some("the text is empty: to remove the entry, press d on it".into());
        return Mode::Edit(edit);
    }
    // Times typed to the second; keep the old sub-second part when the second is unchanged.
    let moved = occurred_at.timestamp() != old.occurred_at.timestamp();
    // Only a time that was typed is checked (an entry from elsewhere keeps its own).
    let mut warning = None;
    if moved {
        match check_typed_time(occurred_at, app.now, Some(app.incident.opened_at), app.zone) {
            Ok(w) => warning = w,
            Err(e) => {
                edit.error = Some(e.to_string());
                edit.focus = 0;
                return Mode::Edit(edit);
            }
        }
    }
    let body = EventBody::EntryEdited {
        entry: old.id,
        text: (text != old.text).then_some(text),
        occurred_at: moved.then_some(occurred_at),
        kind: (edit.kind != old.kind).then_some(edit.kind),
    };
    if let EventBody::EntryEdited {
        text: None,
        occurred_at: None,
        kind: None,
        ..
    } = body
    {
        app.flash("nothing changed", false);
        return Mode::Normal;
    }
    if let EventBody::EntryEdited {
        text: t,
        occurred_at: o,
        kind: k,
        entry,
    } = &body
    {
        app.undo.push(EventBody::EntryEdited {
            entry: *entry,
            text: t.as_ref().map(|_| old.text.clone()),
            occurred_at: o.map(|_| old.occurred_at),
            kind: k.map(|_| old.kind),
        });
    }
    app.timeline.follow = false;
    fx.push(app.append(body));
    if let Some(w) = warning {
        app.flash(w, false);
    }
    Mode::Normal
}

/// How the message about a change that could not be written starts.
pub const NOT_SAVED: &str = "NOT SAVED";

/// What the timeline shows for an entry's time.
pub fn entry_time(app: &AppState, at: DateTime<Utc>) -> String {
    show_time(at, app.now, app.zone)
}
