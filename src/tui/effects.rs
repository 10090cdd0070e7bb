//! The effect runner: carries out what `update` asks for. It owns the background work the
//! console starts: the journal writer, the health pollers, the trace runner and the HTTP client
//! for stakeholder updates. Results come back to the loop as [`Action`]s.

use std::path::PathBuf;

use chrono::Utc;
use tokio::sync::mpsc;

use super::action::{Action, Effect};
use super::state::AppState;
use crate::store::writer::{JournalWriter, WriterReport};

/// A writer report as the console's action.
fn to_action(r: WriterReport) -> Action {
    match r {
        WriterReport::Read { events, warnings } => Action::Journal { events, warnings },
        WriterReport::Failed { event, error } => Action::SaveFailed { event, error },
    }
}

/// Starts the journal writer with its reports sent to `actions`.
pub fn start_writer(
    path: PathBuf,
    reader: crate::store::journal::Reader,
    actions: mpsc::UnboundedSender<Action>,
) -> JournalWriter {
    JournalWriter::start(path, reader, move |r| {
        let _ = actions.send(to_action(r));
    })
}

/// Everything running in the background for the console.
pub struct EffectRunner {
    writer: JournalWriter,
    pollers: crate::health::PollerHandle,
    forward: tokio::task::JoinHandle<()>,
    tracer: super::trace_runner::TraceRunner,
    http: Option<crate::net::HttpClient>,
    incident_dir: PathBuf,
    actions: mpsc::UnboundedSender<Action>,
    /// Team mode's task, when the incident is shared.
    team: Option<crate::team::live::LiveHandle>,
}

impl EffectRunner {
    /// Starts the pollers and the trace runner for `app`'s sources (inside the runtime).
    pub fn start(
        app: &AppState,
        writer: JournalWriter,
        actions: mpsc::UnboundedSender<Action>,
        incident_dir: PathBuf,
    ) -> Self {
        // One poller task per health source; results come back as actions.
        let (poll_tx, mut poll_rx) = mpsc::channel::<crate::health::PollResult>(64);
        let pollers = crate::health::spawn_pollers(app.health_sources.clone(), poll_tx);
        let forward_tx = actions.clone();
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
        let tracer = super::trace_runner::TraceRunner::new(&app.trace_sources, actions.clone());
        tracer.report_budgets();
        // One HTTP client for the stakeholder-update webhooks.
        let http = crate::net::HttpClient::new(crate::net::HttpOptions::default()).ok();
        EffectRunner {
            writer,
            pollers,
            forward,
            tracer,
            http,
            incident_dir,
            actions,
            team: None,
        }
    }

    /// Starts team mode's task (inside the runtime) when the incident is shared and `[team]`
    /// is set up: its state comes back as [`Action::Team`].
    pub fn start_team(
        &mut self,
        cfg: &crate::domain::team_config::TeamConfig,
        id: &str,
        author: &str,
    ) {
        use crate::team::outbox::Outbox;
        if !Outbox::is_shared(&self.incident_dir) {
            return;
        }
        let folder = crate::team::sync::Folder::new(id, &self.incident_dir);
        let tx = self.actions.clone();
        if !cfg.enabled() {
            let _ = tx.send(Action::Team(crate::team::live::LiveStatus {
                online: false,
                to_share: folder.waiting(),
                here: Vec::new(),
                problem: Some(crate::team::TeamError::NotSetUp.to_string()),
            }));
            return;
        }
        self.team = Some(crate::team::live::start(
            cfg.clone(),
            folder,
            author.to_string(),
            move |s| {
                let _ = tx.send(Action::Team(s));
            },
        ));
    }

    /// Keeps what the team task tells others in step with the state (the person's role).
    pub fn observe(&self, app: &AppState) {
        if let Some(t) = &self.team {
            let roles: Vec<&str> = app
                .incident
                .roles
                .iter()
                .filter(|(_, name)| **name == app.author)
                .map(|(r, _)| r.label())
                .collect();
            t.set_role(&roles.join(", "));
        }
    }

    /// Takes the team task out, to be finished after the journal writer.
    pub fn take_team(&mut self) -> Option<crate::team::live::LiveHandle> {
        self.team.take()
    }

    /// Carries out one effect.
    pub fn run(&mut self, effect: Effect, app: &AppState) {
        match effect {
            Effect::Append(ev) => {
                let actions = &self.actions;
                self.writer.append(ev, |r| {
                    let _ = actions.send(to_action(r));
                })
            }
            Effect::PollNow(name) => {
                self.pollers.poll_now(name.as_deref());
            }
            Effect::StartTrace {
                request,
                query,
                refresh,
            } => self.tracer.start(request, query, refresh),
            Effect::CancelTrace => self.tracer.cancel(),
            Effect::LoadChain { row } => self.tracer.chain(*row),
            Effect::EnrichTraceReasons { request, rows } => self.tracer.enrich(request, rows),
            Effect::SaveTraceEvidence {
                query,
                rows,
                summary,
            } => {
                // Writing a big result (synced to disk) must not hold up the loop.
                let (dir, tx) = (self.incident_dir.clone(), self.actions.clone());
                std::thread::spawn(move || {
                    let saved = super::trace_runner::save_evidence_hashed(
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
                let (path, zone, tx) = (
                    self.writer.path().to_path_buf(),
                    app.zone,
                    self.actions.clone(),
                );
                std::thread::spawn(move || {
                    let r = super::panes::closing::export_now(&path, zone, Utc::now());
                    let _ = tx.send(Action::Exported(r));
                });
            }
            Effect::SendUpdate {
                request,
                message,
                channels,
            } => super::updates_send::spawn(
                self.http.clone(),
                request,
                *message,
                channels,
                self.actions.clone(),
            ),
            Effect::Clipboard(text) => super::updates_send::clipboard(&text),
            Effect::RunEvidence(what) => {
                let (dir, tx) = (self.incident_dir.clone(), self.actions.clone());
                tokio::spawn(async move {
                    let r = crate::evidence::run::run(&dir, &what, Utc::now()).await;
                    let _ = tx.send(Action::EvidenceRan(
                        r.map(Box::new).map_err(|e| e.to_string()),
                    ));
                });
            }
            // The loop runs it: it needs the terminal (see `event_loop::edit_review`).
            Effect::EditReview { .. } => {}
        }
    }

    /// Stops the background work and waits until everything handed to the journal is written.
    pub fn finish(mut self) {
        self.tracer.cancel();
        self.pollers.abort();
        self.forward.abort();
        self.writer.finish();
    }
}
