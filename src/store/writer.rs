//! The journal writer: a thread of its own that appends events to an incident's journal and
//! reads back every new line (its own and other processes'), so a caller shows a change only
//! once it is on disk. What happens is reported through a callback, so the writer knows nothing
//! of who listens (the console turns the reports into its actions).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::journal::{Journal, Reader};
use crate::domain::event::Event;

/// How often the writer looks for lines written by other processes.
const POLL: Duration = Duration::from_millis(50);

/// What the writer tells its caller.
#[derive(Debug)]
pub enum WriterReport {
    /// Lines read back from the journal (ours once written, or another process's), with the
    /// notices worth showing.
    Read {
        events: Vec<Event>,
        warnings: Vec<String>,
    },
    /// An append failed; nothing of it reached the journal.
    Failed { event: Box<Event>, error: String },
}

/// The writer thread's handle: hand it events, then `finish` to wait for them.
pub struct JournalWriter {
    path: PathBuf,
    tx: Option<mpsc::Sender<Event>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JournalWriter {
    /// Starts the thread on the journal at `path`, reading on from `reader`.
    pub fn start(
        path: PathBuf,
        reader: Reader,
        report: impl Fn(WriterReport) + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Event>();
        let journal_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || writer_thread(path, reader, rx, report))
            .ok();
        JournalWriter {
            path: journal_path,
            tx: Some(tx),
            thread,
        }
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hands an event over; if the thread has stopped it fails at once (through `failed`).
    pub fn append(&self, ev: Event, failed: impl FnOnce(WriterReport)) {
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(ev.clone()).is_ok());
        if !sent {
            failed(WriterReport::Failed {
                event: Box::new(ev),
                error: "the journal writer has stopped".into(),
            });
        }
    }

    /// Waits until every event handed over so far has been written (or has failed).
    pub fn finish(mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn writer_thread(
    path: PathBuf,
    mut reader: Reader,
    rx: mpsc::Receiver<Event>,
    report: impl Fn(WriterReport),
) {
    let mut journal: Option<Journal> = None;
    loop {
        let msg = rx.recv_timeout(POLL);
        let mut wrote = false;
        match msg {
            Ok(ev) => {
                let mut batch = vec![ev];
                batch.extend(rx.try_iter());
                for ev in batch {
                    if journal.is_none() {
                        match Journal::open(&path) {
                            Ok(j) => journal = Some(j),
                            Err(e) => {
                                tracing::error!("journal open failed: {e}");
                                report(WriterReport::Failed {
                                    event: Box::new(ev),
                                    error: e.to_string(),
                                });
                                continue;
                            }
                        }
                    }
                    if let Some(j) = journal.as_mut() {
                        match j.append(&ev) {
                            Ok(()) => wrote = true,
                            Err(e) => {
                                tracing::error!("journal append failed: {e}");
                                report(WriterReport::Failed {
                                    event: Box::new(ev),
                                    error: e.to_string(),
                                });
                            }
                        }
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                read_back(&mut reader, &report);
                return;
            }
        }
        if wrote || reader.has_more() {
            read_back(&mut reader, &report);
        }
    }
}

fn read_back(reader: &mut Reader, report: &impl Fn(WriterReport)) {
    match reader.read_new() {
        Ok(batch) => {
            for w in &batch.warnings {
                tracing::warn!("{w}");
            }
            if !batch.events.is_empty() || batch.notice.is_some() {
                report(WriterReport::Read {
                    events: batch.events,
                    warnings: batch.notice.into_iter().collect(),
                });
            }
        }
        Err(e) => tracing::warn!("journal read failed: {e}"),
    }
}
