//! Team mode in the console, without a server: the team task's reports (`Action::Team`) in the
//! status bar (online with who is here, offline with what waits, shorter when narrow), and
//! `:who` (refused on an incident that is not shared; a popup listing name, role, host and how
//! long since each was seen).

use crate::common;

use chrono::Duration;
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::team::live::LiveStatus;
use warroom::team::presence::Here;
use warroom::tui::app::{Action, AppState, Mode, update};
use warroom::tui::ui;
use warroom::tui::ui::statusbar::bar_line;

fn here(name: &str, role: &str, secs: i64) -> Here {
    Here {
        name: name.into(),
        role: role.into(),
        host: format!("{name}-laptop"),
        seen: now() - Duration::seconds(secs),
    }
}

fn online(a: &mut AppState, to_share: usize) {
    update(
        a,
        Action::Team(LiveStatus {
            online: true,
            to_share,
            here: vec![here("carol", "commander", 1), here("dave", "", 7)],
            problem: None,
        }),
    );
}

fn bar(a: &AppState, width: usize) -> String {
    bar_line(a, width).to_string()
}

fn colon(a: &mut AppState, line: &str) {
    key(a, KeyCode::Char(':'));
    typed(a, line);
    key(a, KeyCode::Enter);
}

#[test]
fn the_status_bar_says_online_with_who_is_here_or_offline_with_what_waits() {
    let mut a = app(empty_incident());
    assert!(!bar(&a, 160).contains("team"), "not shared: no team part");
    online(&mut a, 0);
    assert!(
        bar(&a, 160).contains("team: online · 2 here"),
        "{}",
        bar(&a, 160)
    );
    online(&mut a, 2);
    assert!(bar(&a, 160).contains("team: online · 2 here · 2 to share"));
    update(
        &mut a,
        Action::Team(LiveStatus {
            online: false,
            to_share: 3,
            here: Vec::new(),
            problem: Some("connection refused".into()),
        }),
    );
    let wide = bar(&a, 160);
    assert!(wide.contains("team: offline · 3 to share"), "{wide}");
    // Narrow: the title and the clocks go first; offline is kept, shorter.
    let narrow = bar(&a, 72);
    assert!(
        narrow.contains("offline · 3") && !narrow.contains("to share"),
        "{narrow}"
    );
}

#[test]
fn who_is_refused_unless_shared_and_lists_name_role_host_and_seen() {
    let mut a = app(empty_incident());
    colon(&mut a, "who");
    let Mode::Input(i) = &a.mode else {
        panic!("the line stays open with the reason")
    };
    assert!(
        i.error.as_deref().unwrap_or("").contains("warroom share"),
        "{:?}",
        i.error
    );
    key(&mut a, KeyCode::Esc);

    online(&mut a, 0);
    colon(&mut a, "who");
    assert!(matches!(a.mode, Mode::Who { .. }));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, &a)).unwrap();
    let screen = term.backend().to_string();
    for want in [
        "Who is here",
        "team: online · 0 to share",
        "carol",
        "commander",
        "carol-laptop",
        "seen 1s ago",
        "dave",
        "seen 7s ago",
    ] {
        assert!(screen.contains(want), "{want} missing:\n{screen}");
    }
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.mode, Mode::Normal));
}
