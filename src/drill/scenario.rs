//! Drill scenarios: a TOML file of steps at time offsets, and the state of the simulated world
//! at any drill time ([`Scenario::state_at`]).
//!
//! ```toml
//! name = "exo-mailflow"
//! description = "Exchange Online mail flow outage"
//! duration = "10m"
//! update_every = "6m"                      # the drill's update cadence (drill time)
//!
//! [[steps]]
//! at = "30s"
//! action = "graph_issue_opened"
//! id = "EX1094411"
//! title = "Users may be unable to send or receive email"
//! status = "investigating"                 # default
//! text = "We're investigating ..."         # the first post (HTML allowed)
//! ```
//!
//! Actions and their fields (anything else is an error):
//! - `graph_issue_opened`: `id`, `title`, optional `feature`, `status`, `text`;
//! - `graph_status`: `status` (a Graph `serviceHealthStatus`, camelCase), optional `text`;
//! - `graph_post`: `text`;
//! - `graph_resolved`: optional `status` (default `serviceRestored`), `text`;
//! - `pir_published`: optional `text` (status `postIncidentReviewPublished`);
//! - `statuspage_indicator`: `indicator` (`none`, `minor`, `major`, `critical`), optional `description`;
//! - `statuspage_component`: `component` (its name), `status` (`operational`,
//!   `degraded_performance`, `partial_outage`, `major_outage`);
//! - `statuspage_incident`: `status` (`investigating`, `identified`, `monitoring`, `resolved`),
//!   `text`, optional `name` (needed the first time);
//! - `rss_item`: `title`, `text`;
//! - `smtp`: `mode` (`ok`, `421`, `451`, `refuse`), optional `rate` (share of connections, 0-1, default 1);
//! - `mail_flow`: any of `per_minute`, `deferral`, `failure`, `quarantine` (ratios 0-1);
//! - `restored`: SMTP ok, no deferrals/failures/quarantines, Statuspage indicator and components
//!   back to normal.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use crate::domain::health::HumaneDuration;
use crate::domain::toml_errors::{LineIndex, from_toml};

/// The built-in scenarios: (name, TOML text).
pub const BUILTIN: &[(&str, &str)] = &[(
    "exo-mailflow",
    include_str!("../../assets/drills/exo-mailflow.toml"),
)];

/// The scenario `warroom demo` plays without `--scenario`.
pub const DEFAULT_SCENARIO: &str = "exo-mailflow";

/// What is wrong with a scenario file, naming the file, the line and the field.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: field `{field}`: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// A ratio between 0 and 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio(pub f64);

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..=1.0).contains(&v) {
            Ok(Ratio(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "{v} is not a ratio: use a number from 0 to 1, e.g. 0.25"
            )))
        }
    }
}

/// How the drill's SMTP listener answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// 220 banner, 250 EHLO with STARTTLS.
    Ok,
    /// 421 banner, then closes.
    Busy421,
    /// 220 banner, 451 to EHLO.
    Temp451,
    /// Closes the connection without a word.
    Refuse,
}

/// One step, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    GraphIssueOpened {
        id: String,
        title: String,
        feature: Option<String>,
        status: String,
        text: Option<String>,
    },
    GraphStatus {
        status: String,
        text: Option<String>,
    },
    GraphPost {
        text: String,
    },
    GraphResolved {
        status: String,
        text: Option<String>,
    },
    PirPublished {
        text: Option<String>,
    },
    StatuspageIndicator {
        indicator: String,
        description: Option<String>,
    },
    StatuspageComponent {
        component: String,
        status: String,
    },
    StatuspageIncident {
        name: Option<String>,
        status: String,
        text: String,
    },
    RssItem {
        title: String,
        text: String,
    },
    Smtp {
        mode: SmtpMode,
        rate: f64,
    },
    MailFlow {
        per_minute: Option<u32>,
        deferral: Option<f64>,
        failure: Option<f64>,
        quarantine: Option<f64>,
    },
    Restored,
}

/// A step at a drill-time offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub at: Duration,
    pub action: Action,
}

/// A parsed, validated scenario; steps sorted by time (stable).
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub duration: Duration,
    /// The stakeholder-update cadence during the drill (drill time), so that an update falls
    /// due while it runs; `None` keeps the configured cadence.
    pub update_every: Option<Duration>,
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    duration: Spanned<HumaneDuration>,
    #[serde(default)]
    update_every: Option<Spanned<HumaneDuration>>,
    #[serde(default)]
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: Spanned<HumaneDuration>,
    action: Spanned<String>,
    id: Option<String>,
    title: Option<String>,
    feature: Option<String>,
    status: Option<Spanned<String>>,
    text: Option<String>,
    indicator: Option<Spanned<String>>,
    description: Option<String>,
    component: Option<String>,
    name: Option<String>,
    mode: Option<Spanned<String>>,
    rate: Option<Ratio>,
    per_minute: Option<u32>,
    deferral: Option<Ratio>,
    failure: Option<Ratio>,
    quarantine: Option<Ratio>,
}

impl RawStep {
    fn present(&self) -> BTreeSet<&'static str> {
        let mut s = BTreeSet::new();
        let mut add = |k: &'static str, p: bool| {
            if p {
                s.insert(k);
            }
        };
        add("id", self.id.is_some());
        add("title", self.title.is_some());
        add("feature", self.feature.is_some());
        add("status", self.status.is_some());
        add("text", self.text.is_some());
        add("indicator", self.indicator.is_some());
        add("description", self.description.is_some());
        add("component", self.component.is_some());
        add("name", self.name.is_some());
        add("mode", self.mode.is_some());
        add("rate", self.rate.is_some());
        add("per_minute", self.per_minute.is_some());
        add("deferral", self.deferral.is_some());
        add("failure", self.failure.is_some());
        add("quarantine", self.quarantine.is_some());
        s
    }
}

const ACTIONS: &str = "graph_issue_opened, graph_status, graph_post, graph_resolved, pir_published, statuspage_indicator, statuspage_component, statuspage_incident, rss_item, smtp, mail_flow, restored";

impl Scenario {
    /// Parses scenario text; `file` is only used in messages.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let err = |line: usize, field: &str, message: String| ScenarioError {
            file: file.to_string(),
            line,
            field: field.to_string(),
            message,
        };
        let raw: RawScenario = from_toml(text).map_err(|p| err(p.line, &p.key, p.message))?;
        let lines = LineIndex::new(text);
        let duration = raw.duration.get_ref().0;
        if duration.is_zero() {
            return Err(err(
                lines.line(raw.duration.span().start),
                "duration",
                "must be longer than zero, e.g. \"10m\"".into(),
            ));
        }
        if raw.name.trim().is_empty() {
            return Err(err(1, "name", "must not be empty".into()));
        }
        let mut steps = Vec::new();
        for (i, s) in raw.steps.iter().enumerate() {
            let line = lines.line(s.action.span().start);
            let field = |f: &str| format!("steps[{i}].{f}");
            let at = s.at.get_ref().0;
            if at > duration {
                return Err(err(
                    lines.line(s.at.span().start),
                    &field("at"),
                    format!(
                        "{} is after the scenario's duration ({})",
                        crate::domain::time::format_duration(chrono_dur(at)),
                        crate::domain::time::format_duration(chrono_dur(duration))
                    ),
                ));
            }
            let action_name = s.action.get_ref().as_str();
            let (allowed, required): (&[&str], &[&str]) = match action_name {
                "graph_issue_opened" => (
                    &["id", "title", "feature", "status", "text"],
                    &["id", "title"],
                ),
                "graph_status" => (&["status", "text"], &["status"]),
                "graph_post" => (&["text"], &["text"]),
                "graph_resolved" => (&["status", "text"], &[]),
                "pir_published" => (&["text"], &[]),
                "statuspage_indicator" => (&["indicator", "description"], &["indicator"]),
                "statuspage_component" => (&["component", "status"], &["component", "status"]),
                "statuspage_incident" => (&["name", "status", "text"], &["status", "text"]),
                "rss_item" => (&["title", "text"], &["title", "text"]),
                "smtp" => (&["mode", "rate"], &["mode"]),
                "mail_flow" => (&["per_minute", "deferral", "failure", "quarantine"], &[]),
                "restored" => (&[], &[]),
                other => {
                    return Err(err(
                        line,
                        &field("action"),
                        format!("unknown action `{other}`; known actions: {ACTIONS}"),
                    ));
                }
            };
            let present = s.present();
            if let Some(extra) = present.iter().find(|k| !allowed.contains(k)) {
                return Err(err(
                    line,
                    &field(extra),
                    format!(
                        "does not apply to action `{action_name}` (it takes: {})",
                        if allowed.is_empty() {
                            "no fields".to_string()
                        } else {
                            allowed.join(", ")
                        }
                    ),
                ));
            }
            if let Some(missing) = required.iter().find(|k| !present.contains(*k)) {
                return Err(err(
                    line,
                    &field(missing),
                    format!("action `{action_name}` needs `{missing}`"),
                ));
            }
            let status = s.status.as_ref().map(|v| v.get_ref().clone());
            let check_one_of = |v: &Spanned<String>, name: &str, ok: &[&str]| {
                if ok.contains(&v.get_ref().as_str()) {
                    Ok(())
                } else {
                    Err(err(
                        lines.line(v.span().start),
                        &field(name),
                        format!("`{}` is not one of: {}", v.get_ref(), ok.join(", ")),
                    ))
                }
            };
            let action = match action_name {
                "graph_issue_opened" => Action::GraphIssueOpened {
                    id: s.id.clone().unwrap_or_default(),
                    title: s.title.clone().unwrap_or_default(),
                    feature: s.feature.clone(),
                    status: status.unwrap_or_else(|| "investigating".into()),
                    text: s.text.clone(),
                },
                "graph_status" => Action::GraphStatus {
                    status: status.unwrap_or_default(),
                    text: s.text.clone(),
                },
                "graph_post" => Action::GraphPost {
                    text: s.text.clone().unwrap_or_default(),
                },
                "graph_resolved" => Action::GraphResolved {
                    status: status.unwrap_or_else(|| "serviceRestored".into()),
                    text: s.text.clone(),
                },
                "pir_published" => Action::PirPublished {
                    text: s.text.clone(),
                },
                "statuspage_indicator" => {
                    let v = s.indicator.as_ref().expect("required");
                    check_one_of(v, "indicator", &["none", "minor", "major", "critical"])?;
                    Action::StatuspageIndicator {
                        indicator: v.get_ref().clone(),
                        description: s.description.clone(),
                    }
                }
                "statuspage_component" => {
                    let v = s.status.as_ref().expect("required");
                    check_one_of(
                        v,
                        "status",
                        &[
                            "operational",
                            "degraded_performance",
                            "partial_outage",
                            "major_outage",
                            "under_maintenance",
                        ],
                    )?;
                    Action::StatuspageComponent {
                        component: s.component.clone().unwrap_or_default(),
                        status: v.get_ref().clone(),
                    }
                }
                "statuspage_incident" => {
                    let v = s.status.as_ref().expect("required");
                    check_one_of(
                        v,
                        "status",
                        &["investigating", "identified", "monitoring", "resolved"],
                    )?;
                    Action::StatuspageIncident {
                        name: s.name.clone(),
                        status: v.get_ref().clone(),
                        text: s.text.clone().unwrap_or_default(),
                    }
                }
                "rss_item" => Action::RssItem {
                    title: s.title.clone().unwrap_or_default(),
                    text: s.text.clone().unwrap_or_default(),
                },
                "smtp" => {
                    let v = s.mode.as_ref().expect("required");
                    check_one_of(v, "mode", &["ok", "421", "451", "refuse"])?;
                    let mode = match v.get_ref().as_str() {
                        "421" => SmtpMode::Busy421,
                        "451" => SmtpMode::Temp451,
                        "refuse" => SmtpMode::Refuse,
                        _ => SmtpMode::Ok,
                    };
                    Action::Smtp {
                        mode,
                        rate: s.rate.map_or(1.0, |r| r.0),
                    }
                }
                "mail_flow" => Action::MailFlow {
                    per_minute: s.per_minute,
                    deferral: s.deferral.map(|r| r.0),
                    failure: s.failure.map(|r| r.0),
                    quarantine: s.quarantine.map(|r| r.0),
                },
                _ => Action::Restored,
            };
            if let Action::MailFlow {
                deferral,
                failure,
                quarantine,
                ..
            } = &action
                && deferral.unwrap_or(0.0) + failure.unwrap_or(0.0) + quarantine.unwrap_or(0.0)
                    > 1.0
            {
                return Err(err(
                    line,
                    &field("deferral"),
                    "deferral + failure + quarantine must not exceed 1".into(),
                ));
            }
            steps.push(Step { at, action });
        }
        steps.sort_by_key(|s| s.at);
        let update_every = match &raw.update_every {
            Some(u) if u.get_ref().0.is_zero() => {
                return Err(err(
                    lines.line(u.span().start),
                    "update_every",
                    "must be longer than zero, e.g. \"6m\"".into(),
                ));
            }
            Some(u) => Some(u.get_ref().0),
            None => None,
        };
        Ok(Scenario {
            name: raw.name,
            description: raw.description,
            duration,
            update_every,
            steps,
        })
    }

    /// A built-in scenario by name, or a file.
    pub fn load(name_or_file: &str) -> anyhow::Result<Scenario> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_file) {
            return Ok(Scenario::parse(
                text,
                &format!("assets/drills/{name}.toml"),
            )?);
        }
        let path = Path::new(name_or_file);
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!(
                "no built-in scenario {name_or_file:?} (known: {}) and the file cannot be read: {e}",
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        Ok(Scenario::parse(&text, &path.display().to_string())?)
    }

    /// The world after every step at or before `t`.
    pub fn state_at(&self, t: Duration) -> DrillState {
        let mut st = DrillState::default();
        for step in self.steps.iter().take_while(|s| s.at <= t) {
            st.apply(step);
        }
        st
    }
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_default()
}

/// The simulated Graph issue.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueState {
    pub id: String,
    pub title: String,
    pub feature: Option<String>,
    pub status: String,
    pub started: Duration,
    pub updated: Duration,
    pub resolved: Option<Duration>,
    /// (posted at, HTML).
    pub posts: Vec<(Duration, String)>,
}

/// The simulated Statuspage incident.
#[derive(Debug, Clone, PartialEq)]
pub struct PageIncident {
    pub name: String,
    pub status: String,
    pub started: Duration,
    pub resolved: Option<Duration>,
    /// (at, status, text).
    pub updates: Vec<(Duration, String, String)>,
}

/// Mail flow of the simulated Exchange server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MailFlow {
    pub per_minute: u32,
    pub deferral: f64,
    pub failure: f64,
    pub quarantine: f64,
}

/// The world at one drill time.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillState {
    pub issue: Option<IssueState>,
    pub indicator: String,
    pub indicator_description: String,
    /// (name, status, changed at).
    pub components: Vec<(String, String, Duration)>,
    pub page_incident: Option<PageIncident>,
    /// (at, title, text).
    pub rss: Vec<(Duration, String, String)>,
    pub smtp_mode: SmtpMode,
    pub smtp_rate: f64,
    pub mail: MailFlow,
}

impl Default for DrillState {
    fn default() -> Self {
        DrillState {
            issue: None,
            indicator: "none".into(),
            indicator_description: "All Systems Operational".into(),
            components: Vec::new(),
            page_incident: None,
            rss: Vec::new(),
            smtp_mode: SmtpMode::Ok,
            smtp_rate: 1.0,
            mail: MailFlow {
                per_minute: 60,
                deferral: 0.0,
                failure: 0.0,
                quarantine: 0.0,
            },
        }
    }
}

impl DrillState {
    fn apply(&mut self, step: &Step) {
        let at = step.at;
        match &step.action {
            Action::GraphIssueOpened {
                id,
                title,
                feature,
                status,
                text,
            } => {
                self.issue = Some(IssueState {
                    id: id.clone(),
                    title: title.clone(),
                    feature: feature.clone(),
                    status: status.clone(),
                    started: at,
                    updated: at,
                    resolved: None,
                    posts: text.iter().map(|t| (at, t.clone())).collect(),
                });
            }
            Action::GraphStatus { status, text } => self.issue_change(at, Some(status), text),
            Action::GraphPost { text } => self.issue_change(at, None, &Some(text.clone())),
            Action::GraphResolved { status, text } => {
                self.issue_change(at, Some(status), text);
                if let Some(i) = &mut self.issue {
                    i.resolved = Some(at);
                }
            }
            Action::PirPublished { text } => {
                self.issue_change(at, Some("postIncidentReviewPublished"), text)
            }
            Action::StatuspageIndicator {
                indicator,
                description,
            } => {
                self.indicator = indicator.clone();
                self.indicator_description = description.clone().unwrap_or_else(|| {
                    match indicator.as_str() {
                        "none" => "All Systems Operational",
                        "minor" => "Minor Service Outage",
                        "major" => "Partial System Outage",
                        _ => "Major System Outage",
                    }
                    .into()
                });
            }
            Action::StatuspageComponent { component, status } => {
                match self.components.iter_mut().find(|c| c.0 == *component) {
                    Some(c) => {
                        c.1 = status.clone();
                        c.2 = at;
                    }
                    None => self
                        .components
                        .push((component.clone(), status.clone(), at)),
                }
            }
            Action::StatuspageIncident { name, status, text } => {
                let inc = self.page_incident.get_or_insert_with(|| PageIncident {
                    name: name.clone().unwrap_or_else(|| "Service disruption".into()),
                    status: status.clone(),
                    started: at,
                    resolved: None,
                    updates: Vec::new(),
                });
                if let Some(n) = name {
                    inc.name = n.clone();
                }
                inc.status = status.clone();
                inc.updates.push((at, status.clone(), text.clone()));
                if status == "resolved" {
                    inc.resolved = Some(at);
                }
            }
            Action::RssItem { title, text } => self.rss.push((at, title.clone(), text.clone())),
            Action::Smtp { mode, rate } => {
                self.smtp_mode = *mode;
                self.smtp_rate = *rate;
            }
            Action::MailFlow {
                per_minute,
                deferral,
                failure,
                quarantine,
            } => {
                if let Some(v) = per_minute {
                    self.mail.per_minute = *v;
                }
                if let Some(v) = deferral {
                    self.mail.deferral = *v;
                }
                if let Some(v) = failure {
                    self.mail.failure = *v;
                }
                if let Some(v) = quarantine {
                    self.mail.quarantine = *v;
                }
            }
            Action::Restored => {
                self.smtp_mode = SmtpMode::Ok;
                self.mail.deferral = 0.0;
                self.mail.failure = 0.0;
                self.mail.quarantine = 0.0;
                self.indicator = "none".into();
                self.indicator_description = "All Systems Operational".into();
                for c in &mut self.components {
                    if c.1 != "operational" {
                        c.1 = "operational".into();
                        c.2 = at;
                    }
                }
            }
        }
    }

    fn issue_change(&mut self, at: Duration, status: Option<&str>, text: &Option<String>) {
        if let Some(i) = &mut self.issue {
            if let Some(s) = status {
                i.status = s.to_string();
            }
            if let Some(t) = text {
                i.posts.push((at, t.clone()));
            }
            i.updated = at;
        }
    }
}

impl fmt::Display for SmtpMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmtpMode::Ok => "ok",
            SmtpMode::Busy421 => "421",
            SmtpMode::Temp451 => "451",
            SmtpMode::Refuse => "refuse",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_fit_their_duration() {
        for (name, text) in BUILTIN {
            let s = Scenario::parse(text, name).unwrap();
            assert!(!s.steps.is_empty());
            assert!(s.steps.iter().all(|st| st.at <= s.duration));
        }
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = "name = \"x\"\nduration = \"5m\"\n\n[[steps]]\nat = \"1m\"\naction = \"smtp\"\nmode = \"451\"\nrate = 1.5\n";
        let e = Scenario::parse(text, "d.toml").unwrap_err().to_string();
        assert!(e.starts_with("d.toml:8: field `steps[0].rate`"), "{e}");
        let text =
            "name = \"x\"\nduration = \"5m\"\n[[steps]]\nat = \"1m\"\naction = \"graph_post\"\n";
        let e = Scenario::parse(text, "d.toml").unwrap_err().to_string();
        assert!(e.starts_with("d.toml:5: field `steps[0].text`"), "{e}");
        let text =
            "name = \"x\"\nduration = \"5m\"\n[[steps]]\nat = \"9m\"\naction = \"restored\"\n";
        let e = Scenario::parse(text, "d.toml").unwrap_err().to_string();
        assert!(e.starts_with("d.toml:4: field `steps[0].at`"), "{e}");
        let text = "name = \"x\"\nduration = \"5m\"\n[[steps]]\nat = \"1m\"\naction = \"smtp\"\nmode = \"452\"\n";
        let e = Scenario::parse(text, "d.toml").unwrap_err().to_string();
        assert!(e.starts_with("d.toml:6: field `steps[0].mode`"), "{e}");
    }

    #[test]
    fn type_errors_name_the_field_not_the_wrappers_inside_it() {
        for (text, want) in [
            (
                "name = \"x\"\nduration = \"1m\"\n[[steps]]\nat = \"5s\"\naction = 3\n",
                "d.toml:5: field `steps[0].action`: invalid type: integer `3`",
            ),
            (
                "name = \"x\"\nduration = \"1m\"\n[[steps]]\nat = \"5s\"\naction = \"smtp\"\nmode = 451\n",
                "d.toml:6: field `steps[0].mode`: invalid type: integer `451`",
            ),
            (
                "name = \"x\"\nduration = {a = 1}\n",
                "d.toml:2: field `duration`: invalid type: map",
            ),
            (
                "name = \"x\"\nduration = \"1m\"\n[[steps]]\nat = [1]\naction = \"restored\"\n",
                "d.toml:4: field `steps[0].at`: invalid type: sequence",
            ),
        ] {
            let e = Scenario::parse(text, "d.toml").unwrap_err().to_string();
            assert!(e.starts_with(want), "{e}");
            assert!(!e.contains("$__") && !e.contains("serde_spanned"), "{e}");
        }
    }

    #[test]
    fn state_follows_the_steps() {
        let s = Scenario::parse(BUILTIN[0].1, "b").unwrap();
        assert!(s.state_at(Duration::ZERO).issue.is_none());
        let end = s.state_at(s.duration);
        let i = end.issue.unwrap();
        assert_eq!(i.status, "postIncidentReviewPublished");
        assert!(i.resolved.is_some());
        assert_eq!(end.smtp_mode, SmtpMode::Ok);
        assert_eq!(end.mail.deferral, 0.0);
    }
}
