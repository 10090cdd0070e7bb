//! What the verbs print on standard output, through the real binary: never a terminal escape or
//! a control character (but newline and tab), even when the journal, a log, a feed or a
//! playbook was written by something hostile; JSON escapes them instead. And a reader that stops
//! early (`warroom timeline --json | head -1`) ends the command quietly with exit 0.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axum::Router;
use axum::routing::get;

/// Everything a terminal could act on: CSI, OSC (title, clipboard), a C1 CSI, NEL, DEL, BEL,
/// backspace, a lone CR, a bidi override.
const HOSTILE: &str = "\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7} \u{1b}]52;c;Zm9v\u{1b}\\ \u{9b}2J c1\u{85}nel del\u{7f} bell\u{7} bs\u{8} cr\rover \u{202e}bidi";

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::write(root.join("config.toml"), "timezone = \"UTC\"\n").unwrap();
        Env { _dir: dir, root }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
        c.arg("--config")
            .arg(self.root.join("config.toml"))
            .arg("--data-dir")
            .arg(self.root.join("data"))
            .args(args)
            .env_remove("WARROOM_CONFIG")
            .env_remove("WARROOM_DATA_DIR");
        c
    }

    fn run(&self, args: &[&str]) -> (bool, Vec<u8>, String) {
        let out = self.cmd(args).stdin(Stdio::null()).output().unwrap();
        (
            out.status.success(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// A new incident with `entries` hostile entries (and a hostile title and author) appended
    /// by hand, as another program could.
    fn hostile_incident(&self, entries: usize) -> PathBuf {
        let (ok, out, err) = self.run(&["new", "--title", "plain", "--playbook", "none"]);
        assert!(ok, "{err}");
        let id = String::from_utf8(out).unwrap().trim().to_string();
        let journal = self
            .root
            .join("data/incidents")
            .join(&id)
            .join("journal.jsonl");
        let mut lines = String::new();
        // Every line has the same time: increasing ids keep them in the order written (the
        // fold breaks ties on time by id).
        let next = std::cell::Cell::new(0x0190_0000_0000_7000_8000_0000_0000_0000u128);
        let line = |body: serde_json::Value| {
            next.set(next.get() + 1);
            let mut v = serde_json::json!({
                "v": 1,
                "id": uuid::Uuid::from_u128(next.get()),
                "at": "2026-11-30T14:00:00Z",
                "by": format!("mallory{HOSTILE}"),
            });
            v.as_object_mut()
                .unwrap()
                .extend(body.as_object().unwrap().clone());
            // JSON strings hold C0 controls as \u001b escapes (raw they are not JSON); DEL and
            // C1 controls stand raw, as serde_json and most writers leave them.
            let mut s = serde_json::to_string(&v).unwrap();
            s.push('\n');
            s
        };
        lines.push_str(&line(
            serde_json::json!({"type": "title_set", "title": format!("title {HOSTILE}")}),
        ));
        for i in 0..entries {
            lines.push_str(&line(serde_json::json!({
                "type": "entry_added",
                "occurred_at": "2026-11-30T14:00:00Z",
                "kind": "note",
                "text": format!("entry {i} {HOSTILE}\nsecond line {HOSTILE}"),
            })));
        }
        assert!(lines.contains("\\u001b") && lines.contains('\u{85}'));
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&journal)
            .unwrap()
            .write_all(lines.as_bytes())
            .unwrap();
        journal
    }
}

/// No ESC, no other C0 control but newline and tab, no DEL, no C1 control, no bidi override.
#[track_caller]
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| {
            (c.is_control() && *c != '\n' && *c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{what} wrote control characters {:?} in:\n{}",
        &bad[..bad.len().min(5)],
        text.escape_debug()
    );
}

#[test]
fn timeline_and_list_are_clean_even_from_a_hostile_journal() {
    let env = Env::new();
    env.hostile_incident(3);
    for args in [&["timeline"][..], &["list"]] {
        let (ok, out, err) = env.run(args);
        assert!(ok, "{args:?}: {err}");
        assert_clean(&format!("{args:?}"), &out);
        let text = String::from_utf8(out).unwrap();
        // The text itself survives, only the escapes are gone.
        assert!(text.contains("title red"), "{args:?}: {text}");
        if args == ["timeline"] {
            assert!(text.contains("entry 2 red"), "{text}");
            assert!(text.contains("mallory"), "{text}");
        }
    }
}

#[test]
fn json_output_escapes_c0_and_c1_and_keeps_the_text() {
    let env = Env::new();
    env.hostile_incident(2);
    let (ok, out, err) = env.run(&["timeline", "--json"]);
    assert!(ok, "{err}");
    assert_clean("timeline --json", &out);
    let raw = String::from_utf8(out).unwrap();
    assert!(raw.contains("\\u0085") && raw.contains("\\u009b"), "{raw}");
    assert!(raw.contains("\\u007f") && raw.contains("\\u001b"), "{raw}");
    let doc: serde_json::Value = serde_json::from_str(&raw).unwrap();
    // The JSON value is the journal's text, exactly: escaped, not altered.
    let notes: Vec<&serde_json::Value> = doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .collect();
    assert_eq!(
        notes[0]["text"],
        format!("entry 0 {HOSTILE}\nsecond line {HOSTILE}")
    );
    assert_eq!(doc["title"], format!("title {HOSTILE}"));

    let (ok, out, err) = env.run(&["list", "--json"]);
    assert!(ok, "{err}");
    assert_clean("list --json", &out);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc[0]["title"], format!("title {HOSTILE}"));
}

#[test]
fn trace_of_a_hostile_log_is_clean() {
    let env = Env::new();
    let log = env.root.join("mail.log");
    std::fs::write(
        &log,
        format!(
            "2026-03-02T13:05:01.000000+00:00 mx1 postfix/qmgr[1668]: 3449C23E79: from=<alerts@fabrikam.com>, size=45678, nrcpt=1 (queue active)\n\
             2026-03-02T13:05:31.000000+00:00 mx1 postfix/smtp[24020]: 3449C23E79: to=<ops@contoso.com>, relay=none, delay=30, delays=0.05/0.01/30/0, dsn=4.4.1, status=deferred (host said {HOSTILE})\n"
        ),
    )
    .unwrap();
    let log = log.to_str().unwrap();
    let (ok, out, err) = env.run(&["trace", "--postfix-log", log]);
    assert!(ok, "{err}");
    assert_clean("trace", &out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("ops@contoso.com"), "{text}");
    let (ok, out, err) = env.run(&["trace", "--postfix-log", log, "--json"]);
    assert!(ok, "{err}");
    assert_clean("trace --json", &out);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["rows"][0]["recipient"], "ops@contoso.com");
}

#[test]
fn playbook_show_and_keys_are_clean() {
    let env = Env::new();
    std::fs::create_dir_all(env.root.join("playbooks")).unwrap();
    // TOML's \u escapes put the controls into the strings themselves.
    let esc = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}') {
                    format!("\\u{:04X}", c as u32)
                } else if c == '"' || c == '\\' {
                    format!("\\{c}")
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
    };
    std::fs::write(
        env.root.join("playbooks/hostile.toml"),
        format!(
            "name = \"Hostile {h}\"\ndescription = \"desc {h}\"\n[[sections]]\ntitle = \"Section {h}\"\n[[sections.steps]]\nid = \"s1\"\ntitle = \"Step {h}\"\ndetail = \"detail {h}\\nmore {h}\"\nowner = \"owner {h}\"\n",
            h = esc(HOSTILE)
        ),
    )
    .unwrap();
    let (ok, out, err) = env.run(&["playbook", "show", "hostile"]);
    assert!(ok, "{err}");
    assert_clean("playbook show", &out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Step red"), "{text}");
    let (ok, out, err) = env.run(&["playbook", "list"]);
    assert!(ok, "{err}");
    assert_clean("playbook list", &out);
    let (ok, out, err) = env.run(&["keys"]);
    assert!(ok, "{err}");
    assert_clean("keys", &out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_of_a_hostile_source_is_clean() {
    let body = serde_json::json!({
        "page": {"id": "p", "name": "Provider", "url": "https://status.example.test", "updated_at": "2026-03-02T13:00:00Z"},
        "status": {"indicator": "major", "description": format!("Major {HOSTILE}")},
        "components": [{"id": "c1", "name": format!("Mail {HOSTILE}"), "status": "major_outage", "updated_at": "2026-03-02T13:00:00Z", "group": false, "group_id": null, "only_show_if_degraded": false}],
        "incidents": [{"id": "inc1", "name": format!("Outage {HOSTILE}"), "status": "investigating", "impact": "major", "created_at": "2026-03-02T13:00:00Z", "updated_at": "2026-03-02T13:00:00Z", "started_at": "2026-03-02T13:00:00Z", "resolved_at": null, "shortlink": "https://stspg.io/x", "incident_updates": [{"id": "u1", "status": "investigating", "body": format!("Body {HOSTILE}"), "created_at": "2026-03-02T13:00:00Z", "updated_at": "2026-03-02T13:00:00Z", "display_at": "2026-03-02T13:00:00Z"}], "components": []}],
        "scheduled_maintenances": []
    })
    .to_string();
    let server = common::start(Router::new().route(
        "/api/v2/summary.json",
        get(move || {
            let b = body.clone();
            async move { b }
        }),
    ))
    .await;
    let env = Env::new();
    std::fs::write(
        env.root.join("config.toml"),
        format!(
            "[[health.sources]]\nname = \"provider\"\nkind = \"statuspage\"\nurl = \"{}\"\ntimeout = \"5s\"\n",
            server.base
        ),
    )
    .unwrap();
    for json in [false, true] {
        let mut args = vec!["feed", "--once"];
        if json {
            args.push("--json");
        }
        // The binary runs while this runtime serves the source.
        let (ok, out, err) = tokio::task::block_in_place(|| env.run(&args));
        assert!(ok, "{err}");
        assert_clean(&format!("feed {args:?}"), &out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Outage red"), "{text}");
    }
}

/// Runs the verb with standard output on a pipe whose reader reads `lines` lines and then
/// closes it (`| head -n lines`); the verb must exit 0 and say nothing on standard error.
#[track_caller]
fn closes_quietly(env: &Env, args: &[&str], lines: usize) {
    // Standard error to a file, so that nothing but the closed pipe can hold the verb up.
    let err_path = env.root.join("stderr.txt");
    let mut child = env
        .cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    if lines > 0 {
        let mut reader = BufReader::new(stdout);
        for _ in 0..lines {
            let mut line = String::new();
            assert!(
                reader.read_line(&mut line).unwrap() > 0,
                "{args:?}: no output"
            );
        }
        drop(reader);
    } else {
        drop(stdout);
    }
    let status = child.wait().unwrap();
    let err = std::fs::read_to_string(&err_path).unwrap();
    assert!(
        status.success(),
        "{args:?} exited {status:?} after its reader left: {err}"
    );
    assert!(err.is_empty(), "{args:?} complained: {err}");
}

#[test]
fn a_reader_that_stops_early_ends_every_verb_quietly() {
    let env = Env::new();
    // Far more than a pipe holds (64 KiB), so the writer meets the closed pipe for sure.
    env.hostile_incident(2000);
    closes_quietly(&env, &["timeline", "--json"], 1);
    closes_quietly(&env, &["timeline"], 1);
    for _ in 0..3 {
        let (ok, _, err) = env.run(&["new", "--title", "another", "--playbook", "none"]);
        assert!(ok, "{err}");
    }
    closes_quietly(&env, &["list", "--json"], 0);
    closes_quietly(&env, &["list"], 0);
    closes_quietly(&env, &["playbook", "show", "cloud-mail-outage"], 1);
    closes_quietly(&env, &["playbook", "list"], 0);
    closes_quietly(&env, &["keys"], 0);
    closes_quietly(&env, &["export", "--format", "json"], 1);
    closes_quietly(&env, &["export", "--format", "md"], 1);
}

#[test]
fn a_big_trace_piped_into_head_exits_quietly() {
    let env = Env::new();
    let log: PathBuf = env.root.join("mail.log");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "2026-03-02T13:05:01.000000+00:00 mx1 postfix/qmgr[1668]: Q{i:06X}: from=<alerts@fabrikam.com>, size=45678, nrcpt=1 (queue active)\n\
             2026-03-02T13:05:31.000000+00:00 mx1 postfix/smtp[24020]: Q{i:06X}: to=<ops{i}@contoso.com>, relay=none, delay=30, delays=0.05/0.01/30/0, dsn=4.4.1, status=deferred (connect timed out)\n"
        ));
    }
    std::fs::write(&log, text).unwrap();
    let log = log.to_str().unwrap();
    closes_quietly(&env, &["trace", "--postfix-log", log, "--json"], 1);
    closes_quietly(&env, &["trace", "--postfix-log", log], 1);
    assert!(Path::new(log).exists());
}

/// `warroom … 2>&1 | head -1`: standard error closed too. An error or a warning written to it
/// is dropped, never a panic (exit 101) in place of the verb's own exit code.
#[test]
fn a_closed_standard_error_is_not_a_panic() {
    let env = Env::new();
    let closed_stderr = || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Stdio::from(writer)
    };
    // An error: there is no incident to log into.
    let st = env
        .cmd(&["log", "first NDRs"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(closed_stderr())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(1), "{st:?}");
    // A warning on the way to success: a log with a line of NULs (skipped, and said so).
    let log = env.root.join("mail.log");
    std::fs::write(
        &log,
        "Nov 30 14:00:01 mx1 postfix/qmgr[11]: 4B1C2: from=<a@example.com>, size=10, nrcpt=1 (queue active)\n\0\0\0\0\n",
    )
    .unwrap();
    let st = env
        .cmd(&["trace", "--postfix-log"])
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(closed_stderr())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0), "{st:?}");
}
