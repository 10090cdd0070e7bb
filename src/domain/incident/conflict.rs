//! The wording of the notices the fold derives when a change loses a conflict: two consoles
//! changed the same thing while apart, and in fold order (see `order.rs`) the later change is
//! one the state refuses. The earlier one stands; the later one is shown, never dropped.
//!
//! ```text
//! Conflict: alice's skip of step "Notify stakeholders" (14:02:10 UTC) came after bob ticked it (14:02:07 UTC); the tick stands
//! ```

use chrono::{DateTime, Utc};

use crate::domain::close_record::Closing;
use crate::domain::event::{Event, EventBody};
use crate::domain::playbook::{
    Step, StepAction, StepChange, StepState, StepStatus, TransitionError,
};
use crate::domain::text::{FIELD_CAP, sanitize_line};

/// `about` of a notice entry (then `/` and what it is about: `playbook/step`, `close`).
pub const ABOUT_CONFLICT: &str = "conflict";

/// The refusals that come from the state (another change got there first), as opposed to a
/// malformed change (no reason for a skip, a step that does not exist), which is only counted.
pub(super) fn is_conflict(e: &TransitionError) -> bool {
    matches!(
        e,
        TransitionError::Unchanged(_)
            | TransitionError::NotAllowed { .. }
            | TransitionError::OwnerUnchanged
            | TransitionError::NotInProgress
    )
}

fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S UTC").to_string()
}

fn name(by: &str) -> String {
    let n = sanitize_line(by, 64);
    if n.is_empty() { "someone".into() } else { n }
}

/// What a change to a step was, as a noun: `tick`, `skip`, `reopening`, …
fn change_noun(change: &StepChange) -> String {
    match &change.action {
        StepAction::SetStatus { status, .. } => match status {
            StepStatus::Done => "tick".into(),
            StepStatus::Skipped => "skip".into(),
            StepStatus::Doing => "start".into(),
            StepStatus::Todo => "reopening".into(),
        },
        StepAction::Assign { owner: Some(o) } => {
            format!("assignment to {}", sanitize_line(o, FIELD_CAP))
        }
        StepAction::Assign { owner: None } => "unassignment".into(),
        StepAction::AckCheckBack => "check-back".into(),
    }
}

/// What the step's state says happened last: (`ticked`, `tick`), …
fn state_words(status: StepStatus) -> (&'static str, &'static str) {
    match status {
        StepStatus::Done => ("ticked", "tick"),
        StepStatus::Skipped => ("skipped", "skip"),
        StepStatus::Doing => ("started", "start"),
        StepStatus::Todo => ("reopened", "reopening"),
    }
}

/// A step change the state refused.
pub(super) fn step(
    step: &Step,
    before: &StepState,
    change: &StepChange,
    _why: &TransitionError,
) -> String {
    let loser = format!(
        "Conflict: {}'s {} of step \"{}\" ({})",
        name(&change.by),
        change_noun(change),
        sanitize_line(&step.title, FIELD_CAP),
        clock(change.at)
    );
    if let StepAction::Assign { .. } = change.action {
        let owner = before
            .owner
            .as_deref()
            .map(|o| sanitize_line(o, FIELD_CAP))
            .unwrap_or_else(|| "its default owner".into());
        return match (&before.changed_by, before.changed_at) {
            (Some(by), Some(at)) => format!(
                "{loser} came after {} changed it ({}); it stays with {owner}",
                name(by),
                clock(at)
            ),
            _ => format!("{loser} changed nothing; it stays with {owner}"),
        };
    }
    match (&before.changed_by, before.changed_at) {
        (Some(by), Some(at)) => {
            let (did, noun) = state_words(before.status);
            format!(
                "{loser} came after {} {did} it ({}); the {noun} stands",
                name(by),
                clock(at)
            )
        }
        _ => format!(
            "{loser} did not apply: the step is still {}; nothing changed",
            before.status
        ),
    }
}

/// A close of an incident already closed: the first close stands; the later one's summary is
/// kept in the notice.
pub(super) fn second_close(first: &Closing, ev: &Event, summary: &str) -> String {
    let mut text = format!(
        "Conflict: {}'s close ({}) came after {} closed the incident ({}); the first close stands",
        name(&ev.by),
        clock(ev.at),
        name(&first.by),
        clock(first.at)
    );
    let summary = sanitize_line(summary, FIELD_CAP);
    if !summary.is_empty() {
        text.push_str(&format!(" ({}'s summary: {summary})", name(&ev.by)));
    }
    text
}

/// A change made (on another console, while apart) after the incident was closed: not applied,
/// shown with what it would have done. `text` is the change's own timeline text, if it has one.
pub(super) fn after_close(closing: &Closing, ev: &Event, text: &str) -> String {
    let what = match &ev.body {
        EventBody::TitleSet { .. } => "title change",
        EventBody::SeveritySet { .. } => "severity change",
        EventBody::StatusSet { .. } => "status change",
        EventBody::RoleSet { .. } => "role change",
        EventBody::Handoff { .. } => "handoff",
        EventBody::EntryAdded { .. } => "entry",
        EventBody::EntryEdited { .. } => "edit of an entry",
        EventBody::EntryDeleted { .. } => "deletion of an entry",
        EventBody::EntryRestored { .. } => "restore of an entry",
        EventBody::EntryPinned { .. } => "pin of an entry",
        EventBody::EntryMarked { .. } => "marking of an entry",
        EventBody::PlaybookAttached { .. } => "playbook attachment",
        EventBody::StepChanged { .. } => "step change",
        EventBody::KeyTimeSet { .. } => "key time",
        _ => "change",
    };
    let mut out = format!(
        "Conflict: {}'s {what} ({}) came after {} closed the incident ({}); not applied",
        name(&ev.by),
        clock(ev.at),
        name(&closing.by),
        clock(closing.at)
    );
    let text = match &ev.body {
        EventBody::EntryAdded { text: own, .. } if text.is_empty() => own.as_str(),
        _ => text,
    };
    let text = sanitize_line(text, FIELD_CAP);
    if !text.is_empty() {
        out.push_str(&format!(": {text}"));
    }
    out
}

/// A reopen of an incident that is open.
pub(super) fn reopen_while_open(
    last: Option<&(DateTime<Utc>, String)>,
    ev: &Event,
    reason: &Option<String>,
) -> String {
    let mut text = format!(
        "Conflict: {}'s reopen ({}) came while the incident was open",
        name(&ev.by),
        clock(ev.at)
    );
    match last {
        Some((at, by)) => text.push_str(&format!(
            " ({} had reopened it at {}); nothing to reopen",
            name(by),
            clock(*at)
        )),
        None => text.push_str("; nothing to reopen"),
    }
    if let Some(r) = reason.as_deref().map(|r| sanitize_line(r, FIELD_CAP))
        && !r.is_empty()
    {
        text.push_str(&format!(" (reason given: {r})"));
    }
    text
}
