//! Playbooks: checklists the incident commander works through, and the state of each step.
//!
//! This module is pure: it parses playbook TOML text handed to it, folds step changes into
//! progress, and answers time questions against a clock value the caller passes in. Reading
//! directories and writing the journal happen elsewhere.
//!
//! A playbook file looks like this:
//!
//! ```toml
//! name = "Cloud mail outage"
//! description = "What to do when hosted mail stops flowing."
//!
//! [[sections]]
//! title = "Triage"
//!
//! [[sections.steps]]
//! id = "confirm-provider"
//! title = "Confirm the provider incident"
//! detail = """
//! Find the incident on the provider's health page and note its id.
//! """
//! owner = "commander"
//! due = "10m"          # relative to incident start
//! required = true
//! check_back = "15m"   # re-check timer while the step is in progress
//! run = ["pwsh", "-Command", "Get-ServiceHealth"]  # offered, never run by itself
//! ticket = true        # ticking it offers :ticket (the step opens a support case)
//! ```
//!
//! Unknown fields are errors, and every error names the file, the line and the field.
//!
//! The definition types are here; reading playbook files is `parse.rs`, the state of the steps
//! and the progress of a playbook `progress.rs`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::domain::text::{BODY_CAP, FIELD_CAP, sanitize, sanitize_line};
use crate::domain::toml_errors::LineIndex;

mod parse;
mod progress;
#[cfg(test)]
mod tests;

pub use parse::*;
pub use progress::*;

/// The playbook a new incident starts with unless the commander picks another.
pub const DEFAULT_PLAYBOOK: &str = "cloud-mail-outage";

/// Playbooks shipped inside the binary, as `(id, TOML text)`. A user file with the same id
/// replaces one of these (see [`load_playbooks`]).
pub const BUILTIN_PLAYBOOKS: &[(&str, &str)] = &[
    (
        "cloud-mail-outage",
        include_str!("../../../assets/playbooks/cloud-mail-outage.toml"),
    ),
    (
        "phishing-surge",
        include_str!("../../../assets/playbooks/phishing-surge.toml"),
    ),
    (
        "post-incident-review",
        include_str!("../../../assets/playbooks/post-incident-review.toml"),
    ),
];

/// The largest playbook file read: 8 MiB (8,388,608 bytes). A checklist is a few kilobytes; this
/// only stops a runaway file from being read and copied into every journal it is attached to.
pub const MAX_PLAYBOOK_BYTES: usize = 8 * 1024 * 1024;

/// The longest duration a playbook may name (`due` or `check_back`): 30 days.
const MAX_DURATION_SECS: i64 = 30 * 24 * 3600;

/// A parsed playbook: an ordered list of sections, each an ordered list of steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    /// Identifier, taken from the file stem (`cloud-mail-outage` for `cloud-mail-outage.toml`).
    pub id: String,
    /// Human name shown in the pane title and pickers.
    pub name: String,
    /// What the playbook is for; may be empty.
    pub description: String,
    /// Sections in file order; never empty.
    pub sections: Vec<Section>,
}

/// A titled group of steps (Triage, Communicate, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Section heading.
    pub title: String,
    /// Steps in file order; never empty.
    pub steps: Vec<Step>,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Identifier, unique within the playbook; letters, digits, `-`, `_` and `.` only.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What to do and why; may span several lines, may be empty.
    pub detail: String,
    /// Default owner: a role (commander, deputy, scribe, comms) or free text.
    pub owner: Option<String>,
    /// When the step should be complete, relative to incident start.
    pub due: Option<TimeDelta>,
    /// Whether the incident should not be closed while this step is open.
    pub required: bool,
    /// While the step is in progress, how often someone should look again.
    pub check_back: Option<TimeDelta>,
    /// A command the console offers to run for the step (after a confirmation), its output
    /// kept as evidence: the program and its arguments, run without a shell. Empty for none.
    pub run: Vec<String>,
    /// The step opens a support case with the provider: ticking it offers `:ticket`.
    pub ticket: bool,
}

impl Playbook {
    /// Every step with the section it belongs to, in file order.
    pub fn steps(&self) -> impl Iterator<Item = (&Section, &Step)> {
        self.sections
            .iter()
            .flat_map(|section| section.steps.iter().map(move |step| (section, step)))
    }

    /// The step with this id, if any.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps()
            .map(|(_, step)| step)
            .find(|step| step.id == id)
    }

    /// Number of steps over all sections.
    pub fn step_count(&self) -> usize {
        self.sections
            .iter()
            .map(|section| section.steps.len())
            .sum()
    }
}

impl Step {
    /// Wall-clock time the step is due: incident start plus `due`.
    pub fn due_at(&self, incident_start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.due.map(|due| incident_start + due)
    }
}
