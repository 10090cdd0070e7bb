//! End to end: the real binary in a real terminal (tmux, 120x40), with temporary XDG
//! directories. Needs tmux (`.ci/run` installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) struct Tmux {
    socket: String,
    target: String,
    _home: tempfile::TempDir,
    pub home: PathBuf,
}

impl Tmux {
    pub(crate) fn start(name: &str) -> Self {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is needed for this test: apt-get install -y tmux"
        );
        let home_dir = tempfile::tempdir().unwrap();
        let home = home_dir.path().to_path_buf();
        let socket = format!("warroom-e2e-{}-{name}", std::process::id());
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_warroom"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let shell = format!(
            "env -i HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data USER=e2e TERM=xterm-256color LANG=C.UTF-8 TZ=UTC PATH={path} PS1='$ ' bash --norc --noprofile",
            h = home.display()
        );
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                name,
                &shell,
            ])
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&ok.stderr)
        );
        Tmux {
            socket,
            target: name.to_string(),
            _home: home_dir,
            home,
        }
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", &self.target])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    pub(crate) fn type_text(&self, text: &str) {
        let st = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "send-keys",
                "-t",
                &self.target,
                "-l",
                "--",
                text,
            ])
            .status()
            .unwrap();
        assert!(st.success());
    }

    pub(crate) fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", &self.target])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// tmux's view of the pane's modes: alternate screen, mouse reporting, cursor shown.
    fn modes(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display",
                "-p",
                "-t",
                &self.target,
                "alt=#{alternate_on} mouse=#{mouse_any_flag}#{mouse_standard_flag}#{mouse_button_flag}#{mouse_sgr_flag} cursor=#{cursor_flag}",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The pid of the warroom process the pane's shell started (exactly one).
    pub(crate) fn warroom_pid(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "list-panes",
                "-t",
                &self.target,
                "-F",
                "#{pane_pid}",
            ])
            .output()
            .unwrap();
        let shell_pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let out = Command::new("pgrep")
            .args(["-P", &shell_pid, "-x", "warroom"])
            .output()
            .unwrap();
        let pids = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            !pids.is_empty() && !pids.contains('\n'),
            "expected one warroom under the pane's shell {shell_pid}, got {pids:?}"
        );
        pids
    }

    /// Sends `signal` to the console from outside and checks that the terminal is given back
    /// whole: canonical mode, the normal screen, no mouse reporting, a visible cursor.
    fn signal_restores_terminal(&self, signal: &str) {
        self.wait_for("the console", |s| s.contains("4 Timeline"));
        assert!(self.modes().starts_with("alt=1"), "{}", self.modes());
        let pid = self.warroom_pid();
        let st = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(st.success());
        self.wait_for("the shell again", |s| !s.contains("4 Timeline"));
        self.type_text(&format!(
            "stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; echo after-{signal}-$((6*7))"
        ));
        self.keys(&["Enter"]);
        let s = self.wait_for("the shell's answer", |s| {
            s.contains(&format!("after-{signal}-42"))
        });
        assert!(
            s.lines().any(|l| l.trim() == "icanon"),
            "terminal left in raw mode after SIG{signal}:\n{s}"
        );
        assert_eq!(
            self.modes(),
            "alt=0 mouse=0000 cursor=1",
            "after SIG{signal}"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn new_open_add_quit_reopen_in_tmux() {
    let t = Tmux::start("reopen");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom new --title 'E2E mail outage'");
    t.keys(&["Enter"]);
    t.wait_for("the new incident id", |s| s.contains("-e2e-mail-outage"));

    t.type_text("warroom");
    t.keys(&["Enter"]);
    t.wait_for("the console", |s| {
        s.contains("4 Timeline") && s.contains("E2E mail outage")
    });
    t.keys(&["a"]);
    t.wait_for("the add popup", |s| s.contains("Add note"));
    t.type_text("-3m action: e2e entry one");
    t.keys(&["Enter"]);
    t.wait_for("the entry on screen", |s| {
        s.contains("e2e entry one") && s.contains("action")
    });
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| {
        !s.contains("4 Timeline") && s.contains("-e2e-mail-outage")
    });

    // The terminal is restored: canonical mode is back and the shell runs commands.
    t.type_text("stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; echo shell-ok-$((40+2))");
    t.keys(&["Enter"]);
    let s = t.wait_for("the shell's answer", |s| s.contains("shell-ok-42"));
    assert!(
        s.lines().any(|l| l.trim() == "icanon"),
        "terminal left in raw mode:\n{s}"
    );

    // Reopen: the entries are there, read back from the journal.
    t.type_text("clear; warroom");
    t.keys(&["Enter"]);
    t.wait_for("the entry after reopening", |s| {
        s.contains("4 Timeline") && s.contains("e2e entry one")
    });
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| !s.contains("4 Timeline"));

    // The journal is where the XDG data dir says.
    let incidents = t.home.join("data/warroom/incidents");
    let dirs: Vec<_> = std::fs::read_dir(&incidents).unwrap().collect();
    assert_eq!(dirs.len(), 1);
    let journal =
        std::fs::read_to_string(dirs[0].as_ref().unwrap().path().join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"text\":\"e2e entry one\""));
    assert!(journal.contains("\"by\":\"e2e\""));
}

#[test]
fn an_entry_logged_by_a_script_shows_within_a_second() {
    let t = Tmux::start("live");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom new --title 'Live pickup' && warroom");
    t.keys(&["Enter"]);
    t.wait_for("the console", |s| s.contains("4 Timeline"));
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .env("XDG_CONFIG_HOME", t.home.join("config"))
        .env("XDG_DATA_HOME", t.home.join("data"))
        .env("HOME", &t.home)
        .env_remove("WARROOM_DATA_DIR")
        .env_remove("WARROOM_CONFIG")
        .args(["log", "--kind", "comms", "written by a script"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logged = Instant::now();
    t.wait_for("the script's entry", |s| s.contains("written by a script"));
    // Generous against a loaded CI machine; the console polls every 50 ms.
    assert!(
        logged.elapsed() < Duration::from_secs(3),
        "{:?}",
        logged.elapsed()
    );
    // SIGTERM (a closing SSH session, a service manager) restores the terminal too.
    let out = Command::new("tmux")
        .args([
            "-L",
            &t.socket,
            "list-panes",
            "-t",
            &t.target,
            "-F",
            "#{pane_pid}",
        ])
        .output()
        .unwrap();
    let shell_pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let st = Command::new("pkill")
        .args(["-TERM", "-P", &shell_pid, "-x", "warroom"])
        .status()
        .unwrap();
    assert!(
        st.success(),
        "no warroom process under the pane's shell {shell_pid}"
    );
    t.wait_for("the shell again", |s| !s.contains("4 Timeline"));
    t.type_text("stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'; echo term-ok-$((6*7))");
    t.keys(&["Enter"]);
    let s = t.wait_for("the shell's answer", |s| s.contains("term-ok-42"));
    assert!(
        s.lines().any(|l| l.trim() == "icanon"),
        "terminal left in raw mode after SIGTERM:\n{s}"
    );
}

#[test]
fn demo_shows_health_and_trace_rows_within_30_seconds() {
    let t = Tmux::start("demo");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    let started = Instant::now();
    t.type_text("warroom demo --speed 20");
    t.keys(&["Enter"]);
    t.wait_for("the drill console", |s| {
        s.contains("DRILL") && s.contains("4 Timeline")
    });
    // A health item from the drill's Graph server: the issue, opened as investigating.
    t.wait_for("a health item", |s| s.contains("EX1094411"));
    // The trace pane runs the drill's query by itself (`[trace] query`) and follows the logs.
    t.keys(&["3"]);
    let s = t.wait_for("trace rows", |s| {
        s.lines()
            .any(|l| l.starts_with('┃') && l.contains("delivered") && l.contains("250 2."))
    });
    assert!(
        s.lines()
            .any(|l| l.contains("3 Trace") && l.contains(" rows")),
        "{s}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| !s.contains("4 Timeline"));
    // The incident is kept, marked as a drill.
    t.type_text("clear; warroom list");
    t.keys(&["Enter"]);
    t.wait_for("the drill in the list", |s| {
        s.contains("-drill-exo-mailflow") && s.contains("[DRILL]")
    });
    // Its logs are kept too, but not the credentials the drill's servers accepted.
    let drills = t.home.join("data/warroom/drills");
    let drill: Vec<PathBuf> = std::fs::read_dir(&drills)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(drill.len(), 1);
    assert!(drill[0].join("msgtrk").is_dir());
    assert_eq!(secret_files(&drills), Vec::<PathBuf>::new());
}

/// Every file under `dir` named like one of the drill's credentials (the Graph client secret,
/// the Teams Workflows URL, the relay's password, the Statuspage key).
fn secret_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.file_name().is_some_and(|n| {
                [
                    "graph-secret",
                    "teams-workflow-url",
                    "relay-password",
                    "statuspage-key",
                ]
                .contains(&n.to_string_lossy().as_ref())
            }) {
                found.push(p);
            }
        }
    }
    found
}

#[test]
fn sigint_and_sigquit_from_outside_restore_the_terminal() {
    let t = Tmux::start("signals");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom new --title 'Signals' && clear && warroom");
    t.keys(&["Enter"]);
    t.signal_restores_terminal("INT");
    t.type_text("clear; warroom");
    t.keys(&["Enter"]);
    t.signal_restores_terminal("QUIT");
}

#[test]
fn a_drill_stopped_by_a_signal_removes_its_secret() {
    let t = Tmux::start("drillsig");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom demo --speed 20");
    t.keys(&["Enter"]);
    t.wait_for("the drill console", |s| s.contains("DRILL"));
    let drills = t.home.join("data/warroom/drills");
    // The poller and the channels read the credentials from their files while the drill runs.
    assert_eq!(secret_files(&drills).len(), 4, "{drills:?}");
    t.signal_restores_terminal("INT");
    assert_eq!(secret_files(&drills), Vec::<PathBuf>::new());
}

#[test]
fn demo_without_a_terminal_creates_nothing() {
    let t = Tmux::start("demonotty");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    // Standard input is the terminal, standard output is not.
    t.type_text("warroom demo > ~/out.txt; echo exit:$? | tr : =");
    t.keys(&["Enter"]);
    let s = t.wait_for("the refusal", |s| s.contains("exit="));
    assert!(s.contains("exit=1"), "{s}");
    assert!(
        s.contains("warroom demo needs a terminal, but standard output is not a terminal"),
        "{s}"
    );
    assert!(
        !t.home.join("data/warroom/incidents").exists()
            && !t.home.join("data/warroom/drills").exists(),
        "demo created something without a terminal"
    );
}

#[test]
fn demo_sends_an_update_to_teams_mail_and_the_status_page() {
    let t = Tmux::start("demo-send");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom demo --speed 10");
    t.keys(&["Enter"]);
    t.wait_for("the drill console", |s| {
        s.contains("DRILL") && s.contains("4 Timeline")
    });
    // U composes; Tab to the channels, `a` ticks all three, Enter asks about the external one.
    t.keys(&["U"]);
    t.wait_for("the composer", |s| s.contains("Stakeholder update"));
    t.keys(&["Tab"]);
    t.keys(&["a"]);
    t.wait_for("the channels ticked", |s| {
        s.contains("[x] drill-teams") && s.contains("[x] drill-status") && s.contains("EXTERNAL")
    });
    t.keys(&["Enter"]);
    t.wait_for("the confirmation", |s| {
        s.contains("Send to EXTERNAL channel(s) drill-status?")
    });
    t.keys(&["y"]);
    t.wait_for("the send's result", |s| {
        s.contains(
            "update sent to drill-teams, drill-mail, drill-status (Statuspage incident drillinc1",
        )
    });
    // It is a comms entry in the timeline.
    t.wait_for("the comms entry", |s| {
        s.lines()
            .any(|l| l.contains("comms") && l.contains("stakeholder update"))
    });
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| {
        s.contains("is kept (marked as a drill)")
    });
    // What each channel received is in the drill folder.
    let drills = t.home.join("data/warroom/drills");
    let dir = std::fs::read_dir(&drills)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let card = std::fs::read_to_string(dir.join("teams/001.json")).unwrap();
    assert!(
        card.contains("application/vnd.microsoft.card.adaptive"),
        "{card}"
    );
    let mail = std::fs::read_to_string(dir.join("mail/001.eml")).unwrap();
    assert!(
        mail.contains("Subject: [SEV2] Investigating: Drill: exo-mailflow"),
        "{mail}"
    );
    let page = std::fs::read_to_string(dir.join("statuspage/incidents.json")).unwrap();
    assert!(page.contains("\"id\": \"drillinc1\""), "{page}");
}

#[test]
fn a_step_command_runs_after_the_confirmation_and_its_output_is_kept_as_evidence() {
    let t = Tmux::start("steprun");
    let playbooks = t.home.join("config/warroom/playbooks");
    std::fs::create_dir_all(&playbooks).unwrap();
    std::fs::write(
        playbooks.join("e2e-run.toml"),
        r#"name = "E2E run"
[[sections]]
title = "Evidence"
[[sections.steps]]
id = "snapshot"
title = "Snapshot the rules"
run = ["sh", "-c", "echo rules-from-e2e; echo careful >&2"]
"#,
    )
    .unwrap();
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom new --title 'E2E step run' --playbook e2e-run && warroom");
    t.keys(&["Enter"]);
    t.wait_for("the console", |s| {
        s.contains("4 Timeline") && s.contains("Snapshot the rules")
    });
    t.keys(&["2"]);
    t.keys(&["r"]);
    let s = t.wait_for("the confirmation", |s| {
        s.contains("Run and keep as evidence?")
    });
    assert!(
        s.contains("sh -c 'echo rules-from-e2e; echo careful >&2'"),
        "{s}"
    );
    t.keys(&["y"]);
    t.wait_for("the evidence entry", |s| s.contains("evidence: ran sh -c"));
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| !s.contains("4 Timeline"));

    let incidents = t.home.join("data/warroom/incidents");
    let dir = std::fs::read_dir(&incidents)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"type\":\"evidence_added\""), "{journal}");
    assert!(
        journal.contains("\"step\":\"e2e-run/snapshot\""),
        "{journal}"
    );
    let mut kept: Vec<String> = std::fs::read_dir(dir.join("evidence"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept, ["careful\n", "rules-from-e2e\n"]);
}

#[test]
fn review_suspends_the_console_for_the_editor_and_restores_it() {
    let t = Tmux::start("review");
    // A stand-in editor that needs the keyboard: it shows the terminal's modes, reads a line
    // typed into it and writes it into the file (its last argument).
    let editor = t.home.join("ed.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nfor f; do :; done\nstty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'\necho \"EDITING $(basename \"$f\")\"\nread line\nprintf '\\n## What went well\\n\\n%s\\n' \"$line\" >> \"$f\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text(&format!(
        "warroom new --title 'Review E2E' && clear && EDITOR='{} --wait' warroom",
        editor.display()
    ));
    t.keys(&["Enter"]);
    t.wait_for("the console", |s| s.contains("4 Timeline"));
    t.keys(&[":"]);
    t.type_text("review");
    t.keys(&["Enter"]);
    // The console is suspended: normal screen, cooked mode, no mouse reporting.
    let s = t.wait_for("the editor", |s| s.contains("EDITING warroom-review-"));
    assert!(
        s.lines().any(|l| l.trim() == "icanon"),
        "raw mode in the editor:\n{s}"
    );
    assert_eq!(t.modes(), "alt=0 mouse=0000 cursor=1");
    // Keys reach the editor, not the console.
    t.type_text("typed in the editor");
    t.keys(&["Enter"]);
    t.wait_for("the console back", |s| {
        s.contains("4 Timeline") && s.contains("review saved")
    });
    assert!(t.modes().starts_with("alt=1"), "{}", t.modes());
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| !s.contains("4 Timeline"));
    let incidents = t.home.join("data/warroom/incidents");
    let dir = std::fs::read_dir(&incidents)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let journal = std::fs::read_to_string(dir.path().join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"type\":\"review_saved\""), "{journal}");
    assert!(journal.contains("typed in the editor"), "{journal}");
}

#[test]
fn demo_shows_the_relay_queue_growing_past_its_thresholds() {
    let t = Tmux::start("demoqueue");
    t.wait_for("the shell prompt", |s| s.contains('$'));
    t.type_text("warroom demo --speed 30");
    t.keys(&["Enter"]);
    t.wait_for("the drill console", |s| {
        s.contains("DRILL") && s.contains("4 Timeline")
    });
    t.keys(&["1", "z"]);
    // The drill's relay queue (a postfix-queue source over a stand-in `postqueue -j`) passes its
    // alert three and a half drill minutes in: seven seconds at --speed 30.
    let s = t.wait_for("the relay queue's alert", |s| {
        s.contains("relay-queue ● partial_outage")
    });
    let spark = s
        .lines()
        .find(|l| l.contains(" queued (deferred "))
        .unwrap_or_else(|| panic!("no queue line:\n{s}"));
    // The sparkline rose from the empty queue to the alert.
    assert!(spark.contains('▁') && spark.contains('█'), "{spark}");
    t.keys(&["z", "4", "z"]);
    t.wait_for("both crossings in the timeline", |s| {
        s.contains("relay-queue: overall operational → degraded: ")
            && s.contains("relay-queue: overall degraded → partial_outage: ")
    });
    t.keys(&["z", "q"]);
    t.wait_for("the shell again", |s| !s.contains("4 Timeline"));
}
