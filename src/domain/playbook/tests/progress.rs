//! Step states, timing, progress and the timeline text of step changes.

use super::*;

const ALL: [StepStatus; 4] = [
    StepStatus::Todo,
    StepStatus::Doing,
    StepStatus::Done,
    StepStatus::Skipped,
];

fn state_in(status: StepStatus) -> StepState {
    let mut state = StepState::default();
    let path: &[StepChange] = match status {
        StepStatus::Todo => &[],
        StepStatus::Doing => &[StepChange::start("small", "confirm", t(10, 0, 0), "ann")],
        StepStatus::Done => &[StepChange::done("small", "confirm", t(10, 0, 0), "ann")],
        StepStatus::Skipped => &[StepChange::skip(
            "small",
            "confirm",
            "n/a",
            t(10, 0, 0),
            "ann",
        )],
    };
    for change in path {
        state = state.after(change).unwrap();
    }
    assert_eq!(state.status, status);
    state
}

fn to(status: StepStatus) -> StepChange {
    match status {
        StepStatus::Skipped => {
            StepChange::skip("small", "confirm", "not needed", t(11, 0, 0), "bob")
        }
        _ => StepChange::status("small", "confirm", status, t(11, 0, 0), "bob"),
    }
}

#[test]
fn transition_table_is_exactly_the_documented_one() {
    use StepStatus::*;
    let allowed = [
        (Todo, Doing),
        (Todo, Done),
        (Todo, Skipped),
        (Doing, Todo),
        (Doing, Done),
        (Doing, Skipped),
        (Done, Todo),
        (Skipped, Todo),
    ];
    for from in ALL {
        for target in ALL {
            let result = state_in(from).after(&to(target));
            if allowed.contains(&(from, target)) {
                let next = result.unwrap_or_else(|e| panic!("{from} -> {target}: {e}"));
                assert_eq!(next.status, target);
                assert_eq!(next.changed_at, Some(t(11, 0, 0)));
                assert_eq!(next.changed_by.as_deref(), Some("bob"));
            } else if from == target {
                assert_eq!(result, Err(TransitionError::Unchanged(target)));
            } else {
                assert_eq!(
                    result,
                    Err(TransitionError::NotAllowed { from, to: target })
                );
            }
        }
    }
}

#[test]
fn doing_sets_started_at_and_done_sets_done_at() {
    let doing = state_in(StepStatus::Todo)
        .after(&to(StepStatus::Doing))
        .unwrap();
    assert_eq!(doing.started_at, Some(t(11, 0, 0)));
    assert_eq!(doing.done_at, None);
    let done = doing
        .after(&StepChange::done("small", "confirm", t(11, 20, 0), "bob"))
        .unwrap();
    assert_eq!(done.started_at, Some(t(11, 0, 0)));
    assert_eq!(done.done_at, Some(t(11, 20, 0)));
}

#[test]
fn reopening_clears_completion_but_keeps_owner() {
    let mut state = state_in(StepStatus::Done);
    state.owner = Some("alice".into());
    let reopened = state.after(&to(StepStatus::Todo)).unwrap();
    assert_eq!(reopened.status, StepStatus::Todo);
    assert_eq!(reopened.done_at, None);
    assert_eq!(reopened.started_at, None);
    assert_eq!(reopened.owner.as_deref(), Some("alice"));

    let reopened = state_in(StepStatus::Skipped)
        .after(&to(StepStatus::Todo))
        .unwrap();
    assert_eq!(reopened.reason, None);
}

#[test]
fn skipping_needs_a_reason_and_only_skipping_takes_one() {
    let todo = StepState::default();
    for reason in [None, Some(""), Some("   "), Some("\u{1b}[0m")] {
        let change = StepChange::new(
            "small",
            "confirm",
            StepAction::SetStatus {
                status: StepStatus::Skipped,
                reason: reason.map(str::to_string),
            },
            t(11, 0, 0),
            "bob",
        );
        assert_eq!(
            todo.after(&change),
            Err(TransitionError::ReasonRequired),
            "{reason:?}"
        );
    }
    let skipped = todo.after(&to(StepStatus::Skipped)).unwrap();
    assert_eq!(skipped.reason.as_deref(), Some("not needed"));
    assert_eq!(skipped.done_at, None);

    let with_reason = StepChange::new(
        "small",
        "confirm",
        StepAction::SetStatus {
            status: StepStatus::Done,
            reason: Some("because".into()),
        },
        t(11, 0, 0),
        "bob",
    );
    assert_eq!(
        todo.after(&with_reason),
        Err(TransitionError::ReasonNotAllowed)
    );
}

#[test]
fn assigning_owners() {
    let todo = StepState::default();
    let at = t(11, 0, 0);
    let assigned = todo
        .after(&StepChange::assign(
            "small",
            "confirm",
            Some(" alice "),
            at,
            "bob",
        ))
        .unwrap();
    assert_eq!(assigned.owner.as_deref(), Some("alice"));
    assert_eq!(assigned.status, StepStatus::Todo);
    assert_eq!(
        assigned.after(&StepChange::assign(
            "small",
            "confirm",
            Some("alice"),
            at,
            "bob"
        )),
        Err(TransitionError::OwnerUnchanged)
    );
    assert_eq!(
        todo.after(&StepChange::assign(
            "small",
            "confirm",
            Some("  "),
            at,
            "bob"
        )),
        Err(TransitionError::EmptyOwner)
    );
    assert_eq!(
        todo.after(&StepChange::assign("small", "confirm", None, at, "bob")),
        Err(TransitionError::OwnerUnchanged)
    );
    let cleared = assigned
        .after(&StepChange::assign("small", "confirm", None, at, "bob"))
        .unwrap();
    assert_eq!(cleared.owner, None);
    // Owners can change on completed steps too.
    assert!(
        state_in(StepStatus::Done)
            .after(&StepChange::assign(
                "small",
                "confirm",
                Some("carol"),
                at,
                "bob"
            ))
            .is_ok()
    );
    let pb = small();
    let step = pb.step("confirm").unwrap();
    assert_eq!(todo.effective_owner(step), Some("commander"));
    assert_eq!(assigned.effective_owner(step), Some("alice"));
}

#[test]
fn ack_only_on_a_step_in_progress() {
    let ack = StepChange::ack_check_back("small", "confirm", t(11, 0, 0), "bob");
    for status in [StepStatus::Todo, StepStatus::Done, StepStatus::Skipped] {
        assert_eq!(
            state_in(status).after(&ack),
            Err(TransitionError::NotInProgress)
        );
    }
    let acked = state_in(StepStatus::Doing).after(&ack).unwrap();
    assert_eq!(acked.check_back_acked_at, Some(t(11, 0, 0)));
    assert_eq!(acked.status, StepStatus::Doing);
}

#[test]
fn toggle_done_ticks_and_unticks() {
    let at = t(11, 0, 0);
    for (status, expected) in [
        (StepStatus::Todo, StepStatus::Done),
        (StepStatus::Doing, StepStatus::Done),
        (StepStatus::Done, StepStatus::Todo),
        (StepStatus::Skipped, StepStatus::Todo),
    ] {
        let state = state_in(status);
        let change = StepChange::toggle_done("small", "confirm", &state, at, "bob");
        assert_eq!(
            change.action,
            StepAction::SetStatus {
                status: expected,
                reason: None
            }
        );
        assert_eq!(state.after(&change).unwrap().status, expected);
    }
}

#[test]
fn apply_records_per_playbook_and_refusals_change_nothing() {
    let mut progress = PlaybookProgress::default();
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 0, 0), "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::done("other", "confirm", t(10, 1, 0), "ann"),
    )
    .unwrap();
    assert_eq!(progress.state("small", "confirm").status, StepStatus::Doing);
    assert_eq!(progress.state("other", "confirm").status, StepStatus::Done);
    assert_eq!(progress.state("small", "trace"), &StepState::default());

    let before = progress.clone();
    let err = apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 2, 0), "ann"),
    );
    assert_eq!(err, Err(TransitionError::Unchanged(StepStatus::Doing)));
    assert_eq!(progress, before);
}

#[test]
fn apply_checked_knows_the_playbook() {
    let pb = small();
    let mut progress = PlaybookProgress::default();
    let at = t(10, 0, 0);
    assert_eq!(
        progress.apply_checked(&pb, &StepChange::done("small", "ghost", at, "ann")),
        Err(TransitionError::UnknownStep {
            playbook: "small".into(),
            step: "ghost".into()
        })
    );
    assert!(matches!(
        progress.apply_checked(&pb, &StepChange::done("other", "confirm", at, "ann")),
        Err(TransitionError::UnknownStep { .. })
    ));
    progress
        .apply_checked(&pb, &StepChange::start("small", "trace", at, "ann"))
        .unwrap();
    assert_eq!(
        progress.apply_checked(
            &pb,
            &StepChange::ack_check_back("small", "trace", at, "ann")
        ),
        Err(TransitionError::NoCheckBack("trace".into()))
    );
    progress
        .apply_checked(&pb, &StepChange::start("small", "confirm", at, "ann"))
        .unwrap();
    progress
        .apply_checked(
            &pb,
            &StepChange::ack_check_back("small", "confirm", at, "ann"),
        )
        .unwrap();
    assert_eq!(
        progress.state("small", "confirm").check_back_acked_at,
        Some(at)
    );
}

#[test]
fn step_change_serialises_flat_and_round_trips() {
    let change = StepChange::skip(
        "cloud-mail-outage",
        "notify",
        "done by phone",
        t(10, 0, 0),
        "ann",
    );
    let json = serde_json::to_value(&change).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "playbook": "cloud-mail-outage",
            "step": "notify",
            "op": "set_status",
            "status": "skipped",
            "reason": "done by phone",
            "at": "2026-03-04T10:00:00Z",
            "by": "ann",
        })
    );
    let back: StepChange = serde_json::from_value(json).unwrap();
    assert_eq!(back, change);
    for change in [
        StepChange::assign("p", "s", Some("alice"), t(10, 0, 0), "ann"),
        StepChange::assign("p", "s", None, t(10, 0, 0), "ann"),
        StepChange::ack_check_back("p", "s", t(10, 0, 0), "ann"),
        StepChange::done("p", "s", t(10, 0, 0), "ann"),
    ] {
        let text = serde_json::to_string(&change).unwrap();
        assert_eq!(
            serde_json::from_str::<StepChange>(&text).unwrap(),
            change,
            "{text}"
        );
    }
}

// --- timing --------------------------------------------------------------------------

#[test]
fn due_countdown_and_overdue_with_a_fixed_clock() {
    let pb = small();
    let start = t(10, 0, 0);
    let mut progress = PlaybookProgress::default();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.due_at(), Some(t(10, 10, 0)));
    assert_eq!(timing.countdown(t(10, 3, 0)), Some(mins(7)));
    assert_eq!(timing.countdown(t(10, 12, 0)), Some(mins(-2)));
    assert!(!timing.is_overdue(t(10, 9, 59)));
    assert!(
        !timing.is_overdue(t(10, 10, 0)),
        "due at exactly now is not late yet"
    );
    assert!(timing.is_overdue(t(10, 10, 1)));

    let review = progress.timing(&pb, "review", start).unwrap();
    assert_eq!(review.due_at(), None);
    assert_eq!(review.countdown(t(23, 0, 0)), None);
    assert!(!review.is_overdue(t(23, 0, 0)));
    assert!(progress.timing(&pb, "ghost", start).is_none());

    assert_eq!(
        progress
            .overdue(&pb, start, t(10, 30, 0))
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["confirm"]
    );
    assert_eq!(progress.overdue(&pb, start, t(12, 0, 0)).len(), 2);

    // Doing is still overdue; done and skipped are not.
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 5, 0), "ann"),
    )
    .unwrap();
    assert!(
        progress
            .timing(&pb, "confirm", start)
            .unwrap()
            .is_overdue(t(10, 30, 0))
    );
    apply(
        &mut progress,
        &StepChange::done("small", "confirm", t(10, 20, 0), "ann"),
    )
    .unwrap();
    assert!(
        !progress
            .timing(&pb, "confirm", start)
            .unwrap()
            .is_overdue(t(10, 30, 0))
    );
    apply(
        &mut progress,
        &StepChange::skip("small", "trace", "no access", t(10, 20, 0), "ann"),
    )
    .unwrap();
    assert!(progress.overdue(&pb, start, t(12, 0, 0)).is_empty());
}

#[test]
fn check_back_counts_from_start_then_from_the_last_ack() {
    let pb = small();
    let start = t(10, 0, 0);
    let mut progress = PlaybookProgress::default();
    let idle = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(
        idle.check_back_remaining(t(10, 0, 0)),
        None,
        "todo has no timer"
    );
    assert!(!idle.check_back_expired(t(11, 0, 0)));

    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 2, 0), "ann"),
    )
    .unwrap();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.check_back_at(), Some(t(10, 7, 0)));
    assert_eq!(timing.check_back_remaining(t(10, 4, 0)), Some(mins(3)));
    assert!(!timing.check_back_expired(t(10, 6, 59)));
    assert!(timing.check_back_expired(t(10, 7, 0)));
    assert_eq!(timing.check_back_remaining(t(10, 9, 0)), Some(mins(-2)));
    assert_eq!(
        progress
            .check_backs_expired(&pb, start, t(10, 8, 0))
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["confirm"]
    );

    apply(
        &mut progress,
        &StepChange::ack_check_back("small", "confirm", t(10, 8, 0), "ann"),
    )
    .unwrap();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.check_back_at(), Some(t(10, 13, 0)));
    assert!(!timing.check_back_expired(t(10, 9, 0)));
    assert!(
        progress
            .check_backs_expired(&pb, start, t(10, 9, 0))
            .is_empty()
    );

    // A step without a check-back never has a timer, even in progress.
    apply(
        &mut progress,
        &StepChange::start("small", "trace", t(10, 2, 0), "ann"),
    )
    .unwrap();
    let trace = progress.timing(&pb, "trace", start).unwrap();
    assert_eq!(trace.check_back_remaining(t(10, 30, 0)), None);

    // Done stops the timer; starting again restarts it from the new start, not the old ack.
    apply(
        &mut progress,
        &StepChange::done("small", "confirm", t(10, 10, 0), "ann"),
    )
    .unwrap();
    assert_eq!(
        progress
            .timing(&pb, "confirm", start)
            .unwrap()
            .check_back_at(),
        None
    );
    apply(
        &mut progress,
        &StepChange::reopen("small", "confirm", t(10, 11, 0), "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", t(10, 20, 0), "ann"),
    )
    .unwrap();
    let timing = progress.timing(&pb, "confirm", start).unwrap();
    assert_eq!(timing.check_back_at(), Some(t(10, 25, 0)));
}

// --- progress ------------------------------------------------------------------------

#[test]
fn progress_counts_per_section_and_overall() {
    let pb = small();
    let mut progress = PlaybookProgress::default();
    let summary = progress.summary(&pb);
    assert_eq!(summary.sections.len(), 2);
    assert_eq!(summary.sections[0].title, "Triage");
    assert_eq!(
        summary.overall,
        Progress {
            total: 3,
            todo: 3,
            doing: 0,
            done: 0,
            skipped: 0,
            required_open: 2
        }
    );
    assert_eq!(summary.overall.percent(), 0);
    assert!(!summary.overall.is_finished());

    let at = t(10, 0, 0);
    apply(
        &mut progress,
        &StepChange::start("small", "confirm", at, "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::skip("small", "trace", "no access", at, "ann"),
    )
    .unwrap();
    apply(
        &mut progress,
        &StepChange::done("small", "review", at, "ann"),
    )
    .unwrap();
    // Progress of a different playbook must not leak in.
    apply(
        &mut progress,
        &StepChange::done("other", "confirm", at, "ann"),
    )
    .unwrap();
    let summary = progress.summary(&pb);
    assert_eq!(
        summary.sections[0].progress,
        Progress {
            total: 2,
            todo: 0,
            doing: 1,
            done: 0,
            skipped: 1,
            required_open: 1
        }
    );
    assert_eq!(summary.sections[0].progress.percent(), 50);
    assert_eq!(summary.sections[1].progress.complete(), 1);
    assert!(summary.sections[1].progress.is_finished());
    assert_eq!(summary.overall.complete(), 2);
    assert_eq!(summary.overall.required_open, 1);
    assert_eq!(summary.overall.percent(), 66);

    apply(
        &mut progress,
        &StepChange::done("small", "confirm", at, "ann"),
    )
    .unwrap();
    let summary = progress.summary(&pb);
    assert_eq!(summary.overall.required_open, 0);
    assert_eq!(summary.overall.percent(), 100);
    assert!(summary.overall.is_finished());
    assert_eq!(Progress::default().percent(), 100);
}

// --- timeline ------------------------------------------------------------------------

#[test]
fn timeline_text_for_each_change() {
    let pb = small();
    let step = pb.step("confirm").unwrap();
    let trace = pb.step("trace").unwrap();
    let at = t(10, 0, 0);
    let todo = StepState::default();
    let text = |step: &Step, before: StepStatus, change: StepChange| {
        timeline_text(step, &state_in(before), &change)
    };
    assert_eq!(
        text(
            step,
            StepStatus::Todo,
            StepChange::done("small", "confirm", at, "a")
        ),
        "done: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Todo,
            StepChange::start("small", "confirm", at, "a")
        ),
        "doing: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Todo,
            StepChange::skip("small", "confirm", "done by phone", at, "a")
        ),
        "skipped: Confirm (reason: done by phone)"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Done,
            StepChange::reopen("small", "confirm", at, "a")
        ),
        "reopened: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Skipped,
            StepChange::reopen("small", "confirm", at, "a")
        ),
        "reopened: Confirm"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Doing,
            StepChange::reopen("small", "confirm", at, "a")
        ),
        "back to todo: Confirm"
    );
    assert_eq!(
        timeline_text(
            step,
            &todo,
            &StepChange::assign("small", "confirm", Some("alice"), at, "a")
        ),
        "owner: Confirm → alice"
    );
    assert_eq!(
        timeline_text(
            step,
            &todo,
            &StepChange::assign("small", "confirm", None, at, "a")
        ),
        "owner: Confirm → commander (default)"
    );
    assert_eq!(
        timeline_text(
            trace,
            &todo,
            &StepChange::assign("small", "trace", None, at, "a")
        ),
        "owner: Trace → unassigned"
    );
    assert_eq!(
        text(
            step,
            StepStatus::Doing,
            StepChange::ack_check_back("small", "confirm", at, "a")
        ),
        "checked back: Confirm"
    );
}
