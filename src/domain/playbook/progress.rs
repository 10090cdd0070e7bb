//! The state of each step (the transitions a change may make), the progress of a playbook, and
//! the timing questions (due, overdue, check back) against a clock the caller passes in.

use super::*;
pub use crate::domain::vocab::StepStatus;

impl StepStatus {
    /// Done and skipped steps count as complete.
    pub fn is_complete(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped)
    }

    /// Whether the rules allow going from `self` to `to` directly. Completed steps must be
    /// reopened (back to todo) before anything else happens to them.
    pub fn can_become(self, to: StepStatus) -> bool {
        use StepStatus::*;
        matches!(
            (self, to),
            (Todo, Doing | Done | Skipped)
                | (Doing, Todo | Done | Skipped)
                | (Done | Skipped, Todo)
        )
    }
}

/// The current state of one step: the fold of its [`StepChange`]s.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StepState {
    /// Where the step stands.
    pub status: StepStatus,
    /// Why it was skipped (only while skipped).
    pub reason: Option<String>,
    /// Who took it over; `None` means the playbook's default owner applies.
    pub owner: Option<String>,
    /// When it went to doing; starts the check-back timer.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was done (only while done).
    pub done_at: Option<DateTime<Utc>>,
    /// The last acknowledgement of the check-back timer, which restarts it.
    pub check_back_acked_at: Option<DateTime<Utc>>,
    /// Time of the last change of any kind.
    pub changed_at: Option<DateTime<Utc>>,
    /// Author of the last change.
    pub changed_by: Option<String>,
}

/// The state of a step nobody has touched.
static UNTOUCHED: StepState = StepState {
    status: StepStatus::Todo,
    reason: None,
    owner: None,
    started_at: None,
    done_at: None,
    check_back_acked_at: None,
    changed_at: None,
    changed_by: None,
};

/// What a [`StepChange`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StepAction {
    /// Move to a new status. `reason` is required for skipped and refused otherwise.
    SetStatus {
        /// The new status.
        status: StepStatus,
        /// Why the step is skipped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Give the step an owner, or (with `None`) hand it back to the playbook default.
    Assign {
        /// The new owner.
        owner: Option<String>,
    },
    /// "I looked again": restart the check-back timer of a step in progress.
    AckCheckBack,
}

/// One change to one step: what the journal stores, and what [`apply`] folds.
///
/// Serialises flat, e.g.
/// `{"playbook":"cloud-mail-outage","step":"notify","op":"set_status","status":"done","at":"…","by":"alice"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepChange {
    /// Playbook id.
    pub playbook: String,
    /// Step id within that playbook.
    pub step: String,
    /// What happens.
    #[serde(flatten)]
    pub action: StepAction,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub by: String,
}

impl StepChange {
    pub(super) fn new(
        playbook: &str,
        step: &str,
        action: StepAction,
        at: DateTime<Utc>,
        by: &str,
    ) -> Self {
        StepChange {
            playbook: playbook.to_string(),
            step: step.to_string(),
            action,
            at,
            by: by.to_string(),
        }
    }

    pub(super) fn status(
        playbook: &str,
        step: &str,
        status: StepStatus,
        at: DateTime<Utc>,
        by: &str,
    ) -> Self {
        Self::new(
            playbook,
            step,
            StepAction::SetStatus {
                status,
                reason: None,
            },
            at,
            by,
        )
    }

    /// Start working on a step (todo → doing).
    pub fn start(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::status(playbook, step, StepStatus::Doing, at, by)
    }

    /// Mark a step done.
    pub fn done(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::status(playbook, step, StepStatus::Done, at, by)
    }

    /// Skip a step, saying why.
    pub fn skip(playbook: &str, step: &str, reason: &str, at: DateTime<Utc>, by: &str) -> Self {
        let action = StepAction::SetStatus {
            status: StepStatus::Skipped,
            reason: Some(reason.to_string()),
        };
        Self::new(playbook, step, action, at, by)
    }

    /// Put a step back to todo: reopening a done or skipped step, or stopping one in progress.
    pub fn reopen(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::status(playbook, step, StepStatus::Todo, at, by)
    }

    /// Assign an owner (`Some`) or return the step to its default owner (`None`).
    pub fn assign(
        playbook: &str,
        step: &str,
        owner: Option<&str>,
        at: DateTime<Utc>,
        by: &str,
    ) -> Self {
        let action = StepAction::Assign {
            owner: owner.map(str::to_string),
        };
        Self::new(playbook, step, action, at, by)
    }

    /// Acknowledge the check-back timer of a step in progress.
    pub fn ack_check_back(playbook: &str, step: &str, at: DateTime<Utc>, by: &str) -> Self {
        Self::new(playbook, step, StepAction::AckCheckBack, at, by)
    }

    /// The tick-box key: a complete (done or skipped) step is reopened, anything else is
    /// marked done. Unticking is its own change, so the journal keeps both.
    pub fn toggle_done(
        playbook: &str,
        step: &str,
        current: &StepState,
        at: DateTime<Utc>,
        by: &str,
    ) -> Self {
        if current.status.is_complete() {
            Self::reopen(playbook, step, at, by)
        } else {
            Self::done(playbook, step, at, by)
        }
    }
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The step already has that status.
    #[error("the step is already {0}")]
    Unchanged(StepStatus),
    /// The rules do not allow this jump.
    #[error("a {from} step cannot become {to} directly; reopen it first")]
    NotAllowed {
        /// Current status.
        from: StepStatus,
        /// Requested status.
        to: StepStatus,
    },
    /// Skipping without saying why.
    #[error("skipping needs a reason: say why this step does not apply")]
    ReasonRequired,
    /// A reason given for something other than a skip.
    #[error("a reason is only recorded when skipping")]
    ReasonNotAllowed,
    /// Assigning an empty owner.
    #[error("the owner is empty; give a name or role, or unassign to return to the default")]
    EmptyOwner,
    /// Assigning the owner the step already has.
    #[error("the step already has that owner")]
    OwnerUnchanged,
    /// Acknowledging a check-back on a step nobody is working on.
    #[error("only a step in progress has a check-back timer to acknowledge; start it first")]
    NotInProgress,
    /// Acknowledging a check-back on a step that has none.
    #[error("step {0:?} has no check-back timer")]
    NoCheckBack(String),
    /// The change names a step the playbook does not have.
    #[error("playbook {playbook:?} has no step {step:?}")]
    UnknownStep {
        /// Playbook id.
        playbook: String,
        /// Step id.
        step: String,
    },
}

impl StepState {
    /// The owner to show: the assigned one, else the step's default role.
    pub fn effective_owner<'a>(&'a self, step: &'a Step) -> Option<&'a str> {
        self.owner.as_deref().or(step.owner.as_deref())
    }

    /// The state after `change`, or why the rules refuse it. Does not modify `self`.
    pub fn after(&self, change: &StepChange) -> Result<StepState, TransitionError> {
        let mut next = self.clone();
        match &change.action {
            StepAction::SetStatus { status, reason } => {
                let to = *status;
                if self.status == to {
                    return Err(TransitionError::Unchanged(to));
                }
                if !self.status.can_become(to) {
                    return Err(TransitionError::NotAllowed {
                        from: self.status,
                        to,
                    });
                }
                let reason = reason
                    .as_deref()
                    .map(|r| sanitize_line(r, FIELD_CAP))
                    .filter(|r| !r.is_empty());
                match (to, reason) {
                    (StepStatus::Skipped, None) => return Err(TransitionError::ReasonRequired),
                    (StepStatus::Skipped, Some(reason)) => next.reason = Some(reason),
                    (_, Some(_)) => return Err(TransitionError::ReasonNotAllowed),
                    (_, None) => next.reason = None,
                }
                next.status = to;
                match to {
                    StepStatus::Todo => {
                        next.started_at = None;
                        next.done_at = None;
                        next.check_back_acked_at = None;
                    }
                    StepStatus::Doing => {
                        next.started_at = Some(change.at);
                        next.check_back_acked_at = None;
                    }
                    StepStatus::Done => next.done_at = Some(change.at),
                    StepStatus::Skipped => next.done_at = None,
                }
            }
            StepAction::Assign { owner } => {
                let owner = match owner {
                    Some(owner) => {
                        let owner = sanitize_line(owner, FIELD_CAP);
                        if owner.is_empty() {
                            return Err(TransitionError::EmptyOwner);
                        }
                        Some(owner)
                    }
                    None => None,
                };
                if owner == self.owner {
                    return Err(TransitionError::OwnerUnchanged);
                }
                next.owner = owner;
            }
            StepAction::AckCheckBack => {
                if self.status != StepStatus::Doing {
                    return Err(TransitionError::NotInProgress);
                }
                next.check_back_acked_at = Some(change.at);
            }
        }
        next.changed_at = Some(change.at);
        next.changed_by = Some(sanitize_line(&change.by, FIELD_CAP));
        Ok(next)
    }
}

/// Step states of every playbook used in an incident, by playbook id then step id. Steps
/// never touched are absent and read as todo.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlaybookProgress {
    /// `playbook id → step id → state`.
    pub states: BTreeMap<String, BTreeMap<String, StepState>>,
}

/// Applies `change` to `progress` if the state rules allow it; on refusal nothing changes.
///
/// This checks only the state rules (it does not know the playbook); use
/// [`PlaybookProgress::apply_checked`] when the playbook is at hand.
pub fn apply(progress: &mut PlaybookProgress, change: &StepChange) -> Result<(), TransitionError> {
    let next = progress
        .state(&change.playbook, &change.step)
        .after(change)?;
    progress
        .states
        .entry(change.playbook.clone())
        .or_default()
        .insert(change.step.clone(), next);
    Ok(())
}

/// Counts for a group of steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// All steps in the group.
    pub total: usize,
    /// Not started.
    pub todo: usize,
    /// In progress.
    pub doing: usize,
    /// Done.
    pub done: usize,
    /// Skipped.
    pub skipped: usize,
    /// Required steps that are neither done nor skipped.
    pub required_open: usize,
}

impl Progress {
    fn count(&mut self, step: &Step, status: StepStatus) {
        self.total += 1;
        match status {
            StepStatus::Todo => self.todo += 1,
            StepStatus::Doing => self.doing += 1,
            StepStatus::Done => self.done += 1,
            StepStatus::Skipped => self.skipped += 1,
        }
        if step.required && !status.is_complete() {
            self.required_open += 1;
        }
    }

    fn add(&mut self, other: &Progress) {
        self.total += other.total;
        self.todo += other.todo;
        self.doing += other.doing;
        self.done += other.done;
        self.skipped += other.skipped;
        self.required_open += other.required_open;
    }

    /// Done plus skipped.
    pub fn complete(&self) -> usize {
        self.done + self.skipped
    }

    /// Whole percent complete, rounded down; an empty group is 100.
    pub fn percent(&self) -> u8 {
        if self.total == 0 {
            return 100;
        }
        // complete <= total, so the result is at most 100.
        (self.complete() * 100 / self.total) as u8
    }

    /// Every step complete.
    pub fn is_finished(&self) -> bool {
        self.complete() == self.total
    }
}

/// Progress of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionProgress {
    /// Section title.
    pub title: String,
    /// Its counts.
    pub progress: Progress,
}

/// Progress of a whole playbook: per section, and overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybookSummary {
    /// One entry per section, in playbook order.
    pub sections: Vec<SectionProgress>,
    /// All sections together.
    pub overall: Progress,
}

impl PlaybookProgress {
    /// The state of one step; todo when never touched.
    pub fn state(&self, playbook: &str, step: &str) -> &StepState {
        self.states
            .get(playbook)
            .and_then(|steps| steps.get(step))
            .unwrap_or(&UNTOUCHED)
    }

    /// Checks `change` against `playbook` (the step exists, an acknowledged step has a
    /// check-back timer) and the state rules, then applies it.
    pub fn apply_checked(
        &mut self,
        playbook: &Playbook,
        change: &StepChange,
    ) -> Result<(), TransitionError> {
        let step = playbook
            .step(&change.step)
            .filter(|_| change.playbook == playbook.id)
            .ok_or_else(|| TransitionError::UnknownStep {
                playbook: change.playbook.clone(),
                step: change.step.clone(),
            })?;
        if change.action == StepAction::AckCheckBack && step.check_back.is_none() {
            return Err(TransitionError::NoCheckBack(step.id.clone()));
        }
        apply(self, change)
    }

    /// Time view of one step of `playbook`, or `None` if there is no such step.
    pub fn timing<'a>(
        &'a self,
        playbook: &'a Playbook,
        step: &str,
        incident_start: DateTime<Utc>,
    ) -> Option<StepTiming<'a>> {
        let step = playbook.step(step)?;
        Some(StepTiming {
            step,
            state: self.state(&playbook.id, &step.id),
            incident_start,
        })
    }

    /// Counts per section and overall.
    pub fn summary(&self, playbook: &Playbook) -> PlaybookSummary {
        let mut overall = Progress::default();
        let sections = playbook
            .sections
            .iter()
            .map(|section| {
                let mut progress = Progress::default();
                for step in &section.steps {
                    progress.count(step, self.state(&playbook.id, &step.id).status);
                }
                overall.add(&progress);
                SectionProgress {
                    title: section.title.clone(),
                    progress,
                }
            })
            .collect();
        PlaybookSummary { sections, overall }
    }

    /// Steps past their due time and not complete, in playbook order.
    pub fn overdue<'a>(
        &'a self,
        playbook: &'a Playbook,
        incident_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<&'a Step> {
        self.timings(playbook, incident_start)
            .filter(|timing| timing.is_overdue(now))
            .map(|timing| timing.step)
            .collect()
    }

    /// Steps in progress whose check-back timer has run out, in playbook order.
    pub fn check_backs_expired<'a>(
        &'a self,
        playbook: &'a Playbook,
        incident_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Vec<&'a Step> {
        self.timings(playbook, incident_start)
            .filter(|timing| timing.check_back_expired(now))
            .map(|timing| timing.step)
            .collect()
    }

    fn timings<'a>(
        &'a self,
        playbook: &'a Playbook,
        incident_start: DateTime<Utc>,
    ) -> impl Iterator<Item = StepTiming<'a>> {
        playbook.steps().map(move |(_, step)| StepTiming {
            step,
            state: self.state(&playbook.id, &step.id),
            incident_start,
        })
    }
}

/// A step, its state and the incident start: answers "when" questions against a given `now`.
#[derive(Debug, Clone, Copy)]
pub struct StepTiming<'a> {
    /// The step definition.
    pub step: &'a Step,
    /// Its current state.
    pub state: &'a StepState,
    /// When the incident started.
    pub incident_start: DateTime<Utc>,
}

impl StepTiming<'_> {
    /// Wall-clock due time: incident start + `due`.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        self.step.due_at(self.incident_start)
    }

    /// Time left until due; negative once past. `None` without a due time.
    pub fn countdown(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.due_at().map(|due| due - now)
    }

    /// Not done or skipped, and strictly past its due time.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        !self.state.status.is_complete() && self.due_at().is_some_and(|due| now > due)
    }

    /// When the check-back timer rings: the later of start and last acknowledgement, plus the
    /// step's `check_back`. Only for a step in progress that has a check-back.
    pub fn check_back_at(&self) -> Option<DateTime<Utc>> {
        if self.state.status != StepStatus::Doing {
            return None;
        }
        let every = self.step.check_back?;
        let from = match (self.state.started_at, self.state.check_back_acked_at) {
            (Some(started), Some(acked)) => started.max(acked),
            (started, acked) => started.or(acked)?,
        };
        Some(from + every)
    }

    /// Time left on the check-back timer; negative once it has rung. `None` when no timer runs.
    pub fn check_back_remaining(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.check_back_at().map(|at| at - now)
    }

    /// The check-back timer has rung (now at or past it) and not been acknowledged since.
    pub fn check_back_expired(&self, now: DateTime<Utc>) -> bool {
        self.check_back_at().is_some_and(|at| now >= at)
    }
}

/// The timeline line for a change to `step`, given the state before it:
/// `done: Notify stakeholders`, `skipped: X (reason: …)`, `reopened: X`, `doing: X`,
/// `owner: X → alice`.
pub fn timeline_text(step: &Step, before: &StepState, change: &StepChange) -> String {
    let title = &step.title;
    match &change.action {
        StepAction::SetStatus { status, reason } => match status {
            StepStatus::Doing => format!("doing: {title}"),
            StepStatus::Done => format!("done: {title}"),
            StepStatus::Skipped => match reason.as_deref().map(|r| sanitize_line(r, FIELD_CAP)) {
                Some(reason) if !reason.is_empty() => {
                    format!("skipped: {title} (reason: {reason})")
                }
                _ => format!("skipped: {title}"),
            },
            StepStatus::Todo if before.status == StepStatus::Doing => {
                format!("back to todo: {title}")
            }
            StepStatus::Todo => format!("reopened: {title}"),
        },
        StepAction::Assign { owner } => match owner.as_deref().map(|o| sanitize_line(o, FIELD_CAP))
        {
            Some(owner) => format!("owner: {title} → {owner}"),
            None => match &step.owner {
                Some(default) => format!("owner: {title} → {default} (default)"),
                None => format!("owner: {title} → unassigned"),
            },
        },
        StepAction::AckCheckBack => format!("checked back: {title}"),
    }
}
