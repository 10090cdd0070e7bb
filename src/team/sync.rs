//! Sharing one incident folder with its stream: push what waits (in journal order, each event
//! acknowledged before the outbox moves past it), and store what the stream has that the
//! journal lacks (original id, time and author; an id already in the journal is skipped).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use async_nats::jetstream;
use uuid::Uuid;

use super::TeamError;
use super::connect::{Patience, connect};
use super::intake::Intake;
use super::outbox::{JournalIds, Outbox, SyncLock, lines_from};
use super::stream;
use crate::domain::team_config::TeamConfig;
use crate::store::journal::Journal;

/// A connection to the team's server, ready for JetStream.
#[derive(Clone)]
pub struct Link {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    replicas: usize,
}

impl Link {
    pub async fn open(cfg: &TeamConfig, patience: Patience) -> Result<Link, TeamError> {
        let client = connect(cfg, patience).await?;
        Ok(Link {
            js: stream::context(client.clone(), cfg.domain.as_deref()),
            client,
            replicas: cfg.replicas.unwrap_or(1),
        })
    }

    /// The largest message the server takes (known once connected).
    pub fn max_payload(&self) -> usize {
        match self.client.server_info().max_payload {
            0 => 1024 * 1024,
            n => n,
        }
    }

    pub async fn stream(&self, incident: &str) -> Result<jetstream::stream::Stream, TeamError> {
        stream::ensure(&self.js, incident, self.replicas).await
    }
}

/// An incident folder in team mode.
#[derive(Debug, Clone)]
pub struct Folder {
    pub id: String,
    pub dir: PathBuf,
    pub journal: PathBuf,
}

impl Folder {
    pub fn new(id: &str, dir: &Path) -> Self {
        Folder {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            journal: dir.join("journal.jsonl"),
        }
    }

    fn outbox(&self) -> Result<Outbox, TeamError> {
        Ok(Outbox::load(&self.dir)
            .map_err(|e| self.io(e))?
            .unwrap_or_default())
    }

    fn io(&self, e: std::io::Error) -> TeamError {
        TeamError::Io(format!(
            "incident {}: {}",
            self.id,
            crate::store::fsutil::short_reason(&e)
        ))
    }

    /// How many local events wait to be shared.
    pub fn waiting(&self) -> usize {
        self.waiting_except(&HashSet::new())
    }

    /// How many local events wait to be shared, not counting `received` (from the stream).
    pub fn waiting_except(&self, received: &HashSet<Uuid>) -> usize {
        let Ok(Some(ob)) = Outbox::load(&self.dir) else {
            return 0;
        };
        super::outbox::waiting(&self.journal, &ob)
            .map(|w| w.iter().filter(|l| !received.contains(&l.id)).count())
            .unwrap_or(0)
    }

    /// Marks the folder as shared (an outbox with nothing pushed yet), if it is not already.
    pub fn mark_shared(&self) -> Result<(), TeamError> {
        if !Outbox::is_shared(&self.dir) {
            Outbox::default().save(&self.dir).map_err(|e| self.io(e))?;
        }
        Ok(())
    }
}

/// How many events to publish between two saves of the outbox.
const SAVE_EVERY: usize = 32;

/// Publishes what waits, in journal order; returns how many were published. Stops at the
/// first failure, keeping what was acknowledged.
pub async fn push(link: &Link, folder: &Folder) -> Result<usize, TeamError> {
    push_skipping(link, folder, &HashSet::new()).await
}

/// [`push`], also skipping `received`: events this process appended from the stream and has
/// not yet written into the outbox (the console's task writes it at most once a second).
pub async fn push_skipping(
    link: &Link,
    folder: &Folder,
    received: &HashSet<Uuid>,
) -> Result<usize, TeamError> {
    let _lock = SyncLock::acquire(&folder.dir)
        .await
        .map_err(|e| folder.io(e))?;
    let mut ob = folder.outbox()?;
    let (lines, _) = lines_from(&folder.journal, ob.pushed_to).map_err(|e| folder.io(e))?;
    if lines.is_empty() {
        return Ok(0);
    }
    let max_payload = link.max_payload();
    let from_stream: HashSet<Uuid> = ob.from_stream.iter().copied().collect();
    let mut done = ob.pushed_to;
    let mut published = 0usize;
    let mut since_save = 0usize;
    let mut result = Ok(());
    for line in lines {
        if !from_stream.contains(&line.id) && !received.contains(&line.id) {
            if let Err(e) =
                stream::publish_line(&link.js, max_payload, &folder.id, line.id, &line.bytes).await
            {
                result = Err(e);
                break;
            }
            published += 1;
            since_save += 1;
        }
        done = line.end;
        if since_save >= SAVE_EVERY {
            ob.advance(&folder.journal, done);
            ob.save(&folder.dir).map_err(|e| folder.io(e))?;
            since_save = 0;
        }
    }
    let before = ob.from_stream.len();
    ob.advance(&folder.journal, done);
    // Moving past received events alone is saved only now and then: losing it repeats no
    // publish (they are skipped by id), it only costs a longer look next time.
    if since_save > 0 || before - ob.from_stream.len() >= SAVE_EVERY {
        ob.save(&folder.dir).map_err(|e| folder.io(e))?;
    }
    result.map(|()| published)
}

/// Appends received events the journal lacks (in one write, synced) and records how far the
/// stream was read; returns the ids appended. With `save` false the outbox is not written
/// (the caller skips the ids it got when it pushes, and saves later): a crash before that
/// only repeats work.
pub async fn store_received(
    folder: &Folder,
    known: &mut JournalIds,
    events: Vec<(Uuid, Vec<u8>)>,
    read_to: u64,
    save: bool,
) -> Result<Vec<Uuid>, TeamError> {
    let _lock = SyncLock::acquire(&folder.dir)
        .await
        .map_err(|e| folder.io(e))?;
    known.refresh(&folder.journal).map_err(|e| folder.io(e))?;
    let mut bytes = Vec::new();
    let mut added = Vec::new();
    for (id, line) in events {
        if known.contains(&id) || added.contains(&id) {
            continue;
        }
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
        added.push(id);
    }
    if !bytes.is_empty() {
        let jerr = |e| TeamError::Io(format!("incident {}: {e}", folder.id));
        Journal::open(&folder.journal)
            .map_err(jerr)?
            .append_line(bytes)
            .map_err(jerr)?;
        for id in &added {
            known.insert(*id);
        }
    }
    if save {
        let mut ob = folder.outbox()?;
        ob.from_stream.extend(added.iter().copied());
        ob.pulled_seq = ob.pulled_seq.max(read_to);
        ob.save(&folder.dir).map_err(|e| folder.io(e))?;
    }
    Ok(added)
}

/// Writes into the outbox the ids received and the stream position, as
/// [`store_received`] with `save` does.
pub async fn note_received(
    folder: &Folder,
    received: &HashSet<Uuid>,
    read_to: u64,
) -> Result<(), TeamError> {
    let _lock = SyncLock::acquire(&folder.dir)
        .await
        .map_err(|e| folder.io(e))?;
    let mut ob = folder.outbox()?;
    // Only those still ahead of the mark matter.
    let (lines, _) = lines_from(&folder.journal, ob.pushed_to).map_err(|e| folder.io(e))?;
    let known: HashSet<Uuid> = ob.from_stream.iter().copied().collect();
    ob.from_stream.extend(
        lines
            .iter()
            .map(|l| l.id)
            .filter(|id| received.contains(id) && !known.contains(id)),
    );
    ob.pulled_seq = ob.pulled_seq.max(read_to);
    ob.save(&folder.dir).map_err(|e| folder.io(e))
}

/// Reads what the stream has after the outbox's mark, and stores it.
pub async fn pull(link: &Link, folder: &Folder) -> Result<usize, TeamError> {
    let stream = link.stream(&folder.id).await?;
    let from = folder.outbox()?.pulled_seq + 1;
    let mut intake = Intake::new(&folder.id);
    let mut got = Vec::new();
    let mut last = from.saturating_sub(1);
    stream::read_from(&stream, from, |m| {
        last = m.seq;
        got.extend(intake.take(&m));
        true
    })
    .await?;
    let mut known = JournalIds::default();
    Ok(
        store_received(folder, &mut known, got, intake.settled(last), true)
            .await?
            .len(),
    )
}

/// What one sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Synced {
    pub pushed: usize,
    pub pulled: usize,
}

/// Push what waits, pull what is new, once.
pub async fn sync_once(link: &Link, folder: &Folder) -> Result<Synced, TeamError> {
    link.stream(&folder.id).await?;
    let pushed = push(link, folder).await?;
    let pulled = pull(link, folder).await?;
    // Moves the outbox past what was just received.
    push(link, folder).await?;
    Ok(Synced { pushed, pulled })
}
