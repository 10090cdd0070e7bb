//! The health pane: what polls add to the timeline (once), and how the pane looks.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use common::{ack, app, appends, empty_incident, mins, now};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::health::{HealthItem, HealthSourceConfig, ItemUpdate, Level, SourceSnapshot};
use warroom::domain::incident::{EntryKind, Incident};
use warroom::tui::app::{Action, AppState, Effect, Mode, update};
use warroom::tui::keymap::Command;
use warroom::tui::ui;

fn item(id: &str, status: &str, level: Level, updated: DateTime<Utc>, posts: usize) -> HealthItem {
    HealthItem {
        id: id.into(),
        title: format!("{id}: users can't send or receive email"),
        service: Some("Exchange Online".into()),
        level,
        status: status.into(),
        started: Some(mins(-50)),
        updated: Some(updated),
        resolved: None,
        updates: (0..posts)
            .map(|n| ItemUpdate {
                at: mins(-50 + 10 * n as i64),
                text: format!("Update {n}: we're investigating delays."),
            })
            .collect(),
    }
}

fn snap(
    name: &str,
    kind: &str,
    level: Level,
    items: Vec<HealthItem>,
    ok: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> SourceSnapshot {
    SourceSnapshot {
        name: name.into(),
        kind: kind.into(),
        level,
        items,
        last_success: ok,
        last_error: error.map(str::to_string),
        polled_at: now(),
        queue: None,
    }
}

fn source(toml: &str) -> HealthSourceConfig {
    common::source(toml)
}

fn m365(status: &str, posts: usize) -> SourceSnapshot {
    snap(
        "m365",
        "graph",
        Level::Degraded,
        vec![item("EX1234567", status, Level::Degraded, mins(-5), posts)],
        Some(now()),
        None,
    )
}

#[test]
fn each_change_is_one_health_entry_and_never_twice() {
    let mut a = app(empty_incident());
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(m365("investigating", 1))),
    );
    let evs = appends(&fx);
    let changes: Vec<_> = evs
        .iter()
        .filter(|e| matches!(e.body, EventBody::HealthChanged { .. }))
        .collect();
    assert!(!changes.is_empty());
    assert!(matches!(
        evs.last().unwrap().body,
        EventBody::HealthSeen { .. }
    ));
    ack(&mut a, fx.clone());
    let health: Vec<_> = a
        .incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Health)
        .collect();
    assert_eq!(health.len(), changes.len());
    assert!(
        health.iter().any(|e| e.text.contains("EX1234567")),
        "{health:?}"
    );
    assert!(
        health
            .iter()
            .all(|e| e.about.as_deref().is_some_and(|s| s.starts_with("m365")))
    );
    assert!(health.iter().all(|e| e.author == "health"));

    // The same poll again: nothing.
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(m365("investigating", 1))),
    );
    assert!(appends(&fx).is_empty(), "{fx:?}");

    // A status change and a new post: entries for those only.
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(m365("serviceDegradation", 2))),
    );
    let texts: Vec<String> = appends(&fx)
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::HealthChanged { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("investigating → serviceDegradation")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("update") || t.contains("post")),
        "{texts:?}"
    );
    ack(&mut a, fx.clone());

    // A restart: a new console on the replayed journal adds nothing for the same state.
    let events: Vec<Event> = Vec::new();
    let _ = events;
    let mut b = app(a.incident.clone());
    let fx = update(
        &mut b,
        Action::HealthPolled(Box::new(m365("serviceDegradation", 2))),
    );
    assert!(appends(&fx).is_empty(), "{fx:?}");
}

#[test]
fn a_change_recorded_twice_folds_once() {
    let mut inc = empty_incident();
    let change = |n: u128| {
        common::ev(
            n,
            now(),
            "x",
            EventBody::HealthChanged {
                source: "m365".into(),
                item: Some("EX1".into()),
                key: "m365/EX1/status/x".into(),
                text: "m365 EX1: status a → b".into(),
                changes: vec![],
            },
        )
    };
    assert!(inc.apply(&change(10)));
    assert!(
        !inc.apply(&change(11)),
        "a second console recording the same change adds nothing"
    );
    assert_eq!(
        inc.entries
            .iter()
            .filter(|e| e.kind == EntryKind::Health)
            .count(),
        1
    );
}

#[test]
fn failed_polls_add_nothing_and_show_the_error() {
    let mut a = app(empty_incident());
    a.health_sources = vec![source(
        "name = \"mx\"\nkind = \"smtp\"\nhost = \"127.0.0.1\"",
    )];
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(snap(
            "mx",
            "smtp",
            Level::Unknown,
            vec![],
            None,
            Some("connection refused by 127.0.0.1:25"),
        ))),
    );
    assert!(appends(&fx).is_empty());
    assert!(frame(&mut a).contains("connection refused"));
}

#[test]
fn r_polls_now_and_enter_opens_an_item() {
    let mut a = app(empty_incident());
    a.health_sources = vec![source(
        "name = \"m365\"\nkind = \"graph\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"X\"",
    )];
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(m365("investigating", 3))),
    );
    ack(&mut a, fx.clone());
    update(&mut a, Action::Command(Command::FocusHealth));
    let fx = update(&mut a, Action::Command(Command::PollNow));
    assert_eq!(fx, vec![Effect::PollNow(None)]);
    update(&mut a, Action::Command(Command::Open));
    assert!(matches!(a.mode, Mode::HealthItem { .. }));
    let screen = frame(&mut a);
    assert!(
        screen.contains("Update 2: we're investigating delays."),
        "{screen}"
    );
    assert!(screen.contains("Exchange Online"));
}

fn frame(a: &mut AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, a)).unwrap();
    term.backend().to_string()
}

#[test]
fn pane_snapshot_with_levels_a_stale_source_and_an_error() {
    let inc: Incident = empty_incident();
    let mut a = app(inc);
    a.health_sources = vec![
        source(
            "name = \"m365\"\nkind = \"graph\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"X\"",
        ),
        source("name = \"github\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9\""),
        source(
            "name = \"aws\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/rss\"\ninterval = \"60s\"",
        ),
        source("name = \"mx\"\nkind = \"smtp\"\nhost = \"127.0.0.1\""),
    ];
    let polls = vec![
        snap(
            "m365",
            "graph",
            Level::PartialOutage,
            vec![
                item(
                    "EX1234567",
                    "serviceDegradation",
                    Level::Degraded,
                    mins(-4),
                    2,
                ),
                item(
                    "MO998877",
                    "serviceInterruption",
                    Level::PartialOutage,
                    mins(-12),
                    1,
                ),
            ],
            Some(now() - Duration::seconds(12)),
            None,
        ),
        snap(
            "github",
            "statuspage",
            Level::Operational,
            vec![],
            Some(now() - Duration::seconds(40)),
            None,
        ),
        // Last success ten minutes ago with a 60 s interval: stale.
        snap(
            "aws",
            "feed",
            Level::Degraded,
            vec![item(
                "ec2-us-east-1",
                "Increased API error rates",
                Level::Degraded,
                mins(-30),
                1,
            )],
            Some(now() - Duration::minutes(10)),
            Some("timed out after 15s"),
        ),
        snap(
            "mx",
            "smtp",
            Level::MajorOutage,
            vec![item(
                "mx",
                "421 4.3.2 Service not available",
                Level::MajorOutage,
                mins(-1),
                0,
            )],
            Some(now()),
            None,
        ),
    ];
    for p in polls {
        let fx = update(&mut a, Action::HealthPolled(Box::new(p)));
        ack(&mut a, fx.clone());
    }
    update(&mut a, Action::Command(Command::FocusHealth));
    update(&mut a, Action::Command(Command::Zoom));
    insta::assert_snapshot!(frame(&mut a));
}

#[test]
fn a_poll_revealing_a_new_item_with_its_posts_is_one_entry() {
    let mut a = app(empty_incident());
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(m365("investigating", 2))),
    );
    ack(&mut a, fx);
    let health: Vec<&str> = a
        .incident
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Health)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(health.len(), 2, "{health:#?}");
    assert_eq!(health[0], "m365: overall degraded");
    assert!(
        health[1].starts_with(
            "m365 EX1234567 new: degraded, investigating: EX1234567: users can't send or receive email\n"
        ),
        "{health:#?}"
    );
    assert!(health[1].ends_with("Update 1: we're investigating delays."));

    // Level, status and a post at once: one entry (and one for the source), each change kept.
    let mut worse = m365("serviceDegradation", 3);
    worse.level = Level::MajorOutage;
    worse.items[0].level = Level::MajorOutage;
    let fx = update(&mut a, Action::HealthPolled(Box::new(worse.clone())));
    let evs = appends(&fx);
    let changed: Vec<&EventBody> = evs
        .iter()
        .map(|e| &e.body)
        .filter(|b| matches!(b, EventBody::HealthChanged { .. }))
        .collect();
    assert_eq!(changed.len(), 2, "{changed:#?}");
    let EventBody::HealthChanged { text, changes, .. } = changed[1] else {
        unreachable!()
    };
    assert_eq!(changes.len(), 3, "{changes:#?}");
    assert!(
        text.starts_with(
            "m365 EX1234567: level degraded → major_outage; status investigating → serviceDegradation; update "
        ),
        "{text}"
    );
    ack(&mut a, fx);
    // Recorded once: the same poll again adds nothing.
    let fx = update(&mut a, Action::HealthPolled(Box::new(worse)));
    assert!(appends(&fx).is_empty(), "{fx:?}");
}

#[test]
fn a_change_another_console_recorded_is_not_recorded_again() {
    // Two consoles on one shared incident both poll the same source.
    let mut a = app(empty_incident());
    let mut b = app(empty_incident());
    let fx = update(
        &mut a,
        Action::HealthPolled(Box::new(m365("investigating", 1))),
    );
    let recorded = appends(&fx);
    assert!(
        recorded
            .iter()
            .any(|e| matches!(e.body, EventBody::HealthChanged { .. }))
    );
    // Console a's events reach console b's journal (team mode) before b's own poll comes back,
    // a few seconds later than a's (so its changes' keys differ).
    for ev in &recorded {
        b.incident.apply(ev);
    }
    let mut later = m365("investigating", 1);
    later.polled_at += chrono::Duration::seconds(7);
    let fx = update(&mut b, Action::HealthPolled(Box::new(later)));
    assert!(
        !appends(&fx)
            .iter()
            .any(|e| matches!(e.body, EventBody::HealthChanged { .. })),
        "{fx:?}"
    );
    // A later change is still recorded by whichever console sees it first.
    let fx = update(
        &mut b,
        Action::HealthPolled(Box::new(m365("serviceDegradation", 2))),
    );
    assert!(
        appends(&fx)
            .iter()
            .any(|e| matches!(e.body, EventBody::HealthChanged { .. })),
        "{fx:?}"
    );
}
