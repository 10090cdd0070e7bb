//! `warroom review` through the real binary: a stand-in editor (a script named in $EDITOR or
//! $VISUAL that writes into the file), an unchanged save, `--print`, user templates and their
//! errors, and the review in the reports (`--review-only` too).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use warroom::domain::event::EventBody;
use warroom::store::DataDir;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cfg/review-templates")).unwrap();
        std::fs::write(dir.path().join("cfg/config.toml"), "").unwrap();
        Env { dir }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
        c.arg("--data-dir")
            .arg(self.data())
            .arg("--config")
            .arg(self.dir.path().join("cfg/config.toml"))
            .env_remove("WARROOM_CONFIG")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .env("USER", "alice")
            .env("TMPDIR", self.dir.path());
        c
    }

    fn run(&self, c: &mut Command, args: &[&str]) -> Output {
        c.args(args).output().unwrap()
    }

    fn ok(&self, c: &mut Command, args: &[&str]) -> String {
        let out = self.run(c, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A stand-in editor: logs its arguments, then appends `text` to the file (its last
    /// argument), as a person would type it.
    fn editor(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        let log = self.dir.path().join(format!("{name}.args"));
        std::fs::write(
            &p,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nfor f; do :; done\nprintf '%s' '{}' >> \"$f\"\n",
                log.display(),
                text
            ),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn incident(&self) -> String {
        let id = self.ok(
            &mut self.cmd(),
            &[
                "new",
                "--title",
                "EXO inbound delayed",
                "--playbook",
                "none",
            ],
        );
        id.trim().to_string()
    }
}

fn reviews(data: &Path, id: &str) -> Vec<warroom::domain::review::ReviewVersion> {
    DataDir::new(data).load(id).unwrap().incident.reviews
}

#[test]
fn print_renders_every_section_prefilled() {
    let e = Env::new();
    let id = e.incident();
    e.ok(
        &mut e.cmd(),
        &[
            "close",
            "--summary",
            "MX record rolled back",
            "--root-cause",
            "a bad MX change",
            "--follow-up",
            "Add a second MX | bob | 2026-12-15",
        ],
    );
    let text = e.ok(&mut e.cmd(), &["review", "--print"]);
    for h in warroom::domain::review::SECTIONS.map(|(_, t)| t) {
        assert!(text.contains(&format!("\n## {h}\n")), "{h}: {text}");
    }
    assert!(text.contains("MX record rolled back"), "{text}");
    assert!(text.contains("- Severity: SEV2"), "{text}");
    assert!(text.contains("a bad MX change"), "{text}");
    assert!(
        text.contains("- Add a second MX (owner bob, due 2026-12-15)"),
        "{text}"
    );
    assert!(
        text.contains("## What went well\n\nNot written yet."),
        "{text}"
    );
    // Printing writes nothing.
    assert!(reviews(&e.data(), &id).is_empty());
}

#[test]
fn the_editor_round_trip_saves_a_version_and_an_unchanged_file_writes_nothing() {
    let e = Env::new();
    let id = e.incident();
    // A closed incident still takes its review.
    e.ok(&mut e.cmd(), &["close", "--summary", "fixed"]);
    let ed = e.editor("ed1", "\n## What went well\n\nThe runbook was right.\n");
    let out = e.ok(
        e.cmd().env("EDITOR", format!("'{}' --wait", ed.display())),
        &["review"],
    );
    assert!(out.contains("saved"), "{out}");
    // The file came last, after the editor's own argument.
    let args = std::fs::read_to_string(e.dir.path().join("ed1.args")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[0], "--wait");
    assert!(args[1].ends_with(".md"), "{args:?}");
    assert!(!Path::new(args[1]).exists(), "the draft is removed");
    let r = reviews(&e.data(), &id);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].by, "alice");
    assert_eq!(r[0].template, "default");
    assert_eq!(
        r[0].section("What went well"),
        Some("The runbook was right.")
    );
    assert_eq!(r[0].section("Summary"), Some("fixed"));
    assert_eq!(r[0].section("What was hard"), None);
    // Saved text wins over the prefill from then on.
    let text = e.ok(&mut e.cmd(), &["review", "--print"]);
    assert!(
        text.contains("## What went well\n\nThe runbook was right."),
        "{text}"
    );
    // An editor that changes nothing: nothing written, and it says so.
    let out = e.ok(e.cmd().env("EDITOR", "true"), &["review"]);
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(reviews(&e.data(), &id).len(), 1);
    // $VISUAL wins over $EDITOR; a second save is a second version.
    let vis = e.editor("vis", "\n## Where we got lucky\n\nIt was a Sunday.\n");
    e.ok(
        e.cmd()
            .env("VISUAL", vis.display().to_string())
            .env("EDITOR", "false"),
        &["review"],
    );
    let r = reviews(&e.data(), &id);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].section("Where we got lucky"), Some("It was a Sunday."));
    assert_eq!(
        r[1].section("What went well"),
        Some("The runbook was right.")
    );
    let events = DataDir::new(e.data()).load_events(&id).unwrap().1;
    assert_eq!(
        events
            .iter()
            .filter(|ev| matches!(ev.body, EventBody::ReviewSaved { .. }))
            .count(),
        2
    );
    // The reports carry the review after the timeline.
    let md = e.ok(&mut e.cmd(), &["export", "--format", "md"]);
    let (t, rv) = (
        md.find("## Timeline").unwrap(),
        md.find("## Review").unwrap(),
    );
    assert!(t < rv, "{md}");
    assert!(md.contains("### Where we got lucky"), "{md}");
    assert!(md.contains("It was a Sunday."), "{md}");
    assert!(md.contains("2 version(s) kept"), "{md}");
    let html = e.ok(&mut e.cmd(), &["export", "--format", "html"]);
    assert!(html.contains("It was a Sunday."), "{html}");
    let json: serde_json::Value =
        serde_json::from_str(&e.ok(&mut e.cmd(), &["export", "--format", "json"])).unwrap();
    let sections = json["incident"]["review"]["sections"].as_array().unwrap();
    let lucky = sections
        .iter()
        .find(|s| s["title"] == "Where we got lucky")
        .unwrap();
    assert_eq!(lucky["text"], "It was a Sunday.");
    assert_eq!(
        json["incident"]["review"]["versions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let only = e.ok(&mut e.cmd(), &["export", "--format", "md", "--review-only"]);
    assert!(
        only.starts_with("# Post-incident review: EXO inbound delayed"),
        "{only}"
    );
    assert!(
        only.contains("## Where we got lucky\n\nIt was a Sunday."),
        "{only}"
    );
    assert!(
        only.contains("## What was hard\n\nNot written yet."),
        "{only}"
    );
    assert!(!only.contains("## Timeline\n\n|"), "{only}");
    let out = e.run(
        &mut e.cmd(),
        &["export", "--format", "html", "--review-only"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format md"));
}

#[test]
fn a_failing_or_missing_editor_saves_nothing_and_keeps_the_text() {
    let e = Env::new();
    let id = e.incident();
    let out = e.run(&mut e.cmd(), &["review"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("$EDITOR") && err.contains("--print"), "{err}");
    let out = e.run(e.cmd().env("EDITOR", "false"), &["review"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nothing was saved"), "{err}");
    assert!(err.contains("kept in"), "{err}");
    // Too long a review is refused, not cut, and the text is kept.
    let big = e.dir.path().join("big.sh");
    std::fs::write(
        &big,
        "#!/bin/sh\nfor f; do :; done\nhead -c 300000 /dev/zero | tr '\\0' x >> \"$f\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = e.run(e.cmd().env("EDITOR", &big), &["review"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the limit is 256 KiB"), "{err}");
    let kept = err.rsplit("kept in ").next().unwrap().trim();
    assert!(std::fs::metadata(kept).unwrap().len() > 300_000, "{kept}");
    assert!(reviews(&e.data(), &id).is_empty());
}

#[test]
fn user_templates_override_by_name_and_errors_name_file_and_line() {
    let e = Env::new();
    e.incident();
    let dir = e.dir.path().join("cfg/review-templates");
    std::fs::write(
        dir.join("short.md"),
        "# {{ incident.title }}\n\n## Lessons\n\n{{ sections.went_well }}\n\n## Summary\n\n{{ sections.summary }}\n",
    )
    .unwrap();
    let text = e.ok(&mut e.cmd(), &["review", "--print", "--template", "short"]);
    assert_eq!(
        text,
        "# EXO inbound delayed\n\n## Lessons\n\nNot written yet.\n\n## Summary\n\nNot written yet.\n"
    );
    // default.md replaces the built-in.
    std::fs::write(dir.join("default.md"), "## Only this\n\nhello\n").unwrap();
    let text = e.ok(&mut e.cmd(), &["review", "--print"]);
    assert_eq!(text, "## Only this\n\nhello\n");
    // A template with an error names its file and line.
    std::fs::write(dir.join("broken.md"), "## A\n\n{{ incident.titel.x }}\n").unwrap();
    let out = e.run(&mut e.cmd(), &["review", "--print", "--template", "broken"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.md, line 3"), "{err}");
    // An unknown name lists the known ones.
    let out = e.run(&mut e.cmd(), &["review", "--print", "--template", "nope"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("known ones are default, broken, short"),
        "{err}"
    );
}
