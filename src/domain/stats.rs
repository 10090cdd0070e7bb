//! Figures across incidents (`warroom stats`): how many incidents of each severity, how long
//! the response took (median and 90th percentile of each duration between key times), whether
//! stakeholder updates went out on time, and where the follow-ups stand.
//!
//! Pure: it reads folded incidents; reading them is the store's job.
//!
//! - Which incidents: opened within [since, until], of the severity asked for (the incident's
//!   severity now), drills only when asked for.
//! - Durations: those of `domain::closing::durations` (to detect = detected − started, to
//!   acknowledge = acknowledged − detected, to mitigate = mitigated − started, to resolve =
//!   resolved − started), for each incident where both key times are known (set by hand or
//!   proposed from the timeline). A negative one (key times set out of order) is left out.
//!   The median is the middle value (the mean of the two middle ones for an even count); the
//!   90th percentile is the nearest rank: the smallest value at least 90 % of the values are at
//!   or below.
//! - Updates: every update that reached a channel. Its due time is the one the next-update
//!   clock showed before it: the previous update (or the opening) plus the cadence of the
//!   incident's severity, moved by the snoozes made in between. It is on time when sent at or
//!   before that. With no cadence for the severity every update is on time. The longest gap is
//!   the longest time from the opening to the first update or between two updates.
//! - Follow-ups: open, overdue (open and past the due date, as of `today`) and done.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use super::closing::{Measure, durations};
use super::followup::FollowUpState;
use super::incident::Incident;
use super::updates::Cadence;
use super::vocab::Severity;

/// Which incidents count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsFilter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub severity: Option<Severity>,
    pub drills: bool,
}

impl StatsFilter {
    pub fn accepts(&self, inc: &Incident) -> bool {
        (self.drills || !inc.drill)
            && self.since.is_none_or(|s| inc.opened_at >= s)
            && self.until.is_none_or(|u| inc.opened_at <= u)
            && self.severity.is_none_or(|s| inc.severity == s)
    }
}

/// Median and 90th percentile of one duration, in seconds (`null` when `n` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub median_s: Option<i64>,
    pub p90_s: Option<i64>,
    pub n: usize,
}

impl Figure {
    /// The figure of these values (any order).
    pub fn of(mut values: Vec<i64>) -> Figure {
        values.sort_unstable();
        let n = values.len();
        if n == 0 {
            return Figure {
                median_s: None,
                p90_s: None,
                n,
            };
        }
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            // The mean of the two middle values, rounded down.
            (values[n / 2 - 1] + values[n / 2]).div_euclid(2)
        };
        // Nearest rank: ceil(0.9 n), 1-based.
        let rank = (9 * n).div_ceil(10).max(1);
        Figure {
            median_s: Some(median),
            p90_s: Some(values[rank - 1]),
            n,
        }
    }
}

/// The four durations, in the order of the JSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Durations {
    pub to_detect: Figure,
    pub to_acknowledge: Figure,
    pub to_mitigate: Figure,
    pub to_resolve: Figure,
}

impl Durations {
    pub fn get(&self, m: Measure) -> &Figure {
        match m {
            Measure::ToDetect => &self.to_detect,
            Measure::ToAcknowledge => &self.to_acknowledge,
            Measure::ToMitigate => &self.to_mitigate,
            Measure::ToResolve => &self.to_resolve,
        }
    }
}

/// Stakeholder updates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UpdateFigures {
    pub sent: usize,
    pub on_time: usize,
    /// One decimal; `null` when none was sent.
    pub on_time_pct: Option<f64>,
    pub longest_gap_s: Option<i64>,
}

/// Follow-ups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FollowUpFigures {
    pub open: usize,
    pub overdue: usize,
    pub done: usize,
}

/// Everything `warroom stats` prints; serialises to exactly its `--json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub incidents: usize,
    /// Every severity, also those with none.
    pub by_severity: BTreeMap<String, usize>,
    pub durations: Durations,
    pub updates: UpdateFigures,
    pub followups: FollowUpFigures,
}

/// Each update that reached a channel, with whether it was on time, and the gaps before each.
fn update_timing(inc: &Incident, cadence: &Cadence) -> (usize, usize, Option<Duration>) {
    let mut sends = inc.comms.sent_times.clone();
    sends.sort_unstable();
    let mut snoozes = inc.comms.snooze_log.clone();
    snoozes.sort_unstable();
    let every = cadence.of(inc.severity);
    let (mut on_time, mut longest) = (0, None::<Duration>);
    let mut prev = inc.opened_at;
    for at in &sends {
        let gap = *at - prev;
        longest = Some(longest.map_or(gap, |l| l.max(gap)));
        let ok = match every {
            None => true,
            Some(every) => {
                let mut due = prev + every;
                for (s, minutes) in snoozes.iter().filter(|(s, _)| *s >= prev && s < at) {
                    due = due.max(*s) + Duration::minutes(i64::from(*minutes));
                }
                *at <= due
            }
        };
        if ok {
            on_time += 1;
        }
        prev = prev.max(*at);
    }
    (sends.len(), on_time, longest)
}

/// The figures of the incidents `filter` accepts; `today` decides which follow-ups are overdue.
pub fn compute<'a>(
    incidents: impl IntoIterator<Item = &'a Incident>,
    filter: &StatsFilter,
    cadence: &Cadence,
    today: NaiveDate,
) -> Stats {
    let mut by_severity: BTreeMap<String, usize> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut values: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let (mut count, mut sent, mut on_time) = (0, 0, 0);
    let mut longest: Option<i64> = None;
    let mut fu = FollowUpFigures {
        open: 0,
        overdue: 0,
        done: 0,
    };
    for inc in incidents.into_iter().filter(|i| filter.accepts(i)) {
        count += 1;
        *by_severity
            .entry(inc.severity.as_str().to_string())
            .or_default() += 1;
        for (m, d) in durations(inc) {
            if let Some(d) = d.filter(|d| *d >= Duration::zero()) {
                values.entry(m.as_str()).or_default().push(d.num_seconds());
            }
        }
        let (s, o, gap) = update_timing(inc, cadence);
        sent += s;
        on_time += o;
        if let Some(g) = gap {
            longest = Some(longest.map_or(g.num_seconds(), |l| l.max(g.num_seconds())));
        }
        for f in inc.followups() {
            match f.state {
                FollowUpState::Open => {
                    fu.open += 1;
                    if f.overdue(today) {
                        fu.overdue += 1;
                    }
                }
                FollowUpState::Done => fu.done += 1,
                FollowUpState::Dropped => {}
            }
        }
    }
    let mut fig = |m: Measure| Figure::of(values.remove(m.as_str()).unwrap_or_default());
    Stats {
        incidents: count,
        by_severity,
        durations: Durations {
            to_detect: fig(Measure::ToDetect),
            to_acknowledge: fig(Measure::ToAcknowledge),
            to_mitigate: fig(Measure::ToMitigate),
            to_resolve: fig(Measure::ToResolve),
        },
        updates: UpdateFigures {
            sent,
            on_time,
            on_time_pct: (sent > 0).then(|| (on_time as f64 * 1000.0 / sent as f64).round() / 10.0),
            longest_gap_s: longest,
        },
        followups: fu,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::close_record::FollowUp;
    use crate::domain::event::{Event, EventBody};
    use crate::domain::vocab::{EntryKind, KeyTime, Status};
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 10, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn open(at: i64, sev: Severity, drill: bool) -> Event {
        Event::new(
            t(at),
            "a",
            EventBody::IncidentOpened {
                incident: format!("i{at}"),
                title: "t".into(),
                severity: sev,
                status: Status::Investigating,
                started_at: None,
                drill,
            },
        )
    }

    fn ev(at: i64, body: EventBody) -> Event {
        Event::new(t(at), "a", body)
    }

    fn sent(at: i64) -> Event {
        ev(
            at,
            EventBody::UpdateSent {
                template: "internal".into(),
                channels_ok: vec!["file".into()],
                channels_failed: vec![],
                text: "x".into(),
                retry_of: None,
                statuspage: vec![],
            },
        )
    }

    /// Opened at `o`; started 10 min before (set by hand), acknowledged 3 min after opening,
    /// mitigated at +`m`, resolved at +`r`.
    fn incident(o: i64, sev: Severity, m: i64, r: i64) -> Incident {
        let evs = vec![
            open(o, sev, false),
            ev(
                o + 1,
                EventBody::KeyTimeSet {
                    which: KeyTime::Started,
                    time: t(o - 10),
                },
            ),
            ev(
                o + 3,
                EventBody::EntryAdded {
                    occurred_at: t(o + 3),
                    kind: EntryKind::Note,
                    text: "looking".into(),
                    step: None,
                },
            ),
            ev(
                o + m,
                EventBody::StatusSet {
                    status: Status::Mitigated,
                },
            ),
            ev(
                o + r,
                EventBody::StatusSet {
                    status: Status::Resolved,
                },
            ),
        ];
        Incident::from_events(&evs).unwrap()
    }

    #[test]
    fn median_and_p90_by_nearest_rank() {
        let f = Figure::of((1..=10).rev().collect());
        assert_eq!((f.median_s, f.p90_s, f.n), (Some(5), Some(9), 10));
        let f = Figure::of(vec![7]);
        assert_eq!((f.median_s, f.p90_s), (Some(7), Some(7)));
        let f = Figure::of(vec![1, 2, 100]);
        assert_eq!((f.median_s, f.p90_s), (Some(2), Some(100)));
        assert_eq!(Figure::of(vec![]).median_s, None);
    }

    #[test]
    fn durations_from_key_times_and_the_filter() {
        let a = incident(0, Severity::Sev1, 20, 60);
        let b = incident(1000, Severity::Sev2, 40, 100);
        let c = incident(2000, Severity::Sev2, 30, 200);
        let drill = {
            let mut evs = vec![open(3000, Severity::Sev1, true)];
            evs.push(ev(
                3001,
                EventBody::StatusSet {
                    status: Status::Resolved,
                },
            ));
            Incident::from_events(&evs).unwrap()
        };
        let all = [a, b, c, drill];
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let s = compute(&all, &StatsFilter::default(), &Cadence::default(), today);
        assert_eq!(s.incidents, 3, "the drill is left out");
        assert_eq!(s.by_severity["sev1"], 1);
        assert_eq!(s.by_severity["sev2"], 2);
        assert_eq!(s.by_severity["sev4"], 0);
        // Detected (the opening) − started (10 min before) for each.
        assert_eq!(s.durations.to_detect.median_s, Some(600));
        assert_eq!(s.durations.to_acknowledge.median_s, Some(180));
        // To mitigate: 30, 50, 40 minutes from the start.
        assert_eq!(s.durations.to_mitigate.median_s, Some(40 * 60));
        assert_eq!(s.durations.to_mitigate.p90_s, Some(50 * 60));
        // To resolve: 70, 110, 210.
        assert_eq!(s.durations.to_resolve.median_s, Some(110 * 60));
        assert_eq!(s.durations.to_resolve.n, 3);
        let with = compute(
            &all,
            &StatsFilter {
                drills: true,
                ..Default::default()
            },
            &Cadence::default(),
            today,
        );
        assert_eq!(with.incidents, 4);
        assert_eq!(with.durations.to_mitigate.n, 4);
        let sev2 = compute(
            &all,
            &StatsFilter {
                severity: Some(Severity::Sev2),
                since: Some(t(500)),
                until: Some(t(1500)),
                drills: false,
            },
            &Cadence::default(),
            today,
        );
        assert_eq!(sev2.incidents, 1);
        assert_eq!(sev2.durations.to_resolve.median_s, Some(110 * 60));
    }

    #[test]
    fn updates_on_time_with_snoozes_and_the_longest_gap() {
        // SEV2: every 30 minutes.
        let evs = vec![
            open(0, Severity::Sev2, false),
            sent(25),                                         // due 30: on time
            ev(50, EventBody::UpdateSnoozed { minutes: 10 }), // due 55 → 65
            sent(62),                                         // on time thanks to the snooze
            sent(100),                                        // due 92: late
        ];
        let inc = Incident::from_events(&evs).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let s = compute([&inc], &StatsFilter::default(), &Cadence::default(), today);
        assert_eq!((s.updates.sent, s.updates.on_time), (3, 2));
        assert_eq!(s.updates.on_time_pct, Some(66.7));
        assert_eq!(s.updates.longest_gap_s, Some(38 * 60));
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["updates"]["on_time"], 2);
        assert_eq!(
            json["durations"]["to_resolve"]["median_s"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn followups_open_overdue_done() {
        let mut evs = vec![open(0, Severity::Sev3, false)];
        let close = ev(
            10,
            EventBody::Closed {
                summary: "s".into(),
                impact: String::new(),
                root_cause: String::new(),
                follow_ups: vec![
                    FollowUp::parse("a|bob|2026-11-20").unwrap(),
                    FollowUp::parse("b|bob|2026-12-20").unwrap(),
                    FollowUp::parse("c|bob|next sprint").unwrap(),
                    FollowUp::parse("d|bob").unwrap(),
                ],
                override_reason: None,
            },
        );
        let ids: Vec<String> = (0..4)
            .map(|i| crate::domain::followup::derived_id(close.id, i))
            .collect();
        evs.push(close);
        evs.push(ev(
            11,
            EventBody::FollowupChanged {
                followup: ids[2].clone(),
                state: FollowUpState::Done,
                reason: None,
            },
        ));
        evs.push(ev(
            12,
            EventBody::FollowupChanged {
                followup: ids[3].clone(),
                state: FollowUpState::Dropped,
                reason: Some("moot".into()),
            },
        ));
        let inc = Incident::from_events(&evs).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let s = compute([&inc], &StatsFilter::default(), &Cadence::default(), today);
        assert_eq!(
            s.followups,
            FollowUpFigures {
                open: 2,
                overdue: 1,
                done: 1
            }
        );
    }
}
