//! End to end in tmux: two consoles (two homes, two data folders) on one shared incident
//! through a real `nats-server -js`: a change in one shows in the other, the status bar says
//! online / offline and what waits, the server is stopped and started again in the middle,
//! `:who` lists both, and a console killed with `kill -9` loses nothing it had saved.

use crate::e2e_tmux::Tmux;
use crate::team_server::{Nats, assert_same_events_once};

fn configure(t: &Tmux, name: &str, url: &str) {
    let dir = t.home.join("config/warroom");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("author = \"{name}\"\ntimezone = \"UTC\"\n[team]\nurl = \"{url}\"\n"),
    )
    .unwrap();
}

fn journal(t: &Tmux, id: &str) -> std::path::PathBuf {
    t.home
        .join("data/warroom/incidents")
        .join(id)
        .join("journal.jsonl")
}

/// Like `Tmux::wait_for`, with room for a loaded machine: two consoles, a server and the
/// presence refresh (every 3 s) in one test.
fn wait_long(t: &Tmux, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let s = t.screen();
        if pred(&s) {
            return s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; screen:\n{s}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn add_note(t: &Tmux, text: &str) {
    t.keys(&["a"]);
    t.wait_for("the add popup", |s| s.contains("Add note"));
    t.type_text(text);
    t.keys(&["Enter"]);
}

#[test]
fn two_consoles_share_an_incident_through_a_server_stop_and_start() {
    let mut nats = Nats::start();
    let a = Tmux::start("team-a");
    let b = Tmux::start("team-b");
    configure(&a, "alice", &nats.url());
    configure(&b, "bob", &nats.url());
    a.wait_for("a's prompt", |s| s.contains('$'));
    b.wait_for("b's prompt", |s| s.contains('$'));
    a.type_text("warroom new --share --title 'Team e2e'");
    a.keys(&["Enter"]);
    a.wait_for("the id", |s| s.contains("-team-e2e"));
    let id = std::fs::read_dir(a.home.join("data/warroom/incidents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with("team-e2e"))
        .unwrap();

    b.type_text(&format!("warroom join {} && warroom", &id[..14]));
    b.keys(&["Enter"]);
    a.type_text("warroom");
    a.keys(&["Enter"]);
    for (t, who) in [(&b, "b"), (&a, "a")] {
        wait_long(t, &format!("{who} online with both here"), |s| {
            s.contains("4 Timeline") && s.contains("team: online · 2 here")
        });
    }

    add_note(&a, "from console a");
    wait_long(&b, "a's note in b", |s| s.contains("from console a"));
    add_note(&b, "from console b");
    wait_long(&a, "b's note in a", |s| s.contains("from console b"));

    // The server goes away: both keep working on their journals and say so.
    nats.kill();
    wait_long(&b, "b offline", |s| {
        s.contains("team: offline · 0 to share")
    });
    add_note(&b, "while the server is down");
    b.wait_for("b's note waiting", |s| {
        s.contains("while the server is down") && s.contains("team: offline · 1 to share")
    });
    nats.resume();
    wait_long(&a, "what waited, in a", |s| {
        s.contains("while the server is down")
    });
    wait_long(&b, "b online, nothing waiting", |s| {
        s.contains("team: online · 2 here") && !s.contains("to share")
    });

    // :who lists both, with how long since each was seen.
    a.keys(&[":"]);
    a.type_text("who");
    a.keys(&["Enter"]);
    let s = a.wait_for("the who popup", |s| {
        s.contains("Who is here") && s.contains("alice") && s.contains("bob")
    });
    assert!(s.contains("seen"), "{s}");
    a.keys(&["Escape"]);

    // `kill -9` of b right after a change: what it had saved is in its journal and is shared
    // when b's next verb runs.
    add_note(&b, "just before the kill");
    b.wait_for("b's last note saved", |s| {
        s.contains("just before the kill")
    });
    let pid = b.warroom_pid();
    std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .unwrap();
    b.wait_for("b's shell", |s| {
        !s.contains("4 Timeline") || s.contains('$')
    });
    b.keys(&["Enter"]);
    b.type_text("reset; warroom sync");
    b.keys(&["Enter"]);
    b.wait_for("b's sync", |s| s.contains("shared "));
    wait_long(&a, "b's last note in a", |s| {
        s.contains("just before the kill")
    });
    a.keys(&["q"]);
    a.wait_for("a's shell", |s| !s.contains("4 Timeline"));
    assert_same_events_once(&journal(&a, &id), &journal(&b, &id));
}
