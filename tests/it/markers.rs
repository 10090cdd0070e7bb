//! Markers on the timeline: `m` cycles an entry's marker (an `entry_marked` event), the tag
//! shows at every size, `f` filters the marked entries, `u` undoes, every export carries them,
//! and an earlier detection marker is offered as the detected time.

use crate::common;

use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::closing::{KeyTime, key_time};
use warroom::domain::event::EventBody;
use warroom::domain::incident::{EntryKind, Incident};
use warroom::domain::marker::Marker;
use warroom::domain::time::Zone;
use warroom::export::{ExportOptions, Format, render};
use warroom::tui::app::AppState;
use warroom::tui::ui;

fn incident() -> Incident {
    Incident::from_events(&[
        opening(mins(-33)),
        note(
            10,
            mins(-30),
            mins(-45),
            EntryKind::Note,
            "partners report NDRs 451 4.7.500 since about 13:20",
        ),
        note(
            11,
            mins(-20),
            mins(-20),
            EntryKind::Action,
            "MX record points at the old gateway",
        ),
        note(
            12,
            mins(-10),
            mins(-10),
            EntryKind::Decision,
            "roll the MX record back",
        ),
    ])
    .unwrap()
}

fn frame(a: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| ui::render(f, a)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// Selects the entry whose text starts with `text`.
fn select(a: &mut AppState, text: &str) {
    key(a, KeyCode::Char('g'));
    for _ in 0..a.timeline.rows.len() {
        if a.selected_entry().unwrap().text.starts_with(text) {
            return;
        }
        key(a, KeyCode::Char('j'));
    }
    panic!("no entry {text:?}");
}

fn mark(a: &mut AppState) -> Vec<warroom::domain::event::Event> {
    let fx = key(a, KeyCode::Char('m'));
    ack(a, fx)
}

#[test]
fn m_cycles_the_marker_and_u_undoes_it() {
    let mut a = app(incident());
    select(&mut a, "partners");
    let id = a.selected_entry().unwrap().id;
    let evs = mark(&mut a);
    assert_eq!(
        evs[0].body,
        EventBody::EntryMarked {
            entry: id,
            marker: Some(Marker::Detection)
        }
    );
    // Earlier than the opening: offered as the detected time, and proposed from now on.
    let flash = a.flash.clone().unwrap().text;
    assert!(
        flash.contains("13:18:00 offered as the detected time"),
        "{flash}"
    );
    assert_eq!(key_time(&a.incident, KeyTime::Detected).at, Some(mins(-45)));
    // The close form offers it too.
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "close");
    key(&mut a, KeyCode::Enter);
    let f = frame(&a, 200, 50);
    assert!(
        f.contains("detected 13:18:00 offered by a detection marker"),
        "{f}"
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.mode, warroom::tui::app::Mode::Normal));
    let mut seen = vec![a.incident.markers[&id]];
    for _ in 0..3 {
        mark(&mut a);
        seen.push(a.incident.markers[&id]);
    }
    assert_eq!(seen, Marker::ALL);
    // After key moment: none.
    let evs = mark(&mut a);
    assert_eq!(
        evs[0].body,
        EventBody::EntryMarked {
            entry: id,
            marker: None
        }
    );
    assert!(a.incident.markers.is_empty());
    assert_eq!(key_time(&a.incident, KeyTime::Detected).at, Some(mins(-33)));
    // u puts the last marker back.
    let fx = key(&mut a, KeyCode::Char('u'));
    ack(&mut a, fx);
    assert_eq!(a.incident.markers.get(&id), Some(&Marker::KeyMoment));
    // A journal line written before markers existed, or by a newer build, still loads.
    let line = format!(
        r#"{{"v":1,"id":"{}","at":"2026-11-30T14:00:00Z","by":"x","type":"entry_marked","entry":"{id}"}}"#,
        uuid::Uuid::from_u128(99)
    );
    let ev: warroom::domain::event::Event = serde_json::from_str(&line).unwrap();
    assert_eq!(
        ev.body,
        EventBody::EntryMarked {
            entry: id,
            marker: None
        }
    );
}

#[test]
fn the_tag_shows_at_80x24_and_f_filters_the_marked_entries() {
    let mut a = app(incident());
    select(&mut a, "partners");
    mark(&mut a); // detection
    select(&mut a, "MX record");
    mark(&mut a);
    mark(&mut a); // diagnosis
    select(&mut a, "roll");
    for _ in 0..3 {
        mark(&mut a); // repair
    }
    a.flash = None;
    warroom::tui::app::update(
        &mut a,
        warroom::tui::app::Action::Resize {
            width: 80,
            height: 24,
        },
    );
    let small = frame(&a, 80, 24);
    assert!(small.contains("DET partners"), "{small}");
    assert!(small.contains("DIAG MX record"), "{small}");
    assert!(small.contains("FIX roll"), "{small}");
    insta::assert_snapshot!("markers_80x24", small);
    // f: each kind in turn, then the marked entries only, then all again.
    let kinds = EntryKind::ALL.len();
    for _ in 0..=kinds {
        key(&mut a, KeyCode::Char('f'));
    }
    assert!(a.timeline.marked_only);
    assert_eq!(a.timeline.rows.len(), 3);
    assert!(frame(&a, 120, 40).contains("· marked"));
    key(&mut a, KeyCode::Char('f'));
    assert!(!a.timeline.marked_only);
    assert_eq!(a.timeline.kind_filter, None);
    assert_eq!(a.timeline.rows.len(), a.incident.visible_entries().count());
    // The key is in the help, from the keymap.
    assert!(
        warroom::tui::keymap::Keymap::default()
            .keys_of(warroom::tui::keymap::Command::CycleMarker)
            .contains('m')
    );
}

#[test]
fn a_closed_incident_refuses_marking() {
    let mut inc = incident();
    inc.apply(&ev(
        50,
        mins(-1),
        "alice",
        EventBody::Closed {
            summary: "s".into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: vec![],
            override_reason: None,
        },
    ));
    let mut a = app(inc);
    assert!(key(&mut a, KeyCode::Char('m')).is_empty());
    assert!(a.flash.clone().unwrap().text.contains("read-only"));
}

#[test]
fn every_export_carries_the_markers() {
    let mut inc = incident();
    let id = uuid::Uuid::from_u128(11);
    assert!(inc.apply(&ev(
        40,
        mins(-5),
        "bob",
        EventBody::EntryMarked {
            entry: id,
            marker: Some(Marker::Diagnosis)
        }
    )));
    // A marker on an entry that does not exist changes nothing.
    assert!(!inc.apply(&ev(
        41,
        mins(-5),
        "bob",
        EventBody::EntryMarked {
            entry: uuid::Uuid::from_u128(4242),
            marker: Some(Marker::Repair)
        }
    )));
    let opts = ExportOptions {
        zone: Zone::UTC,
        pinned_only: false,
        generated_at: now(),
    };
    let md = render(Format::Markdown, &inc, &[], &opts);
    assert!(
        md.contains("**diagnosis** MX record points at the old gateway"),
        "{md}"
    );
    let html = render(Format::Html, &inc, &[], &opts);
    assert!(
        html.contains("<strong>diagnosis</strong> MX record"),
        "{html}"
    );
    let csv = render(Format::Csv, &inc, &[], &opts);
    let line = csv.lines().find(|l| l.contains("old gateway")).unwrap();
    assert!(line.ends_with(",diagnosis"), "{line}");
    assert!(csv.lines().next().unwrap().ends_with(",marker"));
    let json: serde_json::Value =
        serde_json::from_str(&render(Format::Json, &inc, &[], &opts)).unwrap();
    let entries = json["incident"]["entries"].as_array().unwrap();
    let e = entries.iter().find(|e| e["id"] == id.to_string()).unwrap();
    assert_eq!(e["marker"], "diagnosis");
    assert!(entries.iter().filter(|e| e.get("marker").is_some()).count() == 1);
}

#[test]
fn the_latest_marking_and_review_win_in_any_arrival_order() {
    let id = uuid::Uuid::from_u128(11);
    let early = ev(
        60,
        mins(-5),
        "bob",
        EventBody::EntryMarked {
            entry: id,
            marker: Some(Marker::Repair),
        },
    );
    let late = ev(
        61,
        mins(-2),
        "dana",
        EventBody::EntryMarked {
            entry: id,
            marker: Some(Marker::KeyMoment),
        },
    );
    let review = |n, at, text: &str| {
        ev(
            n,
            at,
            "bob",
            EventBody::ReviewSaved {
                template: "default".into(),
                sections: vec![warroom::domain::review::SectionText {
                    title: "Summary".into(),
                    text: text.into(),
                }],
            },
        )
    };
    let (r1, r2) = (
        review(70, mins(-4), "first"),
        review(71, mins(-1), "second"),
    );
    for order in [[&early, &late, &r1, &r2], [&late, &early, &r2, &r1]] {
        let mut inc = incident();
        for e in order {
            inc.apply(e);
        }
        assert_eq!(inc.markers.get(&id), Some(&Marker::KeyMoment));
        assert_eq!(
            inc.reviews.last().unwrap().section("Summary"),
            Some("second")
        );
    }
}
