//! The console at every size (80x24, 120x40, 200x60) and in every theme: whole frames on a
//! TestBackend with a fixed clock, every pane focused in turn, the timeline's text column at
//! 80x24, the status bar's priorities, wrapping, and mono with no colour at all.

use crate::common;

use chrono::Duration;
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use warroom::domain::event::EventBody;
use warroom::domain::health::{HealthItem, ItemUpdate, Level, SourceSnapshot};
use warroom::domain::incident::{EntryKind, Incident};
use warroom::domain::trace::TraceStatus;
use warroom::tui::action::TraceMsg;
use warroom::tui::app::{Action, AppState, Effect, Pane, update};
use warroom::tui::keymap::Command;
use warroom::tui::ui;
use warroom::tui::ui::theme::{Look, Theme};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

/// Texts of at least 40 characters, so the 80x24 rule can be checked on every row.
const TEXTS: [&str; 6] = [
    "users report NDRs 451 4.7.500 from partners since about 13:20",
    "checked M365 service health: EX1234567 investigating, no ETA yet",
    "hold all transport rule changes until the provider confirms the fix",
    "stakeholder notice sent to the service desk; next update in 30 min",
    "queue on edge01 at 4,200 messages and rising; edge02 is draining",
    "opened vendor ticket 2611300040001234 with the provider, severity A",
];

/// An incident with a playbook, typed entries by people and entries by the health poller.
fn incident() -> Incident {
    let mut evs = vec![opening(mins(-90)), attach_cloud_mail(2, mins(-88))];
    let kinds = [
        EntryKind::Note,
        EntryKind::Action,
        EntryKind::Decision,
        EntryKind::Comms,
    ];
    for i in 0..18u128 {
        let at = mins(-85 + 4 * i as i64);
        if i % 4 == 3 {
            evs.push(ev(
                10 + i,
                at,
                "health",
                EventBody::EntryAdded {
                    occurred_at: at,
                    kind: EntryKind::Health,
                    text: format!(
                        "m365 EX1234567 degraded, investigating: users may be unable to send mail ({i})"
                    ),
                    step: None,
                },
            ));
        } else {
            evs.push(note(
                10 + i,
                at,
                at,
                kinds[i as usize % 4],
                TEXTS[i as usize % TEXTS.len()],
            ));
        }
    }
    Incident::from_events(&evs).unwrap()
}

fn health_item(id: &str, level: Level, posts: usize) -> HealthItem {
    HealthItem {
        id: id.into(),
        title: format!("{id}: users can't send or receive email through Exchange Online"),
        service: Some("Exchange Online".into()),
        level,
        status: "investigating".into(),
        started: Some(mins(-50)),
        updated: Some(mins(-5)),
        resolved: None,
        updates: (0..posts)
            .map(|n| ItemUpdate {
                at: mins(-50 + 10 * n as i64),
                text: format!(
                    "Update {n}: we're investigating delays affecting inbound mail for some users; the next update will follow within the hour."
                ),
            })
            .collect(),
    }
}

fn snapshot(name: &str, level: Level, items: Vec<HealthItem>) -> SourceSnapshot {
    SourceSnapshot {
        name: name.into(),
        kind: "graph".into(),
        level,
        items,
        last_success: Some(now() - Duration::seconds(20)),
        last_error: None,
        polled_at: now(),
        queue: None,
    }
}

/// A console with something in every pane: health sources and items, the cloud-mail playbook,
/// a finished trace query, and the timeline.
fn full_app() -> AppState {
    let mut a = app(incident());
    a.catalog = builtin_catalog();
    a.health_sources = vec![
        source(
            "name = \"m365\"\nkind = \"graph\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"X\"",
        ),
        source("name = \"github\"\nkind = \"statuspage\"\nurl = \"http://127.0.0.1:9\""),
    ];
    a.health.insert(
        "m365".into(),
        snapshot(
            "m365",
            Level::PartialOutage,
            vec![
                health_item("EX1234567", Level::Degraded, 3),
                health_item("MO998877", Level::PartialOutage, 1),
            ],
        ),
    );
    a.health.insert(
        "github".into(),
        snapshot("github", Level::Operational, vec![]),
    );
    a.trace_sources = vec![
        toml::from_str::<warroom::domain::trace::TraceConfig>(
            "[[sources]]\nname = \"edge\"\nkind = \"postfix\"\npath = \"/var/log/mail.log*\"\n",
        )
        .unwrap()
        .sources
        .remove(0),
    ];
    update(&mut a, Action::Command(Command::FocusTrace));
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "from:alerts@fabrikam.com since:1h");
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::StartTrace { request, .. }) = fx
        .iter()
        .find(|f| matches!(f, Effect::StartTrace { .. }))
        .cloned()
    else {
        panic!("{fx:?}")
    };
    let statuses = [
        TraceStatus::Delivered,
        TraceStatus::Pending,
        TraceStatus::Failed,
    ];
    let msgs = (0..9)
        .map(|i| {
            TraceMsg::Row(common::trace_row(
                &format!("q{i}"),
                &format!("user{i}@contoso.com"),
                statuses[i % 3],
                -50 + 5 * i as i64,
                &[],
            ))
        })
        .collect();
    update(&mut a, Action::TraceBatch { request, msgs });
    update(
        &mut a,
        Action::TraceDone {
            request,
            error: None,
            cancelled: false,
        },
    );
    update(&mut a, Action::Command(Command::FocusTimeline));
    a
}

fn focus(a: &mut AppState, pane: Pane) {
    let cmd = match pane {
        Pane::Health => Command::FocusHealth,
        Pane::Playbook => Command::FocusPlaybook,
        Pane::Trace => Command::FocusTrace,
        Pane::Timeline => Command::FocusTimeline,
    };
    update(a, Action::Command(cmd));
}

fn draw(a: &mut AppState, w: u16, h: u16) -> (String, Buffer) {
    update(
        a,
        Action::Resize {
            width: w,
            height: h,
        },
    );
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::render(f, a)).unwrap();
    (term.backend().to_string(), term.backend().buffer().clone())
}

fn frame(a: &mut AppState, w: u16, h: u16) -> String {
    draw(a, w, h).0
}

/// A frame of the size the state already has, with no `Resize` first (one would work the
/// timeline's window out again, which the console only does when the terminal changes size).
fn frame_as_is(a: &AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(a.width, a.height)).unwrap();
    term.draw(|f| ui::render(f, a)).unwrap();
    term.backend().to_string()
}

/// The rows of a frame as plain strings.
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| l.trim_matches('"').to_string())
        .collect()
}

#[test]
fn every_pane_focused_at_80x24_120x40_and_200x60() {
    for (w, h) in SIZES {
        for pane in Pane::ALL {
            let mut a = full_app();
            focus(&mut a, pane);
            let screen = frame(&mut a, w, h);
            // Every pane is on screen, focused or not, with its title.
            for p in Pane::ALL {
                assert!(
                    screen.contains(&format!("{} {}", p.number(), p.title())),
                    "{w}x{h} {pane:?}: {p:?} missing\n{screen}"
                );
            }
            let name = format!("{w}x{h}_{}_focused", pane.title().to_lowercase());
            insta::assert_snapshot!(name, screen);
        }
    }
}

#[test]
fn at_80x24_the_focused_timeline_shows_at_least_40_characters_of_every_entry() {
    let mut a = full_app();
    update(&mut a, Action::Command(Command::Top));
    let screen = frame(&mut a, 80, 24);
    let shown: Vec<&str> = a
        .timeline
        .rows
        .iter()
        .map(|&i| a.incident.entries[i].text.as_str())
        .collect();
    let mut seen = 0;
    for text in &shown {
        let head: String = text.chars().take(40).collect();
        assert_eq!(head.chars().count(), 40, "fixture texts are long enough");
        if let Some(row) = rows(&screen).iter().find(|r| r.contains(&head)) {
            seen += 1;
            // The row is within the 80 columns, so the 40 characters are really on screen.
            assert!(row.chars().count() <= 80, "{row}");
        }
    }
    // The pane shows a good part of the timeline, not just a couple of rows.
    assert!(seen >= 10, "{seen} rows with 40 characters\n{screen}");
    // Every text row in the timeline's box shows 40 characters of its entry.
    let body: Vec<String> = rows(&screen)
        .into_iter()
        .filter(|r| r.starts_with('┃') && r.ends_with('┃'))
        .collect();
    assert!(body.len() >= 10, "{screen}");
    for r in &body {
        assert!(
            shown
                .iter()
                .any(|t| r.contains(&t.chars().take(40).collect::<String>())),
            "a row with less than 40 characters of its text: {r}\n{screen}"
        );
    }
    // Compact columns: HH:MM, a short kind tag, the author only when it is not the kind.
    assert!(screen.contains("12:42  action   bob "), "{screen}");
    assert!(
        screen.contains("13:06  health   m365 EX1234567") && !screen.contains("health health"),
        "{screen}"
    );
}

#[test]
fn wide_terminals_give_the_timeline_a_full_height_column() {
    let mut a = full_app();
    let (screen, _) = draw(&mut a, 200, 60);
    let rows = rows(&screen);
    // The timeline's box starts on the first row and ends above the hint line.
    assert!(rows[0].contains("4 Timeline"), "{screen}");
    assert!(rows[57].ends_with('┛'), "{screen}");
    // At 120x40 the panes are two by two.
    let screen = frame(&mut a, 120, 40);
    assert!(!rows_of_line(&screen, 0).contains("Timeline"), "{screen}");
}

fn rows_of_line(screen: &str, n: usize) -> String {
    rows(screen)[n].clone()
}

#[test]
fn a_click_on_a_strip_focuses_its_pane_at_80x24() {
    let mut a = full_app();
    let screen = frame(&mut a, 80, 24);
    let row = rows(&screen)
        .iter()
        .position(|r| r.contains("1 Health"))
        .unwrap();
    update(
        &mut a,
        Action::Click {
            column: 5,
            row: row as u16,
        },
    );
    assert_eq!(a.focus, Pane::Health);
    let screen = frame(&mut a, 80, 24);
    assert!(rows(&screen)[0].contains("1 Health"), "{screen}");
}

/// An incident whose status bar has every alarm: a check-back ringing, an overdue update, a
/// change not saved; and SEV1, a long title, a named zone.
fn alarmed() -> AppState {
    let mut a =
        app(Incident::from_events(&[opening(mins(-33)), attach_cloud_mail(2, mins(-32))]).unwrap());
    update(&mut a, Action::Command(Command::FocusPlaybook));
    key(&mut a, KeyCode::Char('j')); // subscribe-provider-updates: check back every 15m
    let fx = key(&mut a, KeyCode::Char('w'));
    ack(&mut a, fx);
    let fx = {
        key(&mut a, KeyCode::Char(':'));
        typed(&mut a, "sev 1");
        key(&mut a, KeyCode::Enter)
    };
    ack(&mut a, fx);
    key(&mut a, KeyCode::Char(':'));
    typed(
        &mut a,
        "title Exchange Online: inbound mail delayed for all partner domains",
    );
    let fx = key(&mut a, KeyCode::Enter);
    ack(&mut a, fx);
    a.zone = warroom::domain::time::Zone::Named(chrono_tz::Europe::Berlin);
    update(&mut a, Action::Tick(now() + Duration::minutes(16)));
    let ev = ev(
        900,
        now(),
        "carol",
        EventBody::EntryAdded {
            occurred_at: now(),
            kind: EntryKind::Note,
            text: "lost".into(),
            step: None,
        },
    );
    update(
        &mut a,
        Action::SaveFailed {
            event: Box::new(ev),
            error: "the disk is full".into(),
        },
    );
    a
}

fn bar_text(a: &AppState, width: usize) -> String {
    ui::statusbar::bar_line(a, width).to_string()
}

#[test]
fn the_status_bar_keeps_severity_status_t_plus_the_clock_and_alarms_at_every_width() {
    let mut a = alarmed();
    let wide = bar_text(&a, 400);
    for part in [
        "SEV1",
        "Investigating",
        "T+",
        "update OVERDUE",
        "NOT SAVED (:retry)",
        "check back: Follow the provider",
        "inbound mail delayed for all partner domains",
        "UTC",
        "Europe/Berlin",
        "?=help",
    ] {
        assert!(wide.contains(part), "{part} in {wide}");
    }
    for width in [160usize, 120, 100, 80] {
        let bar = bar_text(&a, width);
        assert!(bar.chars().count() <= width, "{width}: {bar}");
        for part in [
            "SEV1",
            "Investigating",
            "T+00:49:00",
            "OVERDUE 29:00",
            "1 NOT SAVED",
            "⏰ check back",
        ] {
            assert!(bar.contains(part), "{width}: {part} in {bar:?}");
        }
    }
    // What goes first: the help hint and the zone clock, then the UTC clock and the
    // durations; then the title shortens and goes, and only then the alarms take short forms.
    let at_200 = bar_text(&a, 200);
    assert!(
        !at_200.contains("Berlin") && !at_200.contains("?=help"),
        "{at_200}"
    );
    assert!(at_200.contains("14:19:00 UTC"), "{at_200}");
    assert!(
        at_200.contains("Exchange Online: inbound mail de…"),
        "{at_200}"
    );
    let at_160 = bar_text(&a, 160);
    assert!(
        !at_160.contains("UTC") && !at_160.contains("TTA"),
        "{at_160}"
    );
    assert!(at_160.contains("Exchange Online:…"), "{at_160}");
    assert!(at_160.contains("(c / :ack)"), "{at_160}");
    let at_140 = bar_text(&a, 140);
    assert!(!at_140.contains("Exchange"), "{at_140}");
    assert!(
        at_140.contains("check back: Follow the provider's updates (c / :ack)"),
        "{at_140}"
    );
    let at_100 = bar_text(&a, 100);
    assert!(at_100.contains("⏰ check back (c)"), "{at_100}");
    let at_80 = bar_text(&a, 80);
    assert!(
        !at_80.contains("Exchange") && !at_80.contains("(:retry)"),
        "{at_80}"
    );
    // Narrower than the console's 80 columns, with two alarms, they still show.
    let fx = key(&mut a, KeyCode::Char('c'));
    ack(&mut a, fx);
    for width in [70usize, 60] {
        let bar = bar_text(&a, width);
        assert!(bar.chars().count() <= width, "{width}: {bar}");
        for part in [
            "SEV1",
            "Investigating",
            "T+00:49:00",
            "OVERDUE 29:00",
            "1 NOT SAVED",
        ] {
            assert!(bar.contains(part), "{width}: {part} in {bar:?}");
        }
    }
}

#[test]
fn the_status_bar_at_80_keeps_the_next_update_clock() {
    let mut a = app(empty_incident());
    a.zone = warroom::domain::time::Zone::Named(chrono_tz::Europe::Berlin);
    let bar = bar_text(&a, 80);
    assert!(bar.contains("update OVERDUE 03:00"), "{bar}");
    assert!(bar.contains("T+00:33:00"), "{bar}");
    assert!(
        bar.contains("Exchange Online"),
        "the title fits, shortened or not: {bar}"
    );
}

#[test]
fn the_zoomed_timeline_wraps_long_entries() {
    let mut a = full_app();
    let long = "the partner relay at mx1.fabrikam.com refuses our TLS 1.0 handshake since their change at 13:05; they will re-enable it for our range but want a ticket number first, which Dana is getting from the service desk now";
    let fx = {
        key(&mut a, KeyCode::Char('a'));
        update(&mut a, Action::Paste(long.into()));
        key(&mut a, KeyCode::Enter)
    };
    ack(&mut a, fx);
    update(&mut a, Action::Command(Command::Zoom));
    let screen = frame(&mut a, 80, 24);
    // Every word of the entry is on screen, across several rows.
    let joined: String = rows(&screen)
        .iter()
        .map(|r| r.trim_matches(|c| c == '┃' || c == ' ').to_string())
        .collect::<Vec<_>>()
        .join(" ");
    for word in long.split(' ') {
        assert!(joined.contains(word), "{word}\n{screen}");
    }
    assert!(
        screen.contains("Dana is getting from the service desk now"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // Unzoomed, the row ends in … and Enter shows it whole, wrapped.
    update(&mut a, Action::Command(Command::Zoom));
    let screen = frame(&mut a, 80, 24);
    assert!(screen.contains("the partner relay at mx1"), "{screen}");
    assert!(!screen.contains("from the service desk now"), "{screen}");
    update(&mut a, Action::Command(Command::Open));
    let screen = frame(&mut a, 80, 24);
    assert!(
        screen.contains("which Dana is getting from the service desk"),
        "{screen}"
    );
}

#[test]
fn detail_popups_wrap_and_say_when_there_is_more_below() {
    let mut a = full_app();
    focus(&mut a, Pane::Health);
    update(&mut a, Action::Command(Command::Open));
    let screen = frame(&mut a, 80, 24);
    // The long update texts wrap instead of being cut at the popup's edge.
    assert!(screen.contains("follow within the hour."), "{screen}");
    assert!(screen.contains("↓ j:"), "{screen}");
    // Scrolling further than the end stops at the last line.
    for _ in 0..200 {
        key(&mut a, KeyCode::Char('j'));
    }
    let screen = frame(&mut a, 80, 24);
    assert!(!screen.contains("↓ j:"), "{screen}");
    assert!(screen.contains("↑ k"), "{screen}");
    insta::assert_snapshot!(screen);
    // The scroll stopped at the end too: one `k` brings back one line, not one of 200.
    key(&mut a, KeyCode::Char('k'));
    let back = frame(&mut a, 80, 24);
    assert!(back.contains("↓ j: 1 more line(s)"), "{back}");
    // The help too.
    update(
        &mut a,
        Action::Key(crossterm::event::KeyEvent::from(KeyCode::Esc)),
    );
    update(&mut a, Action::Command(Command::Help));
    let screen = frame(&mut a, 80, 24);
    assert!(screen.contains("more line(s)"), "{screen}");
}

/// Each cell's modifiers, one letter a cell: b bold, r reversed, d dim, u underlined, i italic,
/// `+` several, `.` none; the frame's text above them, row by row.
fn styled(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut text = String::new();
        let mut marks = String::new();
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            text.push_str(cell.symbol());
            let m = cell.modifier;
            let letters: Vec<char> = [
                (Modifier::BOLD, 'b'),
                (Modifier::REVERSED, 'r'),
                (Modifier::DIM, 'd'),
                (Modifier::UNDERLINED, 'u'),
                (Modifier::ITALIC, 'i'),
            ]
            .iter()
            .filter(|(f, _)| m.contains(*f))
            .map(|(_, c)| *c)
            .collect();
            marks.push(match letters[..] {
                [] => '.',
                [c] => c,
                _ => '+',
            });
        }
        out.push_str(&format!("{text}\n{marks}\n"));
    }
    out
}

fn mono(a: &mut AppState) {
    a.look = Look {
        theme: Theme::Mono,
        basic_colors: false,
    };
}

#[test]
fn mono_theme_styled_snapshot() {
    let mut a = full_app();
    mono(&mut a);
    let (_, buf) = draw(&mut a, 80, 24);
    insta::assert_snapshot!(styled(&buf));
}

/// Frames of every pane and popup that matter, in a look.
fn all_frames(look: Look) -> Vec<(String, Buffer)> {
    let mut out = Vec::new();
    for (w, h) in SIZES {
        for pane in Pane::ALL {
            let mut a = full_app();
            a.look = look;
            focus(&mut a, pane);
            out.push((format!("{w}x{h} {pane:?}"), draw(&mut a, w, h).1));
            update(&mut a, Action::Command(Command::Open));
            out.push((format!("{w}x{h} {pane:?} open"), draw(&mut a, w, h).1));
        }
        let mut a = alarmed();
        a.look = look;
        out.push((format!("{w}x{h} alarmed"), draw(&mut a, w, h).1));
        update(&mut a, Action::Command(Command::Help));
        out.push((format!("{w}x{h} help"), draw(&mut a, w, h).1));
    }
    out
}

#[test]
fn mono_uses_no_colour_at_all_and_still_marks_focus_selection_and_alarms() {
    for (name, buf) in all_frames(Look {
        theme: Theme::Mono,
        basic_colors: false,
    }) {
        for cell in &buf.content {
            assert_eq!(
                (cell.fg, cell.bg, cell.underline_color),
                (Color::Reset, Color::Reset, Color::Reset),
                "{name}: {cell:?}"
            );
        }
        // The selection and the status bar are reversed, the focused border thick.
        assert!(
            buf.content
                .iter()
                .any(|c| c.modifier.contains(Modifier::REVERSED)),
            "{name}"
        );
    }
    let mut a = alarmed();
    mono(&mut a);
    let (screen, buf) = draw(&mut a, 80, 24);
    let last = buf.area.height - 1;
    let col = (0..=71u16)
        .find(|&x| (0..9).all(|i| buf[(x + i, last)].symbol() == &"NOT SAVED"[i as usize..][..1]))
        .unwrap_or_else(|| panic!("NOT SAVED in the bar\n{screen}"));
    assert!(
        buf[(col, last)].modifier.contains(Modifier::BOLD),
        "{screen}"
    );
    assert!(
        screen.contains('┏'),
        "the focused pane's border is thick: {screen}"
    );
}

#[test]
fn with_basic_colours_only_the_sixteen_ansi_colours_are_used() {
    let allowed = |c: Color| !matches!(c, Color::Indexed(_) | Color::Rgb(..));
    for (name, buf) in all_frames(Look {
        theme: Theme::Default,
        basic_colors: true,
    }) {
        for cell in &buf.content {
            assert!(allowed(cell.fg) && allowed(cell.bg), "{name}: {cell:?}");
        }
    }
    // High contrast turns the dim grey text into light grey.
    for (name, buf) in all_frames(Look {
        theme: Theme::HighContrast,
        basic_colors: true,
    }) {
        assert!(
            buf.content.iter().all(|c| c.fg != Color::DarkGray),
            "{name}"
        );
    }
}

#[test]
fn the_update_composer_and_the_close_form_at_80x24() {
    for (w, h) in SIZES {
        let mut a = full_app();
        update(&mut a, Action::Command(Command::ComposeUpdate));
        let screen = frame(&mut a, w, h);
        assert!(screen.contains("Stakeholder update"), "{screen}");
        insta::assert_snapshot!(format!("{w}x{h}_composer"), screen);
        let mut a = full_app();
        key(&mut a, KeyCode::Char(':'));
        typed(&mut a, "close");
        key(&mut a, KeyCode::Enter);
        let screen = frame(&mut a, w, h);
        assert!(screen.contains("Close the incident"), "{screen}");
        insta::assert_snapshot!(format!("{w}x{h}_close_form"), screen);
    }
}

#[test]
fn a_long_question_wraps_rather_than_being_cut_at_80x24() {
    let mut a = alarmed();
    key(&mut a, KeyCode::Char('q'));
    let screen = frame(&mut a, 80, 24);
    let joined = rows(&screen).join(" ");
    assert!(joined.contains("could NOT be saved"), "{screen}");
    assert!(
        joined.contains("Quit and lose them?") && joined.contains("(y/n)"),
        "{screen}"
    );
}

#[test]
fn the_timeline_fills_its_pane_when_it_comes_up_from_a_strip() {
    let mut a = full_app();
    focus(&mut a, Pane::Health);
    frame(&mut a, 80, 24);
    // Entries arrive while the timeline is a one-line strip.
    for n in 0..3u128 {
        update(
            &mut a,
            Action::Journal {
                events: vec![note(
                    500 + n,
                    now(),
                    now(),
                    EntryKind::Note,
                    "written by a second console while the timeline was a strip",
                )],
                warnings: vec![],
            },
        );
    }
    focus(&mut a, Pane::Timeline);
    let screen = frame_as_is(&a);
    let body = rows(&screen)
        .iter()
        .filter(|r| r.starts_with('┃') && r.contains(':'))
        .count();
    assert!(body >= 14, "{body} rows\n{screen}");
    // Zoomed, with entries taking two rows, too.
    focus(&mut a, Pane::Health);
    frame(&mut a, 80, 24);
    focus(&mut a, Pane::Timeline);
    update(&mut a, Action::Command(Command::Zoom));
    let screen = frame(&mut a, 80, 24);
    let blank = rows(&screen)
        .iter()
        .filter(|r| r.starts_with('┃') && r.trim_matches(|c| c == '┃' || c == ' ').is_empty())
        .count();
    assert!(blank <= 1, "{blank} blank rows\n{screen}");
}
