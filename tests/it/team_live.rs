//! The console's team task (`team::live`), two of them in this process on two data folders, as
//! two consoles run them, against a real `nats-server -js`: live sync both ways, presence, the
//! server killed and started again while both publish, conflicting changes made while cut off
//! converging once the server is back. The journal is appended as the console's writer does.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{Role, Severity, Status};
use warroom::domain::team_config::{TeamConfig, Urls};
use warroom::store::journal::Journal;
use warroom::team::live::{LiveHandle, LiveStatus, start};
use warroom::team::sync::Folder;

use crate::team_server::{Desk, Nats, assert_same_events_once, eventually, id_counts};

struct Console {
    handle: Option<LiveHandle>,
    status: Arc<Mutex<LiveStatus>>,
}

impl Console {
    fn open(rt: &tokio::runtime::Runtime, desk: &Desk, url: &str, id: &str) -> Console {
        let cfg = TeamConfig {
            url: Some(Urls::One(url.to_string())),
            ..Default::default()
        };
        let folder = Folder::new(id, &desk.data().join("incidents").join(id));
        let status = Arc::new(Mutex::new(LiveStatus::default()));
        let s = status.clone();
        let _in = rt.enter();
        let handle = start(cfg, folder, desk.name.clone(), move |st| {
            *s.lock().unwrap() = st;
        });
        Console {
            handle: Some(handle),
            status,
        }
    }

    fn status(&self) -> LiveStatus {
        self.status.lock().unwrap().clone()
    }

    fn close(&mut self, rt: &tokio::runtime::Runtime) {
        if let Some(h) = self.handle.take() {
            rt.block_on(h.finish(Duration::from_secs(3)));
        }
    }
}

fn append(desk: &Desk, id: &str, at: chrono::DateTime<Utc>, body: EventBody) -> Event {
    let ev = Event::new(at, desk.name.clone(), body);
    Journal::open(&desk.journal(id))
        .unwrap()
        .append(&ev)
        .unwrap();
    ev
}

fn note(text: &str) -> EventBody {
    EventBody::EntryAdded {
        occurred_at: Utc::now(),
        kind: warroom::domain::incident::EntryKind::Note,
        text: text.into(),
        step: None,
    }
}

fn has(desk: &Desk, id: &str, ev: &Event) -> bool {
    id_counts(&desk.journal(id)).contains_key(&ev.id.to_string())
}

fn pair(nats: &Nats) -> (Desk, Desk, String) {
    let a = Desk::new("alice", &nats.url());
    let b = Desk::new("bob", &nats.url());
    let id = a.ok(&["new", "--share", "--title", "Live"]);
    b.ok(&["join", &id]);
    (a, b, id)
}

#[test]
fn a_change_in_one_console_reaches_the_other_and_presence_shows_both() {
    let nats = Nats::start();
    let (a, b, id) = pair(&nats);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ca = Console::open(&rt, &a, &nats.url(), &id);
    let mut cb = Console::open(&rt, &b, &nats.url(), &id);
    eventually(10, "both online and present", || {
        let (sa, sb) = (ca.status(), cb.status());
        sa.online && sb.online && sa.here.len() == 2 && sb.here.len() == 2
    });
    let names: Vec<String> = ca.status().here.iter().map(|h| h.name.clone()).collect();
    assert!(names.contains(&"alice".into()) && names.contains(&"bob".into()));

    let ev = append(&a, &id, Utc::now(), note("from alice"));
    eventually(10, "alice's note in bob's journal", || has(&b, &id, &ev));
    let ev = append(&b, &id, Utc::now(), note("from bob"));
    eventually(10, "bob's note in alice's journal", || has(&a, &id, &ev));
    eventually(5, "nothing left to share", || {
        ca.status().to_share == 0 && cb.status().to_share == 0
    });
    assert_same_events_once(&a.journal(&id), &b.journal(&id));

    // A console that quits leaves the presence bucket.
    cb.close(&rt);
    eventually(10, "bob gone from alice's presence list", || {
        ca.status().here.iter().all(|h| h.name != "bob")
    });
    ca.close(&rt);
}

#[test]
fn the_server_killed_and_restarted_while_both_publish_loses_and_repeats_nothing() {
    let mut nats = Nats::start();
    let (a, b, id) = pair(&nats);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ca = Console::open(&rt, &a, &nats.url(), &id);
    let mut cb = Console::open(&rt, &b, &nats.url(), &id);
    eventually(10, "both online", || {
        ca.status().online && cb.status().online
    });
    let mut written = Vec::new();
    for round in 0..3 {
        for n in 0..40 {
            written.push(append(&a, &id, Utc::now(), note(&format!("a {round}.{n}"))));
            written.push(append(&b, &id, Utc::now(), note(&format!("b {round}.{n}"))));
            if n == 20 {
                // In the middle of it all: `kill -9` of the server, and back after a while.
                nats.kill();
            }
        }
        eventually(10, "both see the server gone", || {
            !ca.status().online && !cb.status().online
        });
        // An hour offline is many events queued: a few hundred here.
        for n in 0..150 {
            written.push(append(
                &a,
                &id,
                Utc::now(),
                note(&format!("offline {round}.{n}")),
            ));
        }
        eventually(5, "alice counts what waits", || ca.status().to_share >= 150);
        nats.resume();
    }
    eventually(30, "every event in both journals", || {
        written.iter().all(|e| has(&a, &id, e) && has(&b, &id, e))
    });
    eventually(10, "nothing left to share", || {
        let (sa, sb) = (ca.status(), cb.status());
        sa.online && sb.online && sa.to_share == 0 && sb.to_share == 0
    });
    assert_same_events_once(&a.journal(&id), &b.journal(&id));
    ca.close(&rt);
    cb.close(&rt);
    // A third responder joining now gets the same, once each.
    let c = Desk::new("carol", &nats.url());
    c.ok(&["join", &id]);
    assert_same_events_once(&a.journal(&id), &c.journal(&id));
}

fn export_without_generated_at(desk: &Desk, id: &str) -> serde_json::Value {
    let out = desk.ok(&["export", "--incident", id, "--format", "json"]);
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v.as_object_mut().unwrap().remove("generated_at");
    v
}

#[test]
fn conflicting_changes_made_while_cut_off_converge_once_reconnected() {
    let mut nats = Nats::start();
    let (a, b, id) = pair(&nats);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ca = Console::open(&rt, &a, &nats.url(), &id);
    let mut cb = Console::open(&rt, &b, &nats.url(), &id);
    eventually(10, "both online", || {
        ca.status().online && cb.status().online
    });
    nats.kill();
    eventually(10, "both offline", || {
        !ca.status().online && !cb.status().online
    });
    let t = Utc::now();
    let s = chrono::Duration::seconds;
    // Each changes the same header fields, in a different order, while cut off.
    append(
        &a,
        &id,
        t,
        EventBody::SeveritySet {
            severity: Severity::Sev1,
        },
    );
    append(
        &b,
        &id,
        t + s(1),
        EventBody::SeveritySet {
            severity: Severity::Sev3,
        },
    );
    append(
        &b,
        &id,
        t + s(2),
        EventBody::StatusSet {
            status: Status::Identified,
        },
    );
    append(
        &a,
        &id,
        t + s(3),
        EventBody::StatusSet {
            status: Status::Mitigated,
        },
    );
    append(
        &a,
        &id,
        t + s(4),
        EventBody::TitleSet {
            title: "Alice's title".into(),
        },
    );
    append(
        &b,
        &id,
        t + s(5),
        EventBody::TitleSet {
            title: "Bob's title".into(),
        },
    );
    append(
        &b,
        &id,
        t + s(6),
        EventBody::RoleSet {
            role: Role::Commander,
            person: "bob".into(),
        },
    );
    append(
        &a,
        &id,
        t + s(7),
        EventBody::RoleSet {
            role: Role::Commander,
            person: "alice".into(),
        },
    );
    nats.resume();
    eventually(10, "the same events in both journals", || {
        id_counts(&a.journal(&id))
            .keys()
            .eq(id_counts(&b.journal(&id)).keys())
    });
    // The measure: identical exports within 2 s.
    eventually(2, "identical exports", || {
        export_without_generated_at(&a, &id) == export_without_generated_at(&b, &id)
    });
    assert_same_events_once(&a.journal(&id), &b.journal(&id));
    ca.close(&rt);
    cb.close(&rt);
}

#[test]
fn a_console_opened_while_the_server_is_down_works_offline_and_shares_when_it_comes() {
    let mut nats = Nats::start();
    let (a, b, id) = pair(&nats);
    nats.kill();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ca = Console::open(&rt, &a, &nats.url(), &id);
    let ev = append(&a, &id, Utc::now(), note("written offline"));
    eventually(10, "offline with one to share", || {
        let s = ca.status();
        !s.online && s.to_share == 1
    });
    nats.resume();
    eventually(15, "online, nothing to share", || {
        let s = ca.status();
        s.online && s.to_share == 0
    });
    b.ok(&["sync"]);
    assert!(has(&b, &id, &ev));
    ca.close(&rt);
}
