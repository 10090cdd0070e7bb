//! `:review` in the console, through `update()`: the review goes out to the loop as the
//! suspend-and-edit effect, and what the editor gives back is saved as a `review_saved` event,
//! or said to be unchanged, also on a closed incident.

use crate::common;

use common::*;
use crossterm::event::KeyCode;
use warroom::domain::event::EventBody;
use warroom::tui::app::{Action, AppState, Effect, Mode, update};

fn command(a: &mut AppState, line: &str) -> Vec<Effect> {
    key(a, KeyCode::Char(':'));
    typed(a, line);
    key(a, KeyCode::Enter)
}

/// The review text the `:review` effect carries.
fn edit_effect(fx: &[Effect]) -> (String, String) {
    fx.iter()
        .find_map(|f| match f {
            Effect::EditReview { template, text, .. } => Some((template.clone(), text.clone())),
            _ => None,
        })
        .expect("no EditReview effect")
}

/// The error the command line shows.
fn input_error(a: &AppState) -> String {
    match &a.mode {
        Mode::Input(i) => i.error.clone().unwrap_or_default(),
        _ => panic!("the command line closed"),
    }
}

fn closed_app() -> AppState {
    let mut inc = empty_incident();
    inc.apply(&ev(
        50,
        mins(-1),
        "alice",
        EventBody::Closed {
            summary: "MX rolled back".into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: vec![],
            override_reason: None,
        },
    ));
    app(inc)
}

#[test]
fn review_suspends_for_the_editor_and_saves_what_changed() {
    let mut a = closed_app();
    // Other changes are refused on a closed incident; the review is not.
    command(&mut a, "title New");
    assert!(input_error(&a).contains("read-only"));
    key(&mut a, KeyCode::Esc);
    let fx = command(&mut a, "review");
    let (template, text) = edit_effect(&fx);
    assert_eq!(template, "default");
    assert!(text.contains("## Summary\n\nMX rolled back"), "{text}");
    assert!(
        text.contains("## What went well\n\nNot written yet."),
        "{text}"
    );
    // Nothing is appended before the editor is done.
    assert!(appends(&fx).is_empty());

    // Unchanged: nothing written, and said.
    let fx = update(
        &mut a,
        Action::ReviewEdited {
            template: template.clone(),
            before: text.clone(),
            result: Ok(text.clone()),
        },
    );
    assert!(appends(&fx).is_empty());
    assert!(a.flash.clone().unwrap().text.contains("unchanged"));

    // Edited: one review_saved event, by this console's author.
    let after = text.replace(
        "## What went well\n\nNot written yet.",
        "## What went well\n\nThe runbook was right.",
    );
    let fx = update(
        &mut a,
        Action::ReviewEdited {
            template,
            before: text,
            result: Ok(after),
        },
    );
    let evs = ack(&mut a, fx);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].by, "carol");
    let EventBody::ReviewSaved { sections, .. } = &evs[0].body else {
        panic!("{:?}", evs[0].body)
    };
    assert_eq!(sections.len(), 9);
    assert_eq!(a.incident.reviews.len(), 1);
    assert_eq!(
        a.incident.reviews[0].section("what went well"),
        Some("The runbook was right.")
    );
    assert!(a.flash.clone().unwrap().text.contains("review saved"));
    // The next :review starts from what was saved.
    let (_, text) = edit_effect(&command(&mut a, "review"));
    assert!(text.contains("The runbook was right."), "{text}");
}

#[test]
fn a_failed_editor_or_an_unknown_template_saves_nothing_and_says_why() {
    let mut a = app(empty_incident());
    let fx = update(
        &mut a,
        Action::ReviewEdited {
            template: "default".into(),
            before: "## A\n".into(),
            result: Err("the editor \"vi\" exited with exit status: 1: nothing was saved; the text is kept in /tmp/x.md".into()),
        },
    );
    assert!(appends(&fx).is_empty());
    let f = a.flash.clone().unwrap();
    assert!(
        f.error && f.text.contains("kept in /tmp/x.md"),
        "{}",
        f.text
    );
    let fx = command(&mut a, "review nope");
    assert!(fx.iter().all(|f| !matches!(f, Effect::EditReview { .. })));
    let e = input_error(&a);
    assert!(e.contains("known ones are default"), "{e}");
}
