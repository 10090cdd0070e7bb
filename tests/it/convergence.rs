//! Convergence of the fold: the same set of events, arriving in any order (and some twice),
//! makes the same incident and the same JSON export. The events race on purpose: competing
//! header changes, step tick/skip/reopen races, edits of entries whose `at` is earlier than the
//! entry's own (skewed clocks), close/reopen from two people, events of unknown types.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use uuid::Uuid;
use warroom::domain::event::{Event, EventBody};
use warroom::domain::incident::{EntryKind, Incident, KeyTime, Role, Severity, Status};
use warroom::domain::playbook::{StepAction, StepStatus};
use warroom::domain::time::Zone;
use warroom::export::ExportOptions;

use crate::common;

const STEPS: [&str; 3] = [
    "confirm-provider-incident",
    "notify-stakeholders",
    "trace-message-flow",
];
const PEOPLE: [&str; 3] = ["alice", "bob", "carol"];

/// One generated change: what, who, when (seconds after the opening, so ties happen), and a
/// number that picks among the choices of its kind.
type Op = (u8, usize, i64, u32, u128);

fn at(secs: i64) -> DateTime<Utc> {
    common::now() + Duration::seconds(secs)
}

/// The events the ops describe: the opening, then one event per op. References (edits, pins,
/// step changes) point at events made by earlier ops, but their own times are drawn freely, so
/// an edit is often "earlier" than the entry it edits.
fn events(ops: &[Op]) -> Vec<Event> {
    let mut out = vec![common::opening(at(0))];
    let mut entries: Vec<Uuid> = Vec::new();
    let mut attached = false;
    for (i, &(kind, who, secs, pick, id)) in ops.iter().enumerate() {
        let by = PEOPLE[who % PEOPLE.len()];
        let step = STEPS[pick as usize % STEPS.len()].to_string();
        let target = (!entries.is_empty()).then(|| entries[pick as usize % entries.len()]);
        let body = match kind % 16 {
            0 => EventBody::TitleSet {
                title: format!("title {pick}"),
            },
            1 => EventBody::SeveritySet {
                severity: Severity::ALL[pick as usize % Severity::ALL.len()],
            },
            2 => EventBody::StatusSet {
                status: Status::ALL[pick as usize % Status::ALL.len()],
            },
            3 => EventBody::RoleSet {
                role: Role::ALL[pick as usize % Role::ALL.len()],
                person: if pick % 5 == 0 {
                    String::new()
                } else {
                    PEOPLE[pick as usize % 3].into()
                },
            },
            4 | 5 => EventBody::EntryAdded {
                occurred_at: at(secs - (pick % 3) as i64 * 10),
                kind: EntryKind::TYPED[pick as usize % 4],
                text: format!("note {pick}"),
                step: None,
            },
            6 => match target {
                Some(entry) => EventBody::EntryEdited {
                    entry,
                    text: Some(format!("edited {pick}")),
                    occurred_at: (pick % 2 == 0).then(|| at(secs - 30)),
                    kind: None,
                },
                None => EventBody::Unknown,
            },
            7 => match target {
                Some(entry) if pick % 2 == 0 => EventBody::EntryDeleted { entry },
                Some(entry) => EventBody::EntryRestored { entry },
                None => EventBody::Unknown,
            },
            8 => match target {
                Some(entry) => EventBody::EntryPinned {
                    entry,
                    pinned: pick % 2 == 0,
                },
                None => EventBody::Unknown,
            },
            9 if !attached => {
                attached = true;
                common::attach_cloud_mail(0, at(secs)).body
            }
            9..=11 => {
                let action = match pick % 5 {
                    0 | 1 => StepAction::SetStatus {
                        status: StepStatus::Done,
                        reason: None,
                    },
                    2 => StepAction::SetStatus {
                        status: StepStatus::Skipped,
                        reason: Some("not ours".into()),
                    },
                    3 => StepAction::SetStatus {
                        status: StepStatus::Todo,
                        reason: None,
                    },
                    _ => StepAction::Assign {
                        owner: Some(PEOPLE[pick as usize % 3].into()),
                    },
                };
                EventBody::StepChanged {
                    playbook: "cloud-mail-outage".into(),
                    step,
                    action,
                }
            }
            12 => EventBody::Closed {
                summary: format!("fixed by {by}"),
                impact: String::new(),
                root_cause: String::new(),
                follow_ups: vec![],
                override_reason: Some("racing".into()),
            },
            13 => EventBody::Reopened {
                reason: (pick % 2 == 0).then(|| "again".to_string()),
            },
            14 => EventBody::KeyTimeSet {
                which: KeyTime::ALL[pick as usize % KeyTime::ALL.len()],
                time: at(secs - 60),
            },
            _ => EventBody::Unknown,
        };
        let ev = Event {
            v: 1,
            // Random ids (unique by their low bits): the order by (at, id) must not follow the
            // order of the ops.
            id: Uuid::from_u128((id << 16) | (i as u128 + 2)),
            at: at(secs),
            by: by.into(),
            body,
        };
        if matches!(
            ev.body,
            EventBody::EntryAdded { .. } | EventBody::TitleSet { .. }
        ) {
            entries.push(ev.id);
        }
        out.push(ev);
    }
    out
}

/// What must converge: the incident less this console's own counters (the version its views
/// cache against, and how many repeats it received).
fn converged(inc: &Incident) -> Incident {
    let mut c = inc.clone();
    c.version = 0;
    c.repeated_events = 0;
    c
}

fn json(inc: &Incident) -> String {
    let opts = ExportOptions {
        zone: Zone::Named(chrono_tz::UTC),
        pinned_only: false,
        generated_at: common::now(),
    };
    warroom::export::json::render(inc, &[], &opts)
}

/// `evs` (opening first) with the rest in the order of `keys`.
fn shuffled(evs: &[Event], keys: &[u64]) -> Vec<Event> {
    let mut rest: Vec<(u64, Event)> = evs[1..]
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (keys[i % keys.len()].wrapping_mul(i as u64 + 1), e))
        .collect();
    rest.sort_by_key(|(k, _)| *k);
    std::iter::once(evs[0].clone())
        .chain(rest.into_iter().map(|(_, e)| e))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::prop::cases(96)))]

    #[test]
    fn the_same_events_in_any_order_make_the_same_incident(
        ops in prop::collection::vec((0u8..16, 0usize..3, 0i64..40, any::<u32>(), any::<u128>()), 1..60),
        k1 in prop::collection::vec(any::<u64>(), 1..8),
        k2 in prop::collection::vec(any::<u64>(), 1..8),
        chunk in 1usize..7,
    ) {
        let evs = events(&ops);
        // In journal order (as generated), folded whole.
        let a = Incident::from_events(&evs).unwrap();
        // Another order, one event at a time (the console's incremental path).
        let other = shuffled(&evs, &k1);
        let mut b = Incident::from_events(&other[..1]).unwrap();
        for e in &other[1..] {
            b.apply(e);
        }
        // A third order in batches, with every event a second time.
        let third = shuffled(&evs, &k2);
        let mut c = Incident::from_events(&third[..1]).unwrap();
        for batch in third[1..].chunks(chunk) {
            c.apply_all(batch);
            c.apply_all(batch.iter().rev());
        }
        prop_assert_eq!(converged(&a), converged(&b));
        prop_assert_eq!(converged(&a), converged(&c));
        let ja = json(&a);
        prop_assert_eq!(&ja, &json(&b));
        prop_assert_eq!(&ja, &json(&c));
        // Nothing is lost: every distinct event is kept, unknown ones too.
        prop_assert_eq!(a.events_in_order().len(), evs.len());
        prop_assert_eq!(a.events as usize, evs.len());
        // References are never lost to skewed clocks: every edit applied, whatever its `at`
        // (when nothing closed the incident: a change after a close is a notice instead).
        let closes = evs.iter().any(|e| matches!(e.body, EventBody::Closed { .. }));
        for e in evs.iter().filter(|_| !closes) {
            if let EventBody::EntryAdded { .. } | EventBody::TitleSet { .. } = e.body {
                let edits = evs
                    .iter()
                    .filter(|x| matches!(x.body, EventBody::EntryEdited { entry, .. } if entry == e.id))
                    .count();
                prop_assert_eq!(a.entry(e.id).map(|x| x.history.len()), Some(edits));
            }
        }
    }
}

#[test]
fn two_journals_with_the_same_events_export_the_same_json() {
    // Two consoles, each with its own changes first, then the other's.
    let o = common::opening(at(0));
    let mine = vec![
        common::ev(
            10,
            at(5),
            "alice",
            EventBody::TitleSet { title: "A".into() },
        ),
        common::ev(
            11,
            at(9),
            "alice",
            EventBody::StatusSet {
                status: Status::Mitigated,
            },
        ),
    ];
    let theirs = vec![
        common::ev(20, at(7), "bob", EventBody::TitleSet { title: "B".into() }),
        common::ev(
            21,
            at(3),
            "bob",
            EventBody::SeveritySet {
                severity: Severity::Sev1,
            },
        ),
    ];
    let one: Vec<Event> = [vec![o.clone()], mine.clone(), theirs.clone()].concat();
    let two: Vec<Event> = [vec![o], theirs, mine].concat();
    let (a, b) = (
        Incident::from_events(&one).unwrap(),
        Incident::from_events(&two).unwrap(),
    );
    assert_eq!(a.title, "B", "bob's title is the later one");
    assert_eq!(a.severity, Severity::Sev1);
    assert_eq!(json(&a), json(&b));
    // The journals differ; the exported events do not.
    let text = json(&a);
    let events = &text[text.find("\"events\"").unwrap()..];
    let titles: Vec<usize> = ["\"title\": \"A\"", "\"title\": \"B\""]
        .iter()
        .map(|t| events.find(t).unwrap())
        .collect();
    assert!(titles[0] < titles[1], "events in fold order");
}

/// Two data folders (two consoles) whose journals hold the same events in different orders, some
/// twice, through the real binary: `warroom export --format json` is the same but for
/// `generated_at`.
#[test]
fn two_data_folders_export_the_same_json_through_the_binary() {
    use std::process::Command;
    use warroom::store::DataDir;
    use warroom::store::journal::Journal;

    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = |dir: &std::path::Path, args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
            .args(["--data-dir", dir.to_str().unwrap(), "--config", "/dev/null"])
            .args(args)
            .env_remove("WARROOM_CONFIG")
            .env("USER", "alice")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let id = run(a.path(), &["new", "--title", "EXO inbound delayed"])
        .trim()
        .to_string();
    // The second console joined with the same opening and playbook lines.
    let journal_a = DataDir::new(a.path()).journal_path(&id);
    let journal_b = DataDir::new(b.path()).journal_path(&id);
    std::fs::create_dir_all(journal_b.parent().unwrap()).unwrap();
    std::fs::copy(&journal_a, &journal_b).unwrap();
    let opened = DataDir::new(a.path()).load(&id).unwrap().incident.opened_at;
    let s = |secs| opened + Duration::seconds(secs);
    let step = |n: u128, secs, by: &str, status, reason: Option<&str>| Event {
        v: 1,
        id: Uuid::from_u128(n << 64 | 7),
        at: s(secs),
        by: by.into(),
        body: EventBody::StepChanged {
            playbook: "cloud-mail-outage".into(),
            step: "notify-stakeholders".into(),
            action: StepAction::SetStatus {
                status,
                reason: reason.map(str::to_string),
            },
        },
    };
    let mine = [
        step(
            1,
            10,
            "alice",
            StepStatus::Skipped,
            Some("comms lead did it by phone"),
        ),
        Event::new(
            s(12),
            "alice",
            EventBody::SeveritySet {
                severity: Severity::Sev1,
            },
        ),
    ];
    let theirs = [
        step(2, 7, "bob", StepStatus::Done, None),
        Event::new(
            s(11),
            "bob",
            EventBody::SeveritySet {
                severity: Severity::Sev3,
            },
        ),
        Event::new(
            s(13),
            "bob",
            EventBody::TitleSet {
                title: "EXO down".into(),
            },
        ),
    ];
    let mut ja = Journal::open(&journal_a).unwrap();
    for e in mine.iter().chain(&theirs).chain(&theirs[..1]) {
        ja.append(e).unwrap();
    }
    let mut jb = Journal::open(&journal_b).unwrap();
    for e in theirs.iter().chain(&mine) {
        jb.append(e).unwrap();
    }
    let export = |dir: &std::path::Path| {
        run(
            dir,
            &[
                "export",
                "--incident",
                &id,
                "--format",
                "json",
                "--tz",
                "UTC",
            ],
        )
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"generated_at\""))
        .collect::<Vec<_>>()
        .join("\n")
    };
    let (ea, eb) = (export(a.path()), export(b.path()));
    assert_eq!(ea, eb);
    assert!(ea.contains("the tick stands"), "{ea}");
    assert!(ea.contains("\"severity\": \"sev1\""), "{ea}");
}

/// The console folds what another console wrote, however late it arrives: a tick made earlier
/// elsewhere arrives after our skip was saved, and the console ends as a fold of the whole set
/// would, with the conflict notice in the timeline.
#[test]
fn the_console_refolds_when_an_earlier_event_arrives_late() {
    use crossterm::event::KeyCode;
    use warroom::tui::app::{Action, update};
    let step = |n, at, by: &str, status, reason: Option<&str>| {
        common::ev(
            n,
            at,
            by,
            EventBody::StepChanged {
                playbook: "cloud-mail-outage".into(),
                step: "notify-stakeholders".into(),
                action: StepAction::SetStatus {
                    status,
                    reason: reason.map(str::to_string),
                },
            },
        )
    };
    let base = [
        common::opening(common::mins(-33)),
        common::attach_cloud_mail(2, common::mins(-32)),
    ];
    let skip = step(
        10,
        common::mins(-2),
        "carol",
        StepStatus::Skipped,
        Some("done by phone"),
    );
    let tick = step(11, common::mins(-3), "bob", StepStatus::Done, None);
    let mut a = common::app(Incident::from_events(&base).unwrap());
    for batch in [vec![skip.clone()], vec![tick.clone()]] {
        update(
            &mut a,
            Action::Journal {
                events: batch,
                warnings: vec![],
            },
        );
    }
    let whole = Incident::from_events(base.iter().chain([&tick, &skip])).unwrap();
    let state = a
        .incident
        .progress
        .state("cloud-mail-outage", "notify-stakeholders");
    assert_eq!(state.status, StepStatus::Done);
    assert_eq!(a.incident.entries, whole.entries);
    let last = a.incident.entries.last().unwrap();
    assert!(
        last.text
            .starts_with("Conflict: carol's skip of step \"Notify stakeholders\""),
        "{}",
        last.text
    );
    // The timeline shows it: its rows were rebuilt.
    common::key(&mut a, KeyCode::Char('G'));
    assert_eq!(a.selected_entry().map(|e| e.id), Some(skip.id));
}
