//! `warroom stats` on incidents whose key times are known, through the real binary.

use std::path::Path;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{Value, json};

use crate::common;
use warroom::domain::close_record::FollowUp;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::followup::{FollowUpState, derived_id};
use warroom::domain::incident::{KeyTime, Severity};
use warroom::store::DataDir;

fn run(d: &Path, args: &[&str]) -> (bool, String, String) {
    common::run_warroom(d, Path::new("/dev/null"), args, &[])
}

/// An incident opened at `at` with every key time set by hand (minutes from the opening).
fn incident(
    data: &DataDir,
    title: &str,
    sev: Severity,
    at: DateTime<Utc>,
    drill: bool,
    keys: [i64; 5],
) -> String {
    let id = data.create(title, sev, "alice", at, drill).unwrap();
    let mut j = data.journal(&id).unwrap();
    for (which, m) in KeyTime::ALL.iter().zip(keys) {
        j.append(&Event::new(
            at + Duration::minutes(70),
            "alice",
            EventBody::KeyTimeSet {
                which: *which,
                time: at + Duration::minutes(m),
            },
        ))
        .unwrap();
    }
    id
}

fn sent(at: DateTime<Utc>) -> Event {
    Event::new(
        at,
        "alice",
        EventBody::UpdateSent {
            template: "internal".into(),
            channels_ok: vec!["file".into()],
            channels_failed: vec![],
            text: "update".into(),
            retry_of: None,
            statuspage: vec![],
        },
    )
}

#[test]
fn stats_over_incidents_with_known_key_times() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = DataDir::new(d);
    let base = (Utc::now() - Duration::days(10)).trunc_subsecs(0);
    // SEV1: started 5 min before the opening, acknowledged +2, mitigated +30, resolved +60.
    let a = incident(
        &data,
        "MX down",
        Severity::Sev1,
        base,
        false,
        [-5, 0, 2, 30, 60],
    );
    let mut j = data.journal(&a).unwrap();
    // Cadence 20 min: the first on time (due +20), the second late (due +35).
    j.append(&sent(base + Duration::minutes(15))).unwrap();
    j.append(&sent(base + Duration::minutes(40))).unwrap();
    let close = Event::new(
        base + Duration::minutes(71),
        "alice",
        EventBody::Closed {
            summary: "fixed".into(),
            impact: String::new(),
            root_cause: String::new(),
            follow_ups: vec![
                FollowUp::parse("Second MX | bob | 2001-01-01").unwrap(),
                FollowUp::parse("Alert | bob").unwrap(),
            ],
            override_reason: None,
        },
    );
    let done = EventBody::FollowupChanged {
        followup: derived_id(close.id, 1),
        state: FollowUpState::Done,
        reason: None,
    };
    j.append(&close).unwrap();
    j.append(&Event::new(base + Duration::minutes(80), "alice", done))
        .unwrap();
    // SEV2 a day later, still open: started 1 min before, ack +4, mitigated +20, resolved +40.
    let day = Duration::days(1);
    incident(
        &data,
        "Relay slow",
        Severity::Sev2,
        base + day,
        false,
        [-1, 0, 4, 20, 40],
    );
    // A drill and an incident from long ago: left out by default.
    incident(
        &data,
        "Drill",
        Severity::Sev2,
        base + day * 2,
        true,
        [0, 0, 1, 2, 3],
    );
    let old = Utc::now() - Duration::days(200);
    incident(
        &data,
        "Old one",
        Severity::Sev3,
        old,
        false,
        [0, 10, 20, 30, 40],
    );

    let (ok, out, err) = run(d, &["stats", "--json"]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        json!({
            "incidents": 2,
            "by_severity": {"sev1": 1, "sev2": 1, "sev3": 0, "sev4": 0},
            "durations": {
                "to_detect": {"median_s": 180, "p90_s": 300, "n": 2},
                "to_acknowledge": {"median_s": 180, "p90_s": 240, "n": 2},
                "to_mitigate": {"median_s": 1680, "p90_s": 2100, "n": 2},
                "to_resolve": {"median_s": 3180, "p90_s": 3900, "n": 2}
            },
            "updates": {"sent": 2, "on_time": 1, "on_time_pct": 50.0, "longest_gap_s": 1500},
            "followups": {"open": 1, "overdue": 1, "done": 1}
        })
    );
    // The keys come in the documented order.
    assert!(
        out.starts_with("{\"incidents\":2,\"by_severity\":{"),
        "{out}"
    );
    let pos = |k: &str| out.find(k).unwrap();
    assert!(
        pos("\"to_detect\"") < pos("\"to_acknowledge\"")
            && pos("\"to_mitigate\"") < pos("\"to_resolve\"")
    );

    let count = |args: &[&str]| -> u64 {
        let mut all = vec!["stats", "--json"];
        all.extend(args);
        let (ok, out, err) = run(d, &all);
        assert!(ok, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()["incidents"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&["--drills"]), 3);
    assert_eq!(count(&["--severity", "sev1"]), 1);
    assert_eq!(count(&["--since", "all"]), 3);
    assert_eq!(count(&["--since", "300d", "--until", "-100d"]), 1);
    assert_eq!(
        count(&["--since", "10d"]),
        1,
        "only the one opened nine days ago"
    );

    let (ok, out, _) = run(d, &["stats", "--csv"]);
    assert!(ok);
    assert!(out.starts_with("metric,value\nincidents,2\n"), "{out}");
    assert!(out.contains("\nto_resolve.median_s,3180\n"), "{out}");
    assert!(out.contains("\nupdates.on_time_pct,50\n"), "{out}");
    let (ok, out, _) = run(d, &["stats"]);
    assert!(ok);
    assert!(out.contains("time to resolve"), "{out}");
    assert!(out.contains("53m"), "median to resolve 53 min: {out}");
    assert!(
        out.contains("2 sent, 1 on time (50%); longest gap 25m"),
        "{out}"
    );
    assert!(out.contains("1 open (1 overdue), 1 done"), "{out}");

    let (ok, _, err) = run(d, &["stats", "--since", "yesterday-ish"]);
    assert!(!ok && err.contains("--since"), "{err}");
    let (ok, _, err) = run(d, &["stats", "--json", "--csv"]);
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}
