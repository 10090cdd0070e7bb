//! The one loop: terminal events, results from background work, the clock and signals, all
//! turned into [`Action`]s for [`update`]; effects carried out; frames drawn when something
//! changed, at most one every 10 ms.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::time::Duration as StdDuration;

use chrono::Utc;
use crossterm::event::{
    Event as TermEvent, EventStream, KeyEventKind, MouseButton, MouseEventKind,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::app::{Action, AppState, Effect, key_to_action, update};
use super::ui;
use crate::domain::event::Event;
use crate::store::journal::{Journal, Reader};

const FRAME_GAP: StdDuration = StdDuration::from_millis(10);
const JOURNAL_POLL: StdDuration = StdDuration::from_millis(250);

/// Sends our events to the journal on a thread of its own and reads back every new line (ours
/// and other processes'), so the console shows a change only once it is on disk.
pub struct JournalWorker {
    path: PathBuf,
    tx: Option<std_mpsc::Sender<Event>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JournalWorker {
    pub fn start(path: PathBuf, reader: Reader, actions: mpsc::UnboundedSender<Action>) -> Self {
        let (tx, rx) = std_mpsc::channel::<Event>();
        let journal_path = path.clone();
        let thread = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || journal_thread(path, reader, rx, actions))
            .ok();
        JournalWorker {
            path: journal_path,
            tx: Some(tx),
            thread,
        }
    }

    pub fn append(&self, ev: Event, actions: &mpsc::UnboundedSender<Action>) {
        let sent = self
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(ev.clone()).is_ok());
        if !sent {
            let _ = actions.send(Action::SaveFailed {
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

fn journal_thread(
    path: PathBuf,
    mut reader: Reader,
    rx: std_mpsc::Receiver<Event>,
    actions: mpsc::UnboundedSender<Action>,
) {
    let mut journal: Option<Journal> = None;
    loop {
        let msg = rx.recv_timeout(JOURNAL_POLL);
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
                                let _ = actions.send(Action::SaveFailed {
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
                                let _ = actions.send(Action::SaveFailed {
                                    event: Box::new(ev),
                                    error: e.to_string(),
                                });
                            }
                        }
                    }
                }
            }
            Err(std_mpsc::RecvTimeoutError::Timeout) => {}
            Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                read_back(&mut reader, &actions);
                return;
            }
        }
        if wrote || reader.has_more() {
            read_back(&mut reader, &actions);
        }
    }
}

fn read_back(reader: &mut Reader, actions: &mpsc::UnboundedSender<Action>) {
    match reader.read_new() {
        Ok(batch) => {
            for w in &batch.warnings {
                tracing::warn!("{w}");
            }
            if !batch.events.is_empty() || batch.notice.is_some() {
                let _ = actions.send(Action::Journal {
                    events: batch.events,
                    warnings: batch.notice.into_iter().collect(),
                });
            }
        }
        Err(e) => tracing::warn!("journal read failed: {e}"),
    }
}

fn term_event_to_action(app: &AppState, ev: TermEvent) -> Option<Action> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => key_to_action(app, k),
        TermEvent::Paste(s) => Some(Action::Paste(s)),
        TermEvent::Resize(w, h) => Some(Action::Resize {
            width: w,
            height: h,
        }),
        TermEvent::Mouse(m) => match m.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                column: m.column,
                row: m.row,
            }),
            MouseEventKind::ScrollDown => Some(Action::Scroll(3)),
            MouseEventKind::ScrollUp => Some(Action::Scroll(-3)),
            _ => None,
        },
        _ => None,
    }
}

/// The signals that end the console as cleanly as `q` does (the terminal given back, every
/// change handed to the journal written): SIGTERM (a service manager), SIGHUP (a closed SSH
/// session), SIGINT (`kill -INT`; Ctrl-C itself is a key in raw mode) and SIGQUIT. Installed
/// before the terminal is taken over, so none of them can kill the process with the terminal
/// still raw; must be made inside the tokio runtime.
pub struct QuitSignals {
    signals: Vec<tokio::signal::unix::Signal>,
}

impl QuitSignals {
    pub fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let signals = [
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::interrupt(),
            SignalKind::quit(),
        ]
        .into_iter()
        .map(signal)
        .collect::<std::io::Result<Vec<_>>>()?;
        Ok(QuitSignals { signals })
    }

    /// Waits for any of them.
    async fn recv(&mut self) {
        let waits = self.signals.iter_mut().map(|s| Box::pin(s.recv()));
        futures::future::select_all(waits).await;
    }
}

/// Runs the console until it quits (or one of `signals` arrives).
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    signals: &mut QuitSignals,
    mut app: AppState,
    worker: JournalWorker,
    actions_tx: mpsc::UnboundedSender<Action>,
    mut actions_rx: mpsc::UnboundedReceiver<Action>,
    incident_dir: PathBuf,
) -> anyhow::Result<AppState>
where
    B::Error: Send + Sync + 'static,
{
    let size = terminal.size()?;
    update(
        &mut app,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
    );
    // One poller task per health source; results come back as actions.
    let (poll_tx, mut poll_rx) = mpsc::channel::<crate::health::PollResult>(64);
    let pollers = crate::health::spawn_pollers(app.health_sources.clone(), poll_tx);
    let forward_tx = actions_tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(r) = poll_rx.recv().await {
            if forward_tx
                .send(Action::HealthPolled(Box::new(r.snapshot)))
                .is_err()
            {
                break;
            }
        }
    });
    let mut tracer = super::trace_runner::TraceRunner::new(&app.trace_sources, actions_tx.clone());
    tracer.report_budgets();
    // One HTTP client for the stakeholder-update webhooks.
    let http = crate::net::HttpClient::new(crate::net::HttpOptions::default()).ok();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(StdDuration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME_GAP;
    loop {
        if dirty && last_draw.elapsed() >= FRAME_GAP {
            terminal.draw(|f| ui::render(f, &app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        let mut batch: Vec<Action> = Vec::new();
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => batch.extend(term_event_to_action(&app, ev)),
                Some(Err(e)) => {
                    tracing::error!("terminal input failed: {e}");
                    batch.push(Action::ForceQuit);
                }
                None => batch.push(Action::ForceQuit),
            },
            Some(a) = actions_rx.recv() => {
                batch.push(a);
                while let Ok(more) = actions_rx.try_recv() {
                    batch.push(more);
                }
            }
            _ = tick.tick() => batch.push(Action::Tick(Utc::now())),
            _ = signals.recv() => batch.push(Action::ForceQuit),
            _ = tokio::time::sleep_until(last_draw + FRAME_GAP), if dirty => {}
        }
        for action in batch {
            dirty = true;
            for effect in update(&mut app, action) {
                match effect {
                    Effect::Append(ev) => worker.append(ev, &actions_tx),
                    Effect::PollNow(name) => {
                        pollers.poll_now(name.as_deref());
                    }
                    Effect::StartTrace {
                        request,
                        query,
                        refresh,
                    } => tracer.start(request, query, refresh),
                    Effect::CancelTrace => tracer.cancel(),
                    Effect::LoadChain { row } => tracer.chain(*row),
                    Effect::EnrichTraceReasons { request, rows } => tracer.enrich(request, rows),
                    Effect::SaveTraceEvidence {
                        query,
                        rows,
                        summary,
                    } => {
                        // Writing a big result (synced to disk) must not hold up the loop.
                        let (dir, tx) = (incident_dir.clone(), actions_tx.clone());
                        std::thread::spawn(move || {
                            let saved = super::trace_runner::save_evidence(
                                &dir,
                                &query,
                                &rows,
                                &summary,
                                Utc::now(),
                            );
                            let _ = tx.send(Action::TraceEvidenceSaved {
                                query,
                                summary: Box::new(summary),
                                saved,
                            });
                        });
                    }
                    Effect::Quit => {}
                    Effect::Export => {
                        let (path, zone, tx) = (worker.path.clone(), app.zone, actions_tx.clone());
                        std::thread::spawn(move || {
                            let r = super::closing::export_now(&path, zone, Utc::now());
                            let _ = tx.send(Action::Exported(r));
                        });
                    }
                    Effect::SendUpdate {
                        request,
                        message,
                        channels,
                    } => super::updates_send::spawn(
                        http.clone(),
                        request,
                        *message,
                        channels,
                        actions_tx.clone(),
                    ),
                    Effect::Clipboard(text) => super::updates_send::clipboard(&text),
                }
            }
        }
        if app.quit {
            break;
        }
    }
    tracer.cancel();
    pollers.abort();
    forward.abort();
    // Everything handed to the journal is written before we go.
    worker.finish();
    // What the writer reported meanwhile still counts: a change written now (a `:retry` while
    // the console closed) is saved, one that failed now is not (its text is printed). Their
    // effects are dropped: the console is leaving.
    while let Ok(action) = actions_rx.try_recv() {
        if matches!(action, Action::Journal { .. } | Action::SaveFailed { .. }) {
            update(&mut app, action);
        }
    }
    Ok(app)
}
