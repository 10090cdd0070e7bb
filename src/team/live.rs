//! The console's team task: while the console is open on a shared incident it publishes what
//! the journal gains, appends what the stream brings (the console's journal reader then shows
//! it, as it shows any other writer's lines), keeps this console's presence entry fresh, and
//! reports its state (online or not, how many events wait, who is here). When the server goes
//! away it keeps trying; on its return it shares what waited, in order, and catches up.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use uuid::Uuid;

use futures::StreamExt;
use tokio::sync::watch;

use super::TeamError;
use super::connect::Patience;
use super::intake::Intake;
use super::outbox::JournalIds;
use super::presence::{self, Here};
use super::stream;
use super::sync::{Folder, Link, note_received, push, push_skipping, store_received};
use crate::domain::team_config::TeamConfig;

/// What the console shows of team mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveStatus {
    pub online: bool,
    /// Local events not yet in the stream.
    pub to_share: usize,
    /// Who has the incident open (this console included), most recently seen first.
    pub here: Vec<Here>,
    /// Why the last attempt failed, when offline.
    pub problem: Option<String>,
}

/// How often the journal is looked at for new local lines.
const LOOK: Duration = Duration::from_millis(25);
/// How often what came from the stream is written into the outbox.
const NOTE_EVERY: Duration = Duration::from_secs(1);
/// The most messages stored in one go.
const BATCH: usize = 512;

/// The running task: set the role shown to others, stop it.
pub struct LiveHandle {
    role: watch::Sender<String>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl LiveHandle {
    /// The role this console's person holds now (`commander`, …; empty for none).
    pub fn set_role(&self, role: &str) {
        self.role.send_if_modified(|r| {
            if r != role {
                *r = role.to_string();
                true
            } else {
                false
            }
        });
    }

    /// Shares what waits (for at most `grace`), leaves the presence bucket, and stops.
    pub async fn finish(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// Starts the task for `folder` (which must be shared) inside the current runtime.
pub fn start(
    cfg: TeamConfig,
    folder: Folder,
    name: String,
    report: impl Fn(LiveStatus) + Send + Sync + 'static,
) -> LiveHandle {
    let (role_tx, role_rx) = watch::channel(String::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(run(cfg, folder, name, role_rx, stop_rx, report));
    LiveHandle {
        role: role_tx,
        stop: stop_tx,
        task,
    }
}

struct Me {
    key: String,
    name: String,
    host: String,
    role: watch::Receiver<String>,
}

impl Me {
    fn here(&self) -> Here {
        Here {
            name: self.name.clone(),
            role: self.role.borrow().clone(),
            host: self.host.clone(),
            seen: chrono::Utc::now(),
        }
    }
}

async fn run(
    cfg: TeamConfig,
    folder: Folder,
    name: String,
    role: watch::Receiver<String>,
    mut stop: watch::Receiver<bool>,
    report: impl Fn(LiveStatus) + Send + Sync + 'static,
) {
    let session = format!("{:016x}", rand::random::<u64>());
    let me = Me {
        key: presence::key(&folder.id, &session),
        name,
        host: presence::host_name(),
        role,
    };
    let offline = |problem: Option<String>| LiveStatus {
        online: false,
        to_share: folder.waiting(),
        here: Vec::new(),
        problem,
    };
    report(offline(None));
    let link = match Link::open(&cfg, Patience::Live).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!("team: {e}");
            report(offline(Some(e.to_string())));
            // A mistake in the config: nothing to retry until the console is opened again.
            let _ = stop.changed().await;
            return;
        }
    };
    // Ids appended from the stream, not yet written into the outbox, and how far the stream
    // was read: written at most once a second (and on the way out).
    let mut got = Received::default();
    // What was said while offline: said again only when it changes.
    let mut said: Option<LiveStatus> = None;
    let mut problem: Option<String> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        if link.client.connection_state() != async_nats::connection::State::Connected {
            let now = offline(problem.clone());
            if said.as_ref() != Some(&now) {
                report(now.clone());
                said = Some(now);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let r = connected(&link, &folder, &me, &mut stop, &report, &mut got).await;
        got.note(&folder).await;
        match r {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!("team: {e}");
                problem = Some(e.to_string());
                let now = offline(problem.clone());
                report(now.clone());
                said = Some(now);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
    // Leaving: share what the last moments wrote, and say goodbye.
    if link.client.connection_state() == async_nats::connection::State::Connected {
        let _ = push(&link, &folder).await;
        if let Ok(kv) = presence::bucket(&link.js).await {
            presence::leave(&kv, &me.key).await;
        }
        let _ = link.client.flush().await;
    }
}

/// What came from the stream since the outbox was last written.
#[derive(Default)]
struct Received {
    ids: HashSet<Uuid>,
    read_to: u64,
    noted: Option<Instant>,
}

impl Received {
    /// Writes it into the outbox (never fails the task: a lost note only repeats work).
    async fn note(&mut self, folder: &Folder) {
        if self.ids.is_empty() && self.read_to == 0 {
            return;
        }
        match note_received(folder, &self.ids, self.read_to).await {
            Ok(()) => {
                self.ids.clear();
                self.noted = Some(Instant::now());
            }
            Err(e) => tracing::warn!("team: {e}"),
        }
    }

    fn due(&self) -> bool {
        self.noted.is_none_or(|t| t.elapsed() >= NOTE_EVERY)
    }
}

/// One connected stretch: catch up, then follow the stream and the journal until the
/// connection drops (an error) or the console quits (`Ok`).
async fn connected(
    link: &Link,
    folder: &Folder,
    me: &Me,
    stop: &mut watch::Receiver<bool>,
    report: &(impl Fn(LiveStatus) + Send + Sync),
    got: &mut Received,
) -> Result<(), TeamError> {
    let s = link.stream(&folder.id).await?;
    let kv = presence::bucket(&link.js).await?;
    presence::announce(&kv, &me.key, &me.here()).await?;
    push_skipping(link, folder, &got.ids).await?;
    let from = super::outbox::Outbox::load(&folder.dir)
        .ok()
        .flatten()
        .unwrap_or_default()
        .pulled_seq
        .max(got.read_to)
        + 1;
    let mut messages = stream::ordered(&s, from).await?;
    let mut intake = Intake::new(&folder.id);
    let mut known = JournalIds::default();
    let mut look = tokio::time::interval(LOOK);
    let mut beat = tokio::time::interval(presence::REFRESH);
    let mut journal_len = 0u64;
    let mut here = presence::who(&kv, &folder.id).await.unwrap_or_default();
    let mut last_report = None;
    let mut to_share = folder.waiting_except(&got.ids);
    loop {
        let status = LiveStatus {
            online: true,
            to_share,
            here: here.clone(),
            problem: None,
        };
        if last_report.as_ref() != Some(&status) {
            report(status.clone());
            last_report = Some(status);
        }
        tokio::select! {
            m = messages.next() => {
                let Some(m) = m else {
                    return Err(TeamError::Unreachable("the stream ended".into()));
                };
                let mut batch = vec![m];
                while batch.len() < BATCH {
                    match futures::FutureExt::now_or_never(messages.next()) {
                        Some(Some(m)) => batch.push(m),
                        _ => break,
                    }
                }
                let mut events = Vec::new();
                let mut last = 0;
                for m in batch {
                    let m = m.map_err(|e| TeamError::Unreachable(e.to_string()))?;
                    let seq = m
                        .info()
                        .map_err(|e| TeamError::Unreachable(e.to_string()))?
                        .stream_sequence;
                    last = seq;
                    events.extend(intake.take(&stream::Received {
                        seq,
                        headers: m.headers.clone(),
                        payload: m.payload.to_vec(),
                    }));
                }
                let added = store_received(folder, &mut known, events, 0, false).await?;
                got.ids.extend(added);
                got.read_to = got.read_to.max(intake.settled(last));
                if got.due() {
                    got.note(folder).await;
                }
            }
            _ = look.tick() => {
                if link.client.connection_state() != async_nats::connection::State::Connected {
                    return Err(TeamError::Unreachable("the connection dropped".into()));
                }
                let len = std::fs::metadata(&folder.journal).map(|m| m.len()).unwrap_or(0);
                if len != journal_len {
                    journal_len = len;
                    push_skipping(link, folder, &got.ids).await?;
                    to_share = folder.waiting_except(&got.ids);
                }
            }
            _ = beat.tick() => {
                presence::announce(&kv, &me.key, &me.here()).await?;
                here = presence::who(&kv, &folder.id).await?;
                if got.due() {
                    got.note(folder).await;
                }
            }
            _ = stop.changed() => return Ok(()),
        }
    }
}
