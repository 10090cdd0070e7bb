//! The one loop: terminal events, results from background work, the clock and signals, all
//! turned into [`Action`]s for [`update`]; effects handed to the [`EffectRunner`]; frames drawn
//! when something changed, at most one every 10 ms.

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

use super::action::Action;
use super::effects::EffectRunner;
use super::state::AppState;
use super::ui;
use super::update::{key_to_action, update};

const FRAME_GAP: StdDuration = StdDuration::from_millis(10);

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

/// Suspends the console (the terminal back to normal: main screen, cooked mode), runs the
/// editor on the review off the loop's thread, and takes the terminal over again.
async fn edit_review(incident: String, text: String) -> Result<String, String> {
    super::terminal::restore();
    let result = tokio::task::spawn_blocking(move || {
        crate::export::review::draft::edit_text(&incident, &text)
    })
    .await
    .unwrap_or_else(|e| Err(format!("the editor's task failed: {e}")));
    if let Err(e) = super::terminal::resume() {
        tracing::error!("cannot take the terminal back after the editor: {e}");
    }
    result
}

/// Runs the console until it quits (or one of `signals` arrives).
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    signals: &mut QuitSignals,
    mut app: AppState,
    mut runner: EffectRunner,
    mut actions_rx: mpsc::UnboundedReceiver<Action>,
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
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(StdDuration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME_GAP;
    // A terminal that can no longer be drawn on (an SSH session hung up) ends the loop, but
    // only after what was handed to the journal is written, below.
    let mut draw_failed = None;
    loop {
        if dirty && last_draw.elapsed() >= FRAME_GAP {
            if let Err(e) = terminal.draw(|f| ui::render(f, &app)) {
                draw_failed = Some(anyhow::Error::new(e).context("the terminal can't be drawn on"));
                break;
            }
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
        let mut batch: std::collections::VecDeque<Action> = batch.into();
        while let Some(action) = batch.pop_front() {
            dirty = true;
            for effect in update(&mut app, action) {
                match effect {
                    super::action::Effect::EditReview {
                        incident,
                        template,
                        text,
                    } => {
                        // The editor reads the keyboard: no event stream may read it meanwhile.
                        drop(events);
                        let result = edit_review(incident, text.clone()).await;
                        events = EventStream::new();
                        // The screen was cleared on the way back; a blank frame makes the
                        // next one draw every cell (`Terminal::clear` would ask the terminal
                        // where its cursor is, and wait for the answer).
                        terminal.draw(|f| f.render_widget(ratatui::widgets::Clear, f.area()))?;
                        batch.push_back(Action::ReviewEdited {
                            template,
                            before: text,
                            result,
                        });
                    }
                    effect => runner.run(effect, &app),
                }
            }
        }
        runner.observe(&app);
        if app.quit {
            break;
        }
    }
    // Everything handed to the journal is written before we go, then shared (team mode) if the
    // server answers within a moment; what is not stays queued for next time.
    let team = runner.take_team();
    runner.finish();
    if let Some(t) = team {
        t.finish(StdDuration::from_secs(3)).await;
    }
    // What the writer reported meanwhile still counts: a change written now (a `:retry` while
    // the console closed) is saved, one that failed now is not (its text is printed). Their
    // effects are dropped: the console is leaving.
    while let Ok(action) = actions_rx.try_recv() {
        if matches!(action, Action::Journal { .. } | Action::SaveFailed { .. }) {
            update(&mut app, action);
        }
    }
    match draw_failed {
        Some(e) => Err(e),
        None => Ok(app),
    }
}
