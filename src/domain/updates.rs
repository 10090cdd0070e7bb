//! Stakeholder updates: the cadence per severity, the next-update clock, the channels an update
//! can go out on (config types only; sending lives in `crate::updates`), and what a sent or
//! snoozed update looks like in the timeline.
//!
//! ```toml
//! [updates]
//! cadence = { sev1 = "20m", sev2 = "30m", sev3 = "60m", sev4 = "none" }
//!
//! [[updates.channels]]
//! name = "ops-teams"
//! kind = "teams"                  # teams | slack | webhook | smtp | file | clipboard
//! url_env = "WARROOM_TEAMS_URL"   # or url_file = "/run/secrets/teams", or url = "..."
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer};

pub use super::channels::{
    Audience, ChannelConfig, ChannelKind, ComponentStatus, SecretRef, SmtpChannel, SmtpTls,
    StatuspageChannel, TeamsChannel, TeamsFormat, UrlRef, statuspage_impact, statuspage_status,
};
pub use super::comms::{ChannelFailure, CommsLog, StatuspagePublished};
pub use super::entry_text::{sent_entry_text, snooze_entry_text};
use super::incident::Incident;
use super::time::{format_duration, parse_duration};
use super::vocab::Severity;

/// How long before the due time the clock turns amber.
pub const AMBER_WINDOW_MINUTES: i64 = 5;
/// The snoozes offered in the console.
pub const SNOOZE_CHOICES: [u32; 3] = [5, 10, 15];
/// The longest cadence or snooze accepted.
const MAX_CADENCE_DAYS: i64 = 7;

/// The time between stakeholder updates, per severity; `None` means no cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cadence {
    #[serde(deserialize_with = "de_cadence")]
    pub sev1: Option<Duration>,
    #[serde(deserialize_with = "de_cadence")]
    pub sev2: Option<Duration>,
    #[serde(deserialize_with = "de_cadence")]
    pub sev3: Option<Duration>,
    #[serde(deserialize_with = "de_cadence")]
    pub sev4: Option<Duration>,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            sev1: Some(Duration::minutes(20)),
            sev2: Some(Duration::minutes(30)),
            sev3: Some(Duration::minutes(60)),
            sev4: None,
        }
    }
}

impl Cadence {
    /// The interval for a severity.
    pub fn of(&self, severity: Severity) -> Option<Duration> {
        match severity {
            Severity::Sev1 => self.sev1,
            Severity::Sev2 => self.sev2,
            Severity::Sev3 => self.sev3,
            Severity::Sev4 => self.sev4,
        }
    }
}

/// Reads `"20m"`, `"1h"` or `"none"` (also `"off"`).
pub fn parse_cadence(input: &str) -> Result<Option<Duration>, String> {
    let s = input.trim();
    if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match parse_duration(s) {
        Some(d) if d > Duration::zero() && d <= Duration::days(MAX_CADENCE_DAYS) => Ok(Some(d)),
        _ => Err(format!(
            "`{}` is not a cadence; write it like \"20m\", \"1h\" or \"none\"",
            input.escape_debug()
        )),
    }
}

fn de_cadence<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_cadence(&s).map_err(serde::de::Error::custom)
}

/// The `[updates]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RawUpdatesConfig")]
pub struct UpdatesConfig {
    pub cadence: Cadence,
    /// The template `U` starts with.
    pub default_template: String,
    /// Where the user's own templates are; default `<config dir>/templates`.
    pub templates_dir: Option<PathBuf>,
    /// Channels an update can go out on, in config order.
    pub channels: Vec<ChannelConfig>,
}

impl Default for UpdatesConfig {
    fn default() -> Self {
        UpdatesConfig {
            cadence: Cadence::default(),
            default_template: DEFAULT_TEMPLATE.to_string(),
            templates_dir: None,
            channels: Vec::new(),
        }
    }
}

/// The template `U` opens with unless the config says otherwise.
pub const DEFAULT_TEMPLATE: &str = "internal";

impl UpdatesConfig {
    /// A channel by name.
    pub fn channel(&self, name: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// `a, b, c` for messages.
    pub fn channel_names(&self) -> String {
        if self.channels.is_empty() {
            return "none configured".into();
        }
        self.channels
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpdatesConfig {
    #[serde(default)]
    cadence: Cadence,
    #[serde(default)]
    default_template: Option<String>,
    #[serde(default)]
    templates_dir: Option<PathBuf>,
    #[serde(default)]
    channels: Vec<ChannelConfig>,
}

impl TryFrom<RawUpdatesConfig> for UpdatesConfig {
    type Error = String;
    fn try_from(raw: RawUpdatesConfig) -> Result<Self, String> {
        let mut names = BTreeSet::new();
        for c in &raw.channels {
            if !names.insert(c.name.as_str()) {
                return Err(format!(
                    "two update channels are named `{}`; give each channel a unique name",
                    c.name
                ));
            }
        }
        Ok(UpdatesConfig {
            cadence: raw.cadence,
            default_template: raw
                .default_template
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TEMPLATE.to_string()),
            templates_dir: raw.templates_dir,
            channels: raw.channels,
        })
    }
}

/// Where the clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// More than five minutes to go.
    Plenty,
    /// Five minutes or less to go.
    Soon,
    /// Past the due time.
    Overdue,
}

/// The next-update clock at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateClock {
    pub due: DateTime<Utc>,
    /// Time left; negative when overdue.
    pub remaining: Duration,
    pub state: ClockState,
    pub cadence: Duration,
}

/// When the next update is due: from the last update that went out (or the opening), plus the
/// severity's cadence; each later snooze moves it to `max(due, snoozed at) + minutes`. `None` when
/// the severity has no cadence or the incident is closed.
pub fn next_due(incident: &Incident, cadence: &Cadence) -> Option<DateTime<Utc>> {
    if incident.is_closed() {
        return None;
    }
    let every = cadence.of(incident.severity)?;
    let base = incident.comms.last_sent.unwrap_or(incident.opened_at);
    let mut due = base + every;
    for (at, minutes) in &incident.comms.snoozes {
        due = due.max(*at) + Duration::minutes(i64::from(*minutes));
    }
    Some(due)
}

/// The clock at `now`.
pub fn clock(incident: &Incident, cadence: &Cadence, now: DateTime<Utc>) -> Option<UpdateClock> {
    let due = next_due(incident, cadence)?;
    let every = cadence.of(incident.severity)?;
    let remaining = due - now;
    let state = if remaining < Duration::zero() {
        ClockState::Overdue
    } else if remaining <= Duration::minutes(AMBER_WINDOW_MINUTES) {
        ClockState::Soon
    } else {
        ClockState::Plenty
    };
    Some(UpdateClock {
        due,
        remaining,
        state,
        cadence: every,
    })
}

/// `mm:ss` (or `h:mm:ss`) of a duration's magnitude.
pub fn countdown(d: Duration) -> String {
    let s = d.num_seconds().unsigned_abs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

impl fmt::Display for ClockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockState::Plenty => "plenty",
            ClockState::Soon => "soon",
            ClockState::Overdue => "overdue",
        })
    }
}

/// `30m`, or `none`.
pub fn show_cadence(c: Option<Duration>) -> String {
    c.map(format_duration).unwrap_or_else(|| "none".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, EventBody};
    use crate::domain::incident::Status;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn incident(sev: Severity) -> Incident {
        Incident::from_events(&[Event::new(
            t(0),
            "a",
            EventBody::IncidentOpened {
                incident: "i".into(),
                title: "x".into(),
                severity: sev,
                status: Status::Investigating,
                started_at: None,
                drill: false,
            },
        )])
        .unwrap()
    }

    fn sent(inc: &mut Incident, min: i64, ok: &[&str]) {
        inc.apply(&Event::new(
            t(min),
            "a",
            EventBody::UpdateSent {
                template: "internal".into(),
                channels_ok: ok.iter().map(|s| s.to_string()).collect(),
                channels_failed: vec![],
                text: "hello".into(),
                retry_of: None,
                statuspage: vec![],
            },
        ));
    }

    fn snooze(inc: &mut Incident, min: i64, minutes: u32) {
        inc.apply(&Event::new(
            t(min),
            "a",
            EventBody::UpdateSnoozed { minutes },
        ));
    }

    #[test]
    fn cadence_parses_and_defaults() {
        assert_eq!(parse_cadence("20m"), Ok(Some(Duration::minutes(20))));
        assert_eq!(parse_cadence("none"), Ok(None));
        assert_eq!(parse_cadence("1h30m"), Ok(Some(Duration::minutes(90))));
        for bad in ["", "0m", "20", "soon", "8d"] {
            assert!(parse_cadence(bad).is_err(), "{bad}");
        }
        let c = Cadence::default();
        assert_eq!(c.of(Severity::Sev1), Some(Duration::minutes(20)));
        assert_eq!(c.of(Severity::Sev4), None);
        let cfg: UpdatesConfig =
            toml::from_str("cadence = { sev2 = \"15m\", sev4 = \"2h\" }").unwrap();
        assert_eq!(cfg.cadence.sev2, Some(Duration::minutes(15)));
        assert_eq!(cfg.cadence.sev1, Some(Duration::minutes(20)));
        assert_eq!(cfg.cadence.sev4, Some(Duration::hours(2)));
        let e = toml::from_str::<UpdatesConfig>("cadence = { sev2 = \"30\" }").unwrap_err();
        assert!(e.to_string().contains("\"20m\""), "{e}");
    }

    #[test]
    fn clock_counts_from_opening_then_from_the_last_update_that_reached_someone() {
        let c = Cadence::default();
        let mut inc = incident(Severity::Sev2);
        assert_eq!(next_due(&inc, &c), Some(t(30)));
        let k = clock(&inc, &c, t(10)).unwrap();
        assert_eq!(
            (k.state, k.remaining),
            (ClockState::Plenty, Duration::minutes(20))
        );
        assert_eq!(clock(&inc, &c, t(25)).unwrap().state, ClockState::Soon);
        assert_eq!(clock(&inc, &c, t(30)).unwrap().state, ClockState::Soon);
        assert_eq!(clock(&inc, &c, t(31)).unwrap().state, ClockState::Overdue);
        // An update that reached nobody does not count.
        sent(&mut inc, 28, &[]);
        assert_eq!(next_due(&inc, &c), Some(t(30)));
        sent(&mut inc, 32, &["teams"]);
        assert_eq!(next_due(&inc, &c), Some(t(62)));
        // Severity changes the cadence at once.
        inc.apply(&Event::new(
            t(33),
            "a",
            EventBody::SeveritySet {
                severity: Severity::Sev1,
            },
        ));
        assert_eq!(next_due(&inc, &c), Some(t(52)));
        inc.apply(&Event::new(
            t(34),
            "a",
            EventBody::SeveritySet {
                severity: Severity::Sev4,
            },
        ));
        assert_eq!(clock(&inc, &c, t(40)), None);
    }

    #[test]
    fn snoozes_push_the_due_time_and_are_cleared_by_a_send() {
        let c = Cadence::default();
        let mut inc = incident(Severity::Sev2);
        // Four minutes left, snooze 5: due nine minutes from then.
        snooze(&mut inc, 26, 5);
        assert_eq!(next_due(&inc, &c), Some(t(35)));
        // Overdue by three, snooze 10: ten minutes from the snooze.
        snooze(&mut inc, 38, 10);
        assert_eq!(next_due(&inc, &c), Some(t(48)));
        let entries: Vec<_> = inc.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            entries,
            [
                "next stakeholder update snoozed by 5 min",
                "next stakeholder update snoozed by 10 min"
            ]
        );
        sent(&mut inc, 40, &["slack"]);
        assert_eq!(next_due(&inc, &c), Some(t(70)));
        assert_eq!(inc.comms.sent, 1);
    }

    #[test]
    fn countdown_and_entry_text() {
        assert_eq!(countdown(Duration::seconds(470)), "07:50");
        assert_eq!(countdown(Duration::seconds(-190)), "03:10");
        assert_eq!(countdown(Duration::seconds(3723)), "1:02:03");
        let text = sent_entry_text(
            "internal",
            &["teams".into()],
            &[ChannelFailure {
                channel: "hook".into(),
                error: "HTTP 500".into(),
            }],
            false,
            "body",
        );
        assert_eq!(
            text,
            "stakeholder update (internal) sent to teams; FAILED: hook (HTTP 500)\nbody"
        );
    }

    #[test]
    fn channel_config_is_checked() {
        let parse = |s: &str| toml::from_str::<UpdatesConfig>(s);
        let ok = parse(
            "[[channels]]\nname = \"t\"\nkind = \"teams\"\nurl_env = \"X\"\n\n[[channels]]\nname = \"m\"\nkind = \"smtp\"\nhost = \"relay\"\nfrom = \"w@x.org\"\nto = [\"a@x.org\"]\n\n[[channels]]\nname = \"c\"\nkind = \"clipboard\"\n",
        )
        .unwrap();
        assert_eq!(ok.channels.len(), 3);
        assert_eq!(
            ok.channels[0].kind,
            ChannelKind::Teams(TeamsChannel {
                url: UrlRef::Env("X".into()),
                format: TeamsFormat::AdaptiveCard
            })
        );
        match &ok.channels[1].kind {
            ChannelKind::Smtp(s) => assert_eq!(
                (s.port, s.helo.as_str(), s.tls),
                (587, "warroom.invalid", SmtpTls::StartTls)
            ),
            k => panic!("{k:?}"),
        }
        for (bad, want) in [
            ("name = \"t\"\nkind = \"teams\"", "needs its URL"),
            (
                "name = \"t\"\nkind = \"teams\"\nurl = \"a\"\nurl_env = \"B\"",
                "only one",
            ),
            ("name = \"t\"\nkind = \"fax\"", "unknown kind"),
            (
                "name = \"m\"\nkind = \"smtp\"\nhost = \"r\"\nfrom = \"w@x\"\nto = []",
                "needs to =",
            ),
            (
                "name = \"m\"\nkind = \"smtp\"\nhost = \"r\"\nfrom = \"w@x\"\nto = [\"a@x\\r\\nRCPT\"]",
                "not a mail address",
            ),
            ("name = \"f\"\nkind = \"file\"", "needs path"),
            ("name = \"two words\"\nkind = \"clipboard\"", "one word"),
        ] {
            let e = parse(&format!("[[channels]]\n{bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
        let e = parse("[[channels]]\nname = \"c\"\nkind = \"clipboard\"\n[[channels]]\nname = \"c\"\nkind = \"clipboard\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unique"), "{e}");
    }
}
