//! Pushing follow-ups to a tracker: one issue per follow-up, on GitHub ([`github`]) or Jira
//! Cloud ([`jira`]), through the shared HTTP client (timeouts, size cap, `Retry-After`).
//!
//! [`draft`] writes the issue from the incident and the follow-up (title; a body with the
//! incident's title, severity, dates and a summary with its links taken out; labels; the owner
//! as GitHub assignee when written `@login`); [`create`] sends it and hands back the created
//! issue's key and URL, which the caller records in the journal (`followup_pushed`) before it
//! pushes the next one. Errors name the tracker and what it answered (GitHub's `message`, Jira's
//! `errorMessages`/`errors`), never the token.

pub mod github;
pub mod jira;

use crate::domain::followup::FollowUpItem;
use crate::domain::incident::Incident;
use crate::domain::text::sanitize_line;
use crate::domain::tracker::{SecretRef, TrackerConfig, TrackerKind};
use crate::net::secret::{SecretReadError, read_secret};
use crate::net::{HttpClient, NetError, Secret};

/// The longest issue title sent (GitHub takes 256 characters, Jira 255).
pub const TITLE_MAX: usize = 250;

/// What one issue says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDraft {
    pub title: String,
    /// Plain text, one paragraph a line (GitHub renders it as Markdown, Jira gets ADF).
    pub lines: Vec<String>,
    pub labels: Vec<String>,
    /// A GitHub login (the follow-up's owner written `@login`).
    pub assignee: Option<String>,
}

/// The issue the tracker created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedIssue {
    /// `acme/mail#12` or `OPS-7`.
    pub key: String,
    pub url: String,
}

/// Why an issue was not created. Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    #[error("the token is not readable: {0}")]
    Token(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Network(String),
}

/// Text with every `http://` or `https://` link replaced by `(link removed)`: the summary goes
/// to a tracker that may be read more widely than the incident's own links should be.
pub fn without_links(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            match ["https://", "http://", "www."]
                .iter()
                .find_map(|p| lower.find(p))
            {
                Some(i) => {
                    // Punctuation after the link stays: `(see https://x).` → `(see (link removed)).`
                    let link = &w[i..];
                    let keep = link.len()
                        - link
                            .trim_end_matches([')', ']', '.', ',', ';', ':', '!', '?', '"', '\''])
                            .len();
                    format!("{}(link removed){}", &w[..i], &link[link.len() - keep..])
                }
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The issue for follow-up `f` of `inc` on tracker `t`.
pub fn draft(inc: &Incident, f: &FollowUpItem, t: &TrackerConfig) -> IssueDraft {
    let title = sanitize_line(&f.action, TITLE_MAX);
    let when = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut lines = vec![
        format!("Follow-up of incident \"{}\" ({})", inc.title, inc.id),
        format!(
            "Severity: {} · opened {} · {}",
            inc.severity.label(),
            when(inc.opened_at),
            match inc.closed_at {
                Some(c) => format!("closed {}", when(c)),
                None => "still open".to_string(),
            }
        ),
        format!("Owner: {}", f.owner),
    ];
    if let Some(d) = &f.due_text {
        lines.push(format!("Due: {d}"));
    }
    if let Some(c) = &inc.closing {
        for (label, text) in [
            ("Summary", &c.summary),
            ("Impact", &c.impact),
            ("Root cause", &c.root_cause),
        ] {
            let text = without_links(&sanitize_line(text, 4000));
            if !text.is_empty() {
                lines.push(format!("{label}: {text}"));
            }
        }
    }
    lines.push(format!("warroom follow-up id: {}", f.id));
    let assignee = match t.kind {
        TrackerKind::Github { .. } => f
            .owner
            .strip_prefix('@')
            .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_string),
        TrackerKind::Jira { .. } => None,
    };
    IssueDraft {
        title,
        lines: lines.into_iter().map(|l| sanitize_line(&l, 8000)).collect(),
        labels: t.labels.clone(),
        assignee,
    }
}

/// Reads the tracker's token as it is now.
pub fn token(t: &TrackerConfig) -> Result<Secret, TrackerError> {
    let (env, file) = match &t.token {
        SecretRef::Env(v) => (Some(v.as_str()), None),
        SecretRef::File(p) => (None, Some(p.as_path())),
    };
    let raw = read_secret(env, file).map_err(|e| {
        TrackerError::Token(match (e, &t.token) {
            (SecretReadError::EnvMissing, SecretRef::Env(v)) => {
                format!("${v} is not set: export the tracker's API token in it")
            }
            (SecretReadError::File(d), r) => format!("{} ({d})", r.describe()),
            (_, r) => format!("{} is not UTF-8 text", r.describe()),
        })
    })?;
    let value = raw.trim();
    if value.is_empty() {
        return Err(TrackerError::Token(format!(
            "{} is empty: put the tracker's API token in it",
            t.token.describe()
        )));
    }
    Ok(Secret::new(value))
}

/// Creates the issue on the tracker.
pub async fn create(
    http: &HttpClient,
    t: &TrackerConfig,
    issue: &IssueDraft,
) -> Result<CreatedIssue, TrackerError> {
    let token = token(t)?;
    match &t.kind {
        TrackerKind::Github { repo } => github::create(http, t, repo, &token, issue).await,
        TrackerKind::Jira {
            project,
            issue_type,
            email,
        } => jira::create(http, t, (project, issue_type, email), &token, issue).await,
    }
}

/// A network failure in words, scrubbed of the token.
/// Sends a request that creates an issue, once (no retry after a 503 or 504: the tracker may
/// have made the issue before it failed), and reads its JSON answer. A refusal quotes what the
/// tracker said (`said` reads it from the answer), never the token. Returns the answer and the
/// status.
async fn post_once(
    http: &HttpClient,
    tracker: &str,
    url: &str,
    req: reqwest::RequestBuilder,
    token: &Secret,
    said: fn(&serde_json::Value) -> String,
) -> Result<(serde_json::Value, u16), TrackerError> {
    let opts = crate::net::RequestOptions {
        retry_unavailable: false,
        ..crate::net::RequestOptions::default()
    };
    let resp = http
        .send_any_status(req, url, &opts)
        .await
        .map_err(|e| network(e, token))?;
    let answer: serde_json::Value =
        serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null);
    if !resp.is_success() {
        let words = match said(&answer) {
            s if s.is_empty() => resp.excerpt(),
            s => s,
        };
        return Err(refused(tracker, resp.status, &words, token));
    }
    Ok((answer, resp.status))
}

fn network(e: NetError, token: &Secret) -> TrackerError {
    TrackerError::Network(sanitize_line(&token.scrub(&e.to_string()), 300))
}

/// What an answer that is not a success says, for a person: the status, the tracker's own
/// words, and what to do.
fn refused(tracker: &str, status: u16, said: &str, token: &Secret) -> TrackerError {
    let hint = match status {
        401 => "the token was refused: check it is current and belongs to this site",
        403 => "the token may not create issues here: give it write access to issues",
        404 => "no such repository or project (or the token cannot see it): check the config",
        400 | 422 => {
            "the tracker refused the issue's fields: check the config's project, issue type, labels and the owner"
        }
        429 => "the tracker is limiting requests: push again in a few minutes",
        _ => "the tracker is failing: push again later",
    };
    let said = sanitize_line(&token.scrub(said), 300);
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    TrackerError::Refused(format!("{tracker} answered HTTP {status}{said} ({hint})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_taken_out_of_the_summary() {
        assert_eq!(
            without_links("see https://wiki.internal/mx and (http://x.y) or www.example.org now"),
            "see (link removed) and ((link removed)) or (link removed) now"
        );
        assert_eq!(without_links("no links here"), "no links here");
        assert_eq!(
            without_links("fixed (https://wiki/x)."),
            "fixed ((link removed))."
        );
    }
}
