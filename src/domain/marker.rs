//! Markers on timeline entries: the moments that mattered to the response. `m` on an entry
//! cycles detection → diagnosis → repair → key moment → none (an `entry_marked` event). They
//! feed the review's detection, diagnosis and repair sections and can propose the detected key
//! time (see `domain::closing`).

use serde::{Deserialize, Serialize};

/// What a marked entry was to the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    /// When (and how) the problem was noticed.
    Detection,
    /// A step in finding out what was wrong.
    Diagnosis,
    /// A step in putting it right.
    Repair,
    /// Any other moment the review should tell.
    KeyMoment,
}

impl Marker {
    pub const ALL: [Marker; 4] = [
        Marker::Detection,
        Marker::Diagnosis,
        Marker::Repair,
        Marker::KeyMoment,
    ];

    /// The next marker in the cycle `m` walks; `None` (no marker) after the last.
    pub fn cycle(current: Option<Marker>) -> Option<Marker> {
        match current {
            None => Some(Marker::Detection),
            Some(Marker::Detection) => Some(Marker::Diagnosis),
            Some(Marker::Diagnosis) => Some(Marker::Repair),
            Some(Marker::Repair) => Some(Marker::KeyMoment),
            Some(Marker::KeyMoment) => None,
        }
    }

    /// `key_moment`, as stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Marker::Detection => "detection",
            Marker::Diagnosis => "diagnosis",
            Marker::Repair => "repair",
            Marker::KeyMoment => "key_moment",
        }
    }

    /// `key moment`, for people.
    pub fn label(self) -> &'static str {
        match self {
            Marker::Detection => "detection",
            Marker::Diagnosis => "diagnosis",
            Marker::Repair => "repair",
            Marker::KeyMoment => "key moment",
        }
    }

    /// The small tag the timeline shows: `DET`, `DIAG`, `FIX`, `KEY`.
    pub fn tag(self) -> &'static str {
        match self {
            Marker::Detection => "DET",
            Marker::Diagnosis => "DIAG",
            Marker::Repair => "FIX",
            Marker::KeyMoment => "KEY",
        }
    }
}

impl std::fmt::Display for Marker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_visits_every_marker_then_none() {
        let mut seen = Vec::new();
        let mut m = Marker::cycle(None);
        while let Some(x) = m {
            seen.push(x);
            m = Marker::cycle(m);
        }
        assert_eq!(seen, Marker::ALL);
        assert_eq!(
            serde_json::to_string(&Marker::KeyMoment).unwrap(),
            "\"key_moment\""
        );
    }
}
