//! Team mode through the real binary and a real `nats-server -js` on 127.0.0.1: share, join
//! (by prefix), join --list, sync, verbs that queue while the server is away, bad data
//! published straight to an incident's subject, and an event larger than the server's
//! `max_payload`.

use crate::team_server::{Desk, Nats, assert_same_events_once, eventually, id_counts};
use warroom::domain::event::{Event, EventBody};
use warroom::store::journal::Journal;

#[test]
fn share_join_list_and_sync_carry_each_change_both_ways() {
    let nats = Nats::start();
    let a = Desk::new("alice", &nats.url());
    let b = Desk::new("bob", &nats.url());
    let id = a.ok(&[
        "new",
        "--share",
        "--title",
        "Mail delayed",
        "--severity",
        "sev1",
    ]);
    // Printed exactly as `warroom new` prints it: the id alone.
    assert!(
        !id.contains(char::is_whitespace) && id.ends_with("mail-delayed"),
        "{id}"
    );
    a.ok(&["log", "MX queue growing"]);

    let list = b.ok(&["join", "--list"]);
    assert!(
        list.contains(&id) && list.contains("SEV1") && list.contains("Mail delayed"),
        "{list}"
    );
    // A unique prefix is enough.
    let joined = b.ok(&["join", &id[..12]]);
    assert_eq!(joined, id);
    let timeline = b.ok(&["timeline"]);
    assert!(timeline.contains("MX queue growing"), "{timeline}");

    b.ok(&["log", "--kind", "decision", "fail over to the second MX"]);
    let synced = a.ok(&["sync"]);
    assert_eq!(synced, "shared 0, received 1");
    let timeline = a.ok(&["timeline"]);
    assert!(
        timeline.contains("fail over to the second MX") && timeline.contains("bob"),
        "{timeline}"
    );
    // Nothing more to do either way; both journals hold the same events, once each.
    assert_eq!(a.ok(&["sync"]), "shared 0, received 0");
    assert_eq!(b.ok(&["sync"]), "shared 0, received 0");
    assert_same_events_once(&a.journal(&id), &b.journal(&id));

    // Mistakes say what to do.
    let (ok, _, err) = b.run(&["join", "no-such"]);
    assert!(!ok && err.contains("join --list"), "{err}");
    let other = a.ok(&["new", "--title", "Local only"]);
    let (ok, _, err) = a.run(&["sync", "--incident", &other]);
    assert!(!ok && err.contains("warroom share"), "{err}");
}

#[test]
fn without_a_team_table_the_verbs_say_how_to_set_it_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--config", "/dev/null", "--data-dir"])
        .arg(dir.path())
        .args(["new", "--share", "--title", "x"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("[team]"), "{err}");
    // Nothing was created.
    assert!(!dir.path().join("incidents").exists());
}

#[test]
fn verbs_queue_while_the_server_is_away_and_share_in_order_when_it_is_back() {
    let mut nats = Nats::start();
    let a = Desk::new("alice", &nats.url());
    let b = Desk::new("bob", &nats.url());
    let id = a.ok(&["new", "--share", "--title", "Queue test"]);
    b.ok(&["join", &id]);

    nats.kill();
    for n in 1..=3 {
        let (ok, _, err) = a.run(&["log", &format!("offline {n}")]);
        // The local append is what counts: the verb succeeds and says what waits.
        assert!(ok, "{err}");
        assert!(err.contains(&format!("queued: {n} to share")), "{err}");
    }
    let (ok, _, err) = a.run(&["sync"]);
    assert!(!ok && err.contains("queued: 3 to share"), "{err}");

    // The server comes back with its store: the stream is still there.
    nats.resume();
    // Any later verb shares what waited.
    a.ok(&["log", "back online"]);
    assert_eq!(b.ok(&["sync"]), "shared 0, received 4");
    let timeline = b.ok(&["timeline"]);
    let pos = |t: &str| {
        timeline
            .find(t)
            .unwrap_or_else(|| panic!("{t}: {timeline}"))
    };
    assert!(pos("offline 1") < pos("offline 2") && pos("offline 2") < pos("offline 3"));
    assert!(pos("offline 3") < pos("back online"));
    assert_same_events_once(&a.journal(&id), &b.journal(&id));
}

/// A raw message: its headers and payload.
type Raw<'a> = (Vec<(&'a str, String)>, Vec<u8>);

/// Publishes raw messages on an incident's subject, as a misbehaving client could.
async fn publish_raw(url: &str, subject: &str, msgs: Vec<Raw<'_>>) {
    let client = async_nats::connect(url).await.unwrap();
    let js = async_nats::jetstream::new(client);
    for (headers, payload) in msgs {
        let mut h = async_nats::HeaderMap::new();
        for (k, v) in headers {
            h.insert(k, v.as_str());
        }
        js.publish_with_headers(subject.to_string(), h, payload.into())
            .await
            .unwrap()
            .await
            .unwrap();
    }
}

#[test]
fn bad_data_on_the_subject_is_dropped_with_a_log_warning() {
    let nats = Nats::start();
    let a = Desk::new("alice", &nats.url());
    let b = Desk::new("bob", &nats.url());
    let id = a.ok(&["new", "--share", "--title", "Bad data"]);
    b.ok(&["join", &id]);
    let before = id_counts(&b.journal(&id)).len();

    let good_id = uuid::Uuid::now_v7();
    let event = |id: &str, by: &str, extra: &str| {
        format!(
            r#"{{"v":1,"id":"{id}","at":"2026-12-01T10:00:00Z","by":"{by}","type":"entry_added","occurred_at":"2026-12-01T10:00:00Z","kind":"note","text":"{extra}"}}"#
        )
        .into_bytes()
    };
    let fresh = || uuid::Uuid::now_v7().to_string();
    let other_opening = format!(
        r#"{{"v":1,"id":"{}","at":"2026-12-01T10:00:00Z","by":"eve","type":"incident_opened","incident":"someone-else","title":"t","severity":"sev1"}}"#,
        fresh()
    );
    let msgs = vec![
        (vec![], b"this is not json".to_vec()),
        (vec![], b"\x00\xff\xfe".to_vec()),
        (vec![], other_opening.into_bytes()),
        (
            vec![("Warroom-Incident", "someone-else".to_string())],
            event(&fresh(), "eve", "wrong header"),
        ),
        (vec![], event("not-a-uuid", "eve", "no id")),
        (vec![], event(&fresh(), "", "no author")),
        (
            vec![
                ("Warroom-Chunk", "0/999999999".to_string()),
                ("Warroom-Event", fresh()),
            ],
            b"{".to_vec(),
        ),
        (vec![], vec![b' '; 900 * 1024]),
        // A good one, with a terminal escape in its text.
        (
            vec![],
            event(&good_id.to_string(), "carol", "ok \\u001b[2J cleaned"),
        ),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(publish_raw(
        &nats.url(),
        &format!("warroom.incident.{id}"),
        msgs,
    ));

    assert_eq!(b.ok(&["sync"]), "shared 0, received 1");
    let counts = id_counts(&b.journal(&id));
    assert_eq!(counts.len(), before + 1);
    assert_eq!(counts.get(&good_id.to_string()), Some(&1));
    let journal = std::fs::read_to_string(b.journal(&id)).unwrap();
    assert!(
        !journal.contains("\\u001b") && journal.contains("cleaned"),
        "{journal}"
    );
    for bad in ["wrong header", "no id", "no author", "someone-else"] {
        assert!(!journal.contains(bad), "{bad} reached the journal");
    }
    let log = b.log_text();
    assert_eq!(log.matches("dropped message").count(), 8, "{log}");
    for why in [
        "not JSON",
        "someone-else",
        "no event id",
        "no author",
        "bad chunk",
    ] {
        assert!(log.contains(why), "no warning about {why}: {log}");
    }
    // A later sync does not read them again.
    assert_eq!(b.ok(&["sync"]), "shared 0, received 0");
    assert_eq!(b.log_text().matches("dropped message").count(), 8);
    // The console's fold of the cleaned event shows it.
    let timeline = b.ok(&["timeline"]);
    assert!(
        timeline.contains("cleaned") && timeline.contains("carol"),
        "{timeline}"
    );
}

#[test]
fn an_event_larger_than_max_payload_travels_in_chunks() {
    // A server that takes 64 KiB a message; the playbook attached is 5 times that.
    let nats = Nats::start_with("max_payload: 65536\n");
    let a = Desk::new("alice", &nats.url());
    let b = Desk::new("bob", &nats.url());
    let id = a.ok(&[
        "new",
        "--share",
        "--title",
        "Big playbook",
        "--playbook",
        "none",
    ]);
    let (_, source) = warroom::domain::playbook::BUILTIN_PLAYBOOKS[0];
    let pb_id = warroom::domain::playbook::BUILTIN_PLAYBOOKS[0].0;
    let big = format!("{source}\n# {}\n", "padding ".repeat(40_000));
    let ev = Event::new(
        chrono::Utc::now(),
        "alice",
        EventBody::PlaybookAttached {
            playbook: pb_id.to_string(),
            source: big,
        },
    );
    Journal::open(&a.journal(&id)).unwrap().append(&ev).unwrap();
    assert_eq!(a.ok(&["sync"]), "shared 1, received 0");
    b.ok(&["join", &id]);
    let line_of = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .find(|l| l.contains(&ev.id.to_string()))
            .map(str::to_string)
    };
    let (la, lb) = (line_of(&a.journal(&id)), line_of(&b.journal(&id)));
    assert!(la.as_ref().is_some_and(|l| l.len() > 300_000));
    assert_eq!(la, lb, "the large event arrived byte for byte");
    assert_same_events_once(&a.journal(&id), &b.journal(&id));
    eventually(5, "a second sync with nothing to do", || {
        b.ok(&["sync"]) == "shared 0, received 0"
    });
}

#[test]
fn kill_9_of_a_sync_while_it_publishes_an_hour_of_queued_events_loses_and_repeats_nothing() {
    let mut nats = Nats::start();
    let a = Desk::new("alice", &nats.url());
    let b = Desk::new("bob", &nats.url());
    let id = a.ok(&["new", "--share", "--title", "Offline hour"]);
    b.ok(&["join", &id]);
    // An hour cut off: many events queued on both sides.
    nats.kill();
    for (desk, n) in [(&a, 1500), (&b, 200)] {
        let mut j = Journal::open(&desk.journal(&id)).unwrap();
        for k in 0..n {
            let body = EventBody::EntryAdded {
                occurred_at: chrono::Utc::now(),
                kind: warroom::domain::incident::EntryKind::Note,
                text: format!("{} offline {k}", desk.name),
                step: None,
            };
            j.append(&Event::new(chrono::Utc::now(), desk.name.clone(), body))
                .unwrap();
        }
    }
    nats.resume();
    // `kill -9` of the sync in the middle of publishing, twice; then the server killed in the
    // middle of another.
    for pause in [40, 120] {
        let mut child = a.command().arg("sync").spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(pause));
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut child = a.command().arg("sync").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    nats.kill();
    let _ = child.wait();
    nats.resume();
    eventually(60, "alice's queue shared", || {
        a.run(&["sync"]).1.starts_with("shared 0,")
    });
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_same_events_once(&a.journal(&id), &b.journal(&id));
    assert_eq!(id_counts(&a.journal(&id)).len(), 2 + 1500 + 200);
}
