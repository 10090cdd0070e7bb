//! `warroom set`: the header changes the console can make, from a script.

use std::path::Path;

use crate::common;
use warroom::domain::event::EventBody;
use warroom::domain::incident::{Role, Severity, Status};
use warroom::store::DataDir;

/// Runs the binary as alice on data dir `data`, with no config.
fn run(data: &Path, args: &[&str]) -> (bool, String, String) {
    common::run_warroom(data, Path::new("/dev/null"), args, &[])
}

fn new_incident(d: &Path) -> String {
    let (ok, id, err) = run(
        d,
        &[
            "new",
            "--title",
            "EXO inbound delayed",
            "--playbook",
            "none",
        ],
    );
    assert!(ok, "{err}");
    id.trim().to_string()
}

#[test]
fn set_writes_one_event_per_changed_field_and_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let data = DataDir::new(d);
    let before = data.load_events(&id).unwrap().1.len();
    let (ok, out, err) = run(
        d,
        &[
            "set",
            "--incident",
            &id,
            "--severity",
            "sev1",
            "--status",
            "identified",
            "--title",
            "EXO down",
            "--role",
            "commander=alice",
            "--role",
            "scribe=dana",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "title: EXO inbound delayed → EXO down\nseverity: SEV2 → SEV1\nstatus: investigating → identified\ncommander: alice\nscribe: dana\n"
    );
    let (inc, events, _) = data.load_events(&id).unwrap();
    assert_eq!(events.len(), before + 5);
    assert_eq!(inc.severity, Severity::Sev1);
    assert_eq!(inc.status, Status::Identified);
    assert_eq!(inc.title, "EXO down");
    assert_eq!(inc.roles[&Role::Scribe], "dana");

    // The same values again: nothing written, and it says so.
    let (ok, out, err) = run(d, &["set", "--severity", "1", "--role", "scribe=dana"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("nothing changed"), "{out}");
    assert_eq!(data.load_events(&id).unwrap().1.len(), before + 5);

    // Only what differs is written; an empty name clears a role.
    let (ok, out, err) = run(
        d,
        &["set", "--severity", "sev1", "--role", "scribe=", "--json"],
    );
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["changed"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["changed"][0]["type"], "role_set");
    assert_eq!(doc["changed"][0]["text"], "scribe: cleared");
    assert_eq!(doc["roles"]["commander"], "alice");
    let (inc, events, _) = data.load_events(&id).unwrap();
    assert!(!inc.roles.contains_key(&Role::Scribe));
    let last = events.last().unwrap();
    assert_eq!(
        last.body,
        EventBody::RoleSet {
            role: Role::Scribe,
            person: String::new()
        }
    );
    assert_eq!(last.by, "alice");
}

#[test]
fn set_says_what_words_are_valid_and_writes_nothing_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let data = DataDir::new(d);
    let before = data.load_events(&id).unwrap().1.len();
    for (args, says) in [
        (vec!["set", "--severity", "sev9"], "sev1"),
        (vec!["set", "--status", "fixed"], "mitigated"),
        (vec!["set", "--role", "boss=bob"], "commander"),
        (vec!["set", "--role", "commander"], "ROLE=NAME"),
        (
            vec!["set", "--role", "scribe=a", "--role", "scribe=b"],
            "twice",
        ),
        (vec!["set", "--title", "  "], "--title"),
        (vec!["set"], "nothing to set"),
        // A good change beside a bad one: nothing at all is written.
        (
            vec!["set", "--title", "new", "--status", "fixed"],
            "investigating",
        ),
    ] {
        let (ok, _, err) = run(d, &args);
        assert!(!ok, "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(data.load_events(&id).unwrap().1.len(), before);
}

#[test]
fn set_is_refused_on_a_closed_incident() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = new_incident(d);
    let (ok, _, err) = run(d, &["close", "--summary", "fixed"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(d, &["set", "--incident", &id, "--severity", "sev1"]);
    assert!(!ok);
    assert!(
        err.contains("closed") && err.contains("warroom reopen"),
        "{err}"
    );
    let inc = DataDir::new(d).load(&id).unwrap().incident;
    assert_eq!(inc.severity, Severity::Sev2);
}
