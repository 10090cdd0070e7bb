//! Shared test helpers: a fixed clock and incidents built from events.
#![allow(dead_code)]

pub mod graph;
mod health;
pub mod prop;
pub use health::*;
mod updates;
#[allow(unused_imports)]
pub use updates::*;
mod statuspage;
#[allow(unused_imports)]
pub use statuspage::*;
mod trackers;
#[allow(unused_imports)]
pub use trackers::*;

use chrono::{DateTime, Duration, TimeZone, Utc};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity, Status};
use warroom::domain::time::Zone;
use warroom::tui::app::AppState;

/// 2026-11-30 14:03:00 UTC, the tests' "now".
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 14, 3, 0).unwrap()
}

pub fn mins(m: i64) -> DateTime<Utc> {
    now() + Duration::minutes(m)
}

/// A deterministic event (ids from a counter so snapshots are stable).
pub fn ev(n: u128, at: DateTime<Utc>, by: &str, body: EventBody) -> Event {
    Event {
        v: 1,
        id: uuid::Uuid::from_u128(n),
        at,
        by: by.into(),
        body,
    }
}

pub fn opening(at: DateTime<Utc>) -> Event {
    ev(
        1,
        at,
        "alice",
        EventBody::IncidentOpened {
            incident: "20261130-1330-exo-mail-delayed".into(),
            title: "Exchange Online: inbound mail delayed".into(),
            severity: Severity::Sev2,
            status: Status::Investigating,
            started_at: None,
            drill: false,
        },
    )
}

pub fn note(
    n: u128,
    logged: DateTime<Utc>,
    occurred: DateTime<Utc>,
    kind: EntryKind,
    text: &str,
) -> Event {
    ev(
        n,
        logged,
        "bob",
        EventBody::EntryAdded {
            occurred_at: occurred,
            kind,
            text: text.into(),
            step: None,
        },
    )
}

/// An incident opened 33 minutes before `now()` with no entries.
pub fn empty_incident() -> Incident {
    Incident::from_events(&[opening(mins(-33))]).unwrap()
}

/// A console on `inc` at 120x40, UTC, fixed clock.
pub fn app(inc: Incident) -> AppState {
    let mut a = AppState::new(inc, "carol".into(), Zone::UTC, now());
    warroom::tui::app::update(
        &mut a,
        warroom::tui::app::Action::Resize {
            width: 120,
            height: 40,
        },
    );
    a
}

/// The built-in cloud-mail playbook's attach event.
pub fn attach_cloud_mail(n: u128, at: DateTime<Utc>) -> Event {
    let (id, text) = warroom::domain::playbook::BUILTIN_PLAYBOOKS
        .iter()
        .find(|(id, _)| *id == "cloud-mail-outage")
        .unwrap();
    ev(
        n,
        at,
        "alice",
        EventBody::PlaybookAttached {
            playbook: id.to_string(),
            source: text.to_string(),
        },
    )
}

/// The catalog of built-ins, as the console gets it.
pub fn builtin_catalog() -> Vec<(warroom::domain::playbook::Playbook, String)> {
    warroom::config::PlaybookCatalog::load(std::path::Path::new("/nonexistent")).playbooks
}

/// The events among some effects.
pub fn appends(fx: &[warroom::tui::app::Effect]) -> Vec<Event> {
    fx.iter()
        .filter_map(|f| match f {
            warroom::tui::app::Effect::Append(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// Plays the journal's part: every appended event comes back as read. Returns them.
pub fn ack(app: &mut AppState, fx: Vec<warroom::tui::app::Effect>) -> Vec<Event> {
    let events = appends(&fx);
    warroom::tui::app::update(
        app,
        warroom::tui::app::Action::Journal {
            events: events.clone(),
            warnings: vec![],
        },
    );
    events
}

/// Presses a key with modifiers, through the keymap, as the event loop does.
pub fn key_mod(
    app: &mut AppState,
    code: crossterm::event::KeyCode,
    mods: crossterm::event::KeyModifiers,
) -> Vec<warroom::tui::app::Effect> {
    let ev = crossterm::event::KeyEvent::new(code, mods);
    match warroom::tui::app::key_to_action(app, ev) {
        Some(a) => warroom::tui::app::update(app, a),
        None => Vec::new(),
    }
}

/// Presses a key.
pub fn key(app: &mut AppState, code: crossterm::event::KeyCode) -> Vec<warroom::tui::app::Effect> {
    key_mod(app, code, crossterm::event::KeyModifiers::NONE)
}

/// Types text, a key a character.
pub fn typed(app: &mut AppState, s: &str) {
    for c in s.chars() {
        key(app, crossterm::event::KeyCode::Char(c));
    }
}

/// The name the test harness knows a test by, for tests that run their own binary again with
/// `--exact` (a child that is killed or made to fail): the module path without the crate's name,
/// then the test's name (`journal_crash::crash_child` in the one integration-test binary).
pub fn harness_name(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_, inner)) => format!("{inner}::{test}"),
        None => test.to_string(),
    }
}

/// A trace row for message `key` to `rcpt`, received `min` minutes from [`now`], with the reply
/// its status would have and a deferral at each of `deferrals` (minutes from [`now`]).
pub fn trace_row(
    key: &str,
    rcpt: &str,
    status: warroom::domain::trace::TraceStatus,
    min: i64,
    deferrals: &[i64],
) -> warroom::domain::trace::TraceRow {
    use warroom::domain::trace::{TraceRow, TraceStatus};
    TraceRow {
        received: mins(min),
        sender: "alerts@fabrikam.com".into(),
        recipient: rcpt.into(),
        subject: "Nightly batch report".into(),
        status,
        reply: match status {
            TraceStatus::Pending => "451 4.7.500 Server busy".into(),
            TraceStatus::Failed => "550 5.1.1 User unknown".into(),
            _ => "250 2.0.0 Ok".into(),
        },
        message_id: format!("<{key}@fabrikam.com>"),
        source: "edge".into(),
        key: key.into(),
        deferrals: deferrals.iter().map(|m| mins(*m)).collect(),
        last_event: Some(mins(min + 1)),
        delay_ms: None,
        dsn: String::new(),
    }
}
