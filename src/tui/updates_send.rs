//! The event loop's side of stakeholder updates: sending runs as a task whose results come back
//! as an action; the clipboard is written to the console's own terminal.

use std::io::Write as _;

use tokio::sync::mpsc;

use super::action::Action;
use crate::domain::updates::{ChannelConfig, ChannelFailure};
use crate::net::HttpClient;
use crate::updates::{Outgoing, SendReport, send_all};

/// Sends `message` on `channels` in a task; reports back as [`Action::UpdateResults`].
pub fn spawn(
    http: Option<HttpClient>,
    request: u64,
    message: Outgoing,
    channels: Vec<ChannelConfig>,
    actions: mpsc::UnboundedSender<Action>,
) {
    tokio::spawn(async move {
        let report = match &http {
            Some(http) => send_all(http, &channels, &message).await,
            None => SendReport {
                ok: Vec::new(),
                published: Vec::new(),
                failed: channels
                    .iter()
                    .map(|c| ChannelFailure {
                        channel: c.name.clone(),
                        error: "the HTTP client could not start (see the log); restart warroom"
                            .into(),
                    })
                    .collect(),
            },
        };
        let _ = actions.send(Action::UpdateResults { request, report });
    });
}

/// Writes the OSC 52 sequence for `text` to the terminal the console draws on.
pub fn clipboard(text: &str) {
    let mut out = std::io::stdout();
    let seq = crate::updates::send::osc52(text);
    if let Err(e) = out.write_all(seq.as_bytes()).and_then(|_| out.flush()) {
        tracing::warn!("clipboard (OSC 52) write failed: {e}");
    }
}
