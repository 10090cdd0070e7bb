//! The shared vocabulary: the closed sets of words the journal, the config, the CLI and the
//! console all use (severity, status, roles, entry kinds, key times, step statuses, health
//! levels). Word families kept elsewhere (the Statuspage component statuses of
//! `domain::channels`) are declared with the same macro, `crate::domain::vocab::words!`.
//!
//! A leaf: it imports nothing from the rest of the crate. Every word family is declared with
//! [`words!`], which writes the word ↔ enum boilerplate once: `ALL`, `as_str`, `Display`,
//! `FromStr` (case-insensitive, with an error that lists the accepted words) and serde through
//! the same words.

/// Declares a word family: an enum whose every value is written as one word.
///
/// ```text
/// words! {
///     /// Docs.
///     pub enum Role ("role") { Commander => "commander", Deputy => "deputy" }
/// }
/// ```
/// `("key time", abbrev 3)` also accepts any unambiguous prefix of at least three letters.
macro_rules! words {
    (
        $(#[$m:meta])*
        pub enum $name:ident ($what:literal $(, abbrev $min:literal)?) {
            $($(#[$vm:meta])* $var:ident => $word:literal),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The word used in the journal, the CLI and the config.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let words: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                $crate::domain::vocab::find_word(&words, s, 0 $(+ $min)?)
                    .map(|i| $name::ALL[i])
                    .ok_or_else(|| $crate::domain::vocab::unknown_word($what, s, &words))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use words;

/// The index of `input` among `words` (case-insensitive, trimmed); with `abbrev` > 0, a prefix
/// of at least that many letters that only one word starts with also counts.
pub(crate) fn find_word(words: &[&str], input: &str, abbrev: usize) -> Option<usize> {
    let s = input.trim();
    if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case(s)) {
        return Some(i);
    }
    if abbrev == 0 || s.len() < abbrev {
        return None;
    }
    let s = s.to_ascii_lowercase();
    let mut hits = words.iter().enumerate().filter(|(_, w)| w.starts_with(&s));
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

/// `unknown severity "sev9": use one of sev1, sev2, sev3, sev4`.
pub(crate) fn unknown_word(what: &str, input: &str, words: &[&str]) -> String {
    format!(
        "unknown {what} {:?}: use one of {}",
        input.trim(),
        words.join(", ")
    )
}

words! {
    /// SEV1 is the worst.
    pub enum Severity ("severity") { Sev1 => "sev1", Sev2 => "sev2", Sev3 => "sev3", Sev4 => "sev4" }
}

impl Severity {
    /// `SEV1`…`SEV4`, as shown on screen.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
        }
    }

    /// Parses `sev2`, `SEV2` or just `2`.
    pub fn parse_loose(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s {
            "1" => Ok(Severity::Sev1),
            "2" => Ok(Severity::Sev2),
            "3" => Ok(Severity::Sev3),
            "4" => Ok(Severity::Sev4),
            _ => s.parse(),
        }
    }
}

words! {
    /// Where the response stands.
    pub enum Status ("status") {
        Investigating => "investigating",
        Identified => "identified",
        Mitigated => "mitigated",
        Monitoring => "monitoring",
        Resolved => "resolved",
    }
}

impl Status {
    /// The status of a new incident.
    pub fn initial() -> Self {
        Status::Investigating
    }

    /// Capitalised for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Status::Investigating => "Investigating",
            Status::Identified => "Identified",
            Status::Mitigated => "Mitigated",
            Status::Monitoring => "Monitoring",
            Status::Resolved => "Resolved",
        }
    }
}

words! {
    /// Response roles.
    pub enum Role ("role") {
        Commander => "commander",
        Deputy => "deputy",
        Scribe => "scribe",
        Comms => "comms",
    }
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::Deputy => "deputy",
            Role::Scribe => "scribe",
            Role::Comms => "comms lead",
        }
    }
}

words! {
    /// What a timeline entry records. The first four are typed by people; `incident` entries come
    /// from changes of the incident's own fields; `health`, `trace` and `step` from the other panes.
    pub enum EntryKind ("entry kind") {
        Note => "note",
        Action => "action",
        Decision => "decision",
        Comms => "comms",
        Incident => "incident",
        Health => "health",
        Trace => "trace",
        Step => "step",
    }
}

impl EntryKind {
    /// The kinds a person picks when adding an entry by hand.
    pub const TYPED: &'static [EntryKind] = &[
        EntryKind::Note,
        EntryKind::Action,
        EntryKind::Decision,
        EntryKind::Comms,
    ];
}

words! {
    /// The moments of a response that the review asks about.
    pub enum KeyTime ("key time", abbrev 3) {
        Started => "started",
        Detected => "detected",
        Acknowledged => "acknowledged",
        Mitigated => "mitigated",
        Resolved => "resolved",
    }
}

words! {
    /// Where a playbook step stands (the word used in the journal and the timeline).
    #[derive(Default)]
    pub enum StepStatus ("step status") {
        /// Not started.
        #[default]
        Todo => "todo",
        /// Someone is on it; a check-back timer runs if the step has one.
        Doing => "doing",
        /// Finished.
        Done => "done",
        /// Deliberately not done, with a reason.
        Skipped => "skipped",
    }
}

words! {
    /// How bad things are on a health source. The derived order is by severity, least severe
    /// first: `Operational < Maintenance < Unknown < Degraded < PartialOutage < MajorOutage`, so
    /// the worst of several levels is their `max`. `Unknown` ranks above "all fine" (we cannot
    /// vouch for it) but below any reported problem.
    #[derive(Default)]
    pub enum Level ("level") {
        /// Working normally.
        Operational => "operational",
        /// Planned maintenance in progress.
        Maintenance => "maintenance",
        /// No usable information (never polled successfully, or a value we do not know).
        #[default]
        Unknown => "unknown",
        /// Working, but slow or partly failing.
        Degraded => "degraded",
        /// Failing for part of the users or features.
        PartialOutage => "partial_outage",
        /// Down.
        MajorOutage => "major_outage",
    }
}

impl Level {
    /// True for `Degraded`, `PartialOutage` and `MajorOutage`.
    pub fn is_problem(self) -> bool {
        self >= Level::Degraded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back_in_any_case_and_errors_list_the_words() {
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(*s));
            assert_eq!(s.as_str().to_uppercase().parse::<Severity>(), Ok(*s));
        }
        assert_eq!(
            "sev9".parse::<Severity>(),
            Err("unknown severity \"sev9\": use one of sev1, sev2, sev3, sev4".to_string())
        );
        assert_eq!(
            " Partial_Outage ".parse::<Level>(),
            Ok(Level::PartialOutage)
        );
    }

    #[test]
    fn key_times_take_a_prefix_of_three_letters() {
        assert_eq!("ack".parse::<KeyTime>(), Ok(KeyTime::Acknowledged));
        assert_eq!("MITIG".parse::<KeyTime>(), Ok(KeyTime::Mitigated));
        assert!("ac".parse::<KeyTime>().is_err());
        assert!("status".parse::<Status>().is_err());
        assert!("inv".parse::<Status>().is_err(), "no prefixes for statuses");
    }

    #[test]
    fn serde_uses_the_words() {
        assert_eq!(
            serde_json::to_string(&EntryKind::Decision).unwrap(),
            "\"decision\""
        );
        assert_eq!(
            serde_json::from_str::<Role>("\"comms\"").unwrap(),
            Role::Comms
        );
        let err = serde_json::from_str::<Role>("\"boss\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("use one of commander, deputy, scribe, comms"),
            "{err}"
        );
        assert_eq!(Level::default(), Level::Unknown);
    }
}
