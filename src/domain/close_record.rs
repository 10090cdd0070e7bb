//! What a close records (summary, impact, root cause, follow-ups), and the `about` marks of the
//! timeline entries that closing, reopening and key times make.
//!
//! A leaf: the incident keeps a [`Closing`], the journal's `closed` event carries
//! [`FollowUp`]s; the rules of closing live in `domain::closing`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::text::sanitize_line;

/// `about` of the timeline entries that key time changes make (`key-time/mitigated`).
pub const ABOUT_KEY_TIME: &str = "key-time";
/// `about` of the timeline entries that closing and reopening make.
pub const ABOUT_CLOSE: &str = "close";

/// A follow-up action decided at close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub action: String,
    pub owner: String,
    /// Free text: a date or "next sprint".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
}

impl FollowUp {
    /// Reads `action | owner | due` (due optional). Every part is cleaned to one line.
    pub fn parse(text: &str) -> Result<FollowUp, String> {
        let parts: Vec<String> = text.split('|').map(|p| sanitize_line(p, 1024)).collect();
        let hint = "write a follow-up as \"action | owner | due\", e.g. \"Add a second MX | bob | 2026-12-15\" (due may be left out)";
        match parts.as_slice() {
            [action, owner] | [action, owner, _] if action.is_empty() || owner.is_empty() => {
                Err(format!("a follow-up needs an action and an owner: {hint}"))
            }
            [action, owner] => Ok(FollowUp {
                action: action.clone(),
                owner: owner.clone(),
                due: None,
            }),
            [action, owner, due] => Ok(FollowUp {
                action: action.clone(),
                owner: owner.clone(),
                due: (!due.is_empty()).then(|| due.clone()),
            }),
            _ => Err(format!("cannot read the follow-up {text:?}: {hint}")),
        }
    }
}

/// What was said when the incident was closed (the last close, if it was reopened since).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closing {
    pub at: DateTime<Utc>,
    pub by: String,
    pub summary: String,
    pub impact: String,
    pub root_cause: String,
    pub follow_ups: Vec<FollowUp>,
    /// Why the incident was closed with required playbook steps open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
}
