//! The report formats on a fixed incident: golden files, hostile text, time zones, and the JSON
//! loading back into the same incident.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::ev;
use warroom::domain::closing::{FollowUp, KeyTime};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::health::{Level, SeenItem, SeenSource};
use warroom::domain::incident::{EntryKind, Incident, Role, Severity, Status};
use warroom::domain::playbook::{StepAction, StepStatus};
use warroom::export::{self, ExportOptions, Format, csv, json};

/// 2026-12-01 04:40 UTC, which is 23:40 on Nov 30 in New York: the incident crosses midnight
/// there.
fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 4, 40, 0).unwrap() + Duration::minutes(min)
}

fn add(n: u128, logged: i64, occurred: i64, by: &str, kind: EntryKind, text: &str) -> Event {
    ev(
        n,
        t(logged),
        by,
        EventBody::EntryAdded {
            occurred_at: t(occurred),
            kind,
            text: text.into(),
            step: None,
        },
    )
}

fn step(n: u128, at: i64, step: &str, status: StepStatus, reason: Option<&str>) -> Event {
    ev(
        n,
        t(at),
        "alice",
        EventBody::StepChanged {
            playbook: "mail-down".into(),
            step: step.into(),
            action: StepAction::SetStatus {
                status,
                reason: reason.map(str::to_string),
            },
        },
    )
}

/// A small playbook, so the golden files do not change with the built-in ones.
const PLAYBOOK: &str = r#"
name = "Mail down"

[[sections]]
title = "Triage"

[[sections.steps]]
id = "confirm-provider-incident"
title = "Confirm the provider incident"
owner = "commander"
required = true

[[sections.steps]]
id = "collect-local-logs"
title = "Collect our own logs"
owner = "scribe"

[[sections]]
title = "Afterwards"

[[sections.steps]]
id = "schedule-review"
title = "Schedule our own review"
owner = "commander"
required = true
"#;

/// The fixed incident's journal.
fn journal() -> Vec<Event> {
    let mut seen = SeenSource {
        level: Level::PartialOutage,
        items: Default::default(),
    };
    seen.items.insert(
        "EX123".into(),
        SeenItem {
            level: Level::MajorOutage,
            status: "serviceDegradation".into(),
            last_update: None,
            resolved: false,
        },
    );
    vec![
        ev(
            1,
            t(0),
            "alice",
            EventBody::IncidentOpened {
                incident: "20261201-0440-exo-inbound-delayed".into(),
                title: "Exchange Online: inbound mail delayed".into(),
                severity: Severity::Sev2,
                status: Status::Investigating,
                started_at: None,
                drill: true,
            },
        ),
        ev(
            2,
            t(0),
            "alice",
            EventBody::PlaybookAttached {
                playbook: "mail-down".into(),
                source: PLAYBOOK.into(),
            },
        ),
        ev(
            3,
            t(2),
            "alice",
            EventBody::RoleSet {
                role: Role::Commander,
                person: "alice".into(),
            },
        ),
        add(
            4,
            3,
            -10,
            "bob",
            EntryKind::Note,
            "Helpdesk: users report NDRs from gmail.com",
        ),
        step(5, 10, "confirm-provider-incident", StepStatus::Done, None),
        step(
            6,
            12,
            "collect-local-logs",
            StepStatus::Skipped,
            Some("no relay of our own"),
        ),
        ev(
            7,
            t(15),
            "health",
            EventBody::HealthChanged {
                source: "m365".into(),
                item: Some("EX123".into()),
                key: "m365/EX123/level/major".into(),
                text: "m365 EX123: level degraded → major_outage".into(),
                changes: vec![],
            },
        ),
        ev(
            8,
            t(15),
            "health",
            EventBody::HealthSeen {
                source: "m365".into(),
                seen,
            },
        ),
        add(
            9,
            20,
            20,
            "carol",
            EntryKind::Trace,
            "trace sender=*@gmail.com last 1h: 1204 messages, 980 delivered, 224 deferred",
        ),
        add(
            10,
            25,
            24,
            "bob",
            EntryKind::Decision,
            "Route inbound via the backup MX",
        ),
        ev(
            11,
            t(30),
            "alice",
            EventBody::StatusSet {
                status: Status::Mitigated,
            },
        ),
        ev(
            12,
            t(31),
            "alice",
            EventBody::EntryPinned {
                entry: uuid::Uuid::from_u128(4),
                pinned: true,
            },
        ),
        ev(
            13,
            t(35),
            "bob",
            EventBody::EntryEdited {
                entry: uuid::Uuid::from_u128(10),
                text: Some("Route inbound via the backup MX (mx2)".into()),
                occurred_at: None,
                kind: None,
            },
        ),
        ev(
            14,
            t(50),
            "alice",
            EventBody::StatusSet {
                status: Status::Resolved,
            },
        ),
        ev(
            15,
            t(54),
            "alice",
            EventBody::KeyTimeSet {
                which: KeyTime::Mitigated,
                time: t(28),
            },
        ),
        ev(
            16,
            t(55),
            "alice",
            EventBody::Closed {
                summary: "Inbound mail from Gmail queued for 40 minutes.\nMicrosoft fixed a transport fault.".into(),
                impact: "About 2,000 users received external mail late.".into(),
                root_cause: "A transport fault at Microsoft (EX123).".into(),
                follow_ups: vec![
                    FollowUp::parse("Document the backup MX switch | bob | 2026-12-15").unwrap(),
                    FollowUp::parse("Alert on inbound queue depth | dana").unwrap(),
                ],
                override_reason: Some("vendor steps tracked in the vendor ticket".into()),
            },
        ),
    ]
}

fn incident() -> (Incident, Vec<Event>) {
    let evs = journal();
    (Incident::from_events(&evs).unwrap(), evs)
}

fn opts(zone: &str) -> ExportOptions {
    ExportOptions {
        zone: zone.parse().unwrap(),
        pinned_only: false,
        generated_at: t(60),
    }
}

fn render(f: Format, zone: &str) -> String {
    let (inc, evs) = incident();
    export::render(f, &inc, &evs, &opts(zone))
}

#[test]
fn golden_markdown() {
    insta::assert_snapshot!(render(Format::Markdown, "America/New_York"));
}

#[test]
fn golden_html() {
    insta::assert_snapshot!(render(Format::Html, "America/New_York"));
}

#[test]
fn golden_csv() {
    insta::assert_snapshot!(render(Format::Csv, "America/New_York"));
}

#[test]
fn golden_json() {
    insta::assert_snapshot!(render(Format::Json, "UTC"));
}

#[test]
fn new_york_shifts_times_shows_offsets_and_dates_across_midnight() {
    let utc = render(Format::Markdown, "UTC");
    let ny = render(Format::Markdown, "America/New_York");
    // The opening: 04:40 UTC on Dec 1 is 23:40 on Nov 30 in New York.
    assert!(
        utc.contains("| Opened | 2026-12-01 04:40:00 +00:00 by alice |"),
        "{utc}"
    );
    assert!(
        ny.contains("| Opened | 2026-11-30 23:40:00 -05:00 by alice |"),
        "{ny}"
    );
    // Timeline rows carry the date: both days show in New York, one in UTC.
    assert!(
        ny.contains("| 2026-11-30 | 23:30:00 -05:00 | note | bob |"),
        "{ny}"
    );
    assert!(
        ny.contains("| 2026-12-01 | 00:00:00 -05:00 | trace | carol |"),
        "{ny}"
    );
    assert!(!utc.contains("| 2026-11-30 |"), "{utc}");
    assert!(
        utc.contains("| 2026-12-01 | 05:00:00 +00:00 | trace | carol |"),
        "{utc}"
    );
    let csv = render(Format::Csv, "America/New_York");
    assert!(
        csv.contains("2026-11-30,23:30:00,UTC-05:00,note,bob,yes,"),
        "{csv}"
    );
    let html = render(Format::Html, "America/New_York");
    assert!(html.contains("<td class=\"t\">2026-12-01</td><td class=\"t\">00:00:00 -05:00</td>"));
}

#[test]
fn pinned_only_keeps_the_pinned_entries() {
    let (inc, evs) = incident();
    let mut o = opts("UTC");
    o.pinned_only = true;
    let csv = export::render(Format::Csv, &inc, &evs, &o);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("Helpdesk"));
    let md = export::render(Format::Markdown, &inc, &evs, &o);
    assert!(md.contains("1 entries (pinned only)"), "{md}");
}

#[test]
fn json_loads_back_into_the_same_incident() {
    let (inc, evs) = incident();
    let text = export::render(Format::Json, &inc, &evs, &opts("UTC"));
    let back = json::load(&text).unwrap();
    assert_eq!(back, inc);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema_version"], 1);
    // The edit history is in the readable view too.
    let edited = doc["incident"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == uuid::Uuid::from_u128(10).to_string())
        .unwrap();
    assert_eq!(
        edited["history"][0]["text"],
        "Route inbound via the backup MX"
    );
    assert_eq!(doc["incident"]["key_times"]["mitigated"]["set"], true);
    assert_eq!(doc["incident"]["durations"]["to_resolve_seconds"], 60 * 60);
    // A newer schema is refused with a clear message.
    let newer = text.replacen("\"schema_version\": 1", "\"schema_version\": 99", 1);
    assert!(
        json::load(&newer)
            .unwrap_err()
            .to_string()
            .contains("newer warroom")
    );
}

const HOSTILE: &str = "<script>alert(1)</script> | a | b | `rm -rf` **bold** [x](javascript:alert(1))\nsecond line\u{1b}[31m red\u{1b}]0;pwned\u{7} &amp;";

/// An incident whose entry, author and close texts are hostile, as another tool could have
/// written them straight into the journal.
fn hostile() -> (Incident, Vec<Event>) {
    let evs = vec![
        journal().remove(0),
        add(
            2,
            1,
            1,
            "=HYPERLINK(\"http://x\")",
            EntryKind::Note,
            HOSTILE,
        ),
        ev(
            3,
            t(2),
            "alice",
            EventBody::Closed {
                summary: HOSTILE.into(),
                impact: "- not a list\n# not a heading".into(),
                root_cause: String::new(),
                follow_ups: vec![FollowUp {
                    action: HOSTILE.into(),
                    owner: "<b>bob</b>".into(),
                    due: None,
                }],
                override_reason: None,
            },
        ),
    ];
    (Incident::from_events(&evs).unwrap(), evs)
}

fn no_escape_bytes(s: &str) {
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
}

#[test]
fn hostile_text_is_safe_in_markdown() {
    let (inc, evs) = hostile();
    let md = export::render(Format::Markdown, &inc, &evs, &opts("UTC"));
    no_escape_bytes(&md);
    assert!(!md.contains("<script"), "{md}");
    assert!(!md.contains("<b>"), "{md}");
    assert!(md.contains("&lt;script&gt;"));
    // The row stays one table row with five cells: every pipe in the text is escaped.
    let row = md
        .lines()
        .find(|l| l.contains("alert(1)") && l.starts_with("| 2026"))
        .unwrap();
    let unescaped = row
        .match_indices('|')
        .filter(|(i, _)| !row[..*i].ends_with('\\'))
        .count();
    assert_eq!(unescaped, 6, "{row}");
    assert!(
        row.contains("\\`rm -rf\\`") && row.contains("<br>second line"),
        "{row}"
    );
    assert!(md.contains("\\- not a list  \n\\# not a heading"), "{md}");
}

#[test]
fn hostile_text_is_safe_in_html() {
    let (inc, evs) = hostile();
    let html = export::render(Format::Html, &inc, &evs, &opts("UTC"));
    no_escape_bytes(&html);
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&amp;amp;"));
    // Nothing is fetched from elsewhere.
    assert!(!html.contains("src=") && !html.contains("href=") && !html.contains("url("));
}

#[test]
fn hostile_text_is_safe_in_json() {
    let (inc, evs) = hostile();
    let text = export::render(Format::Json, &inc, &evs, &opts("UTC"));
    no_escape_bytes(&text);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    // JSON keeps the text exactly (escaped by the encoding), and loads back.
    assert_eq!(doc["incident"]["entries"][0]["text"], HOSTILE);
    assert_eq!(json::load(&text).unwrap(), inc);
}

/// A small RFC 4180 reader, to check the file parses back into the cells written.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[test]
fn hostile_text_is_safe_in_csv() {
    let (inc, evs) = hostile();
    let text = export::render(Format::Csv, &inc, &evs, &opts("UTC"));
    no_escape_bytes(&text);
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[0], csv::HEADER);
    let note = &rows[1];
    assert_eq!(note.len(), csv::HEADER.len());
    // The author would be a formula: it is neutralised.
    assert_eq!(note[4], "'=HYPERLINK(\"http://x\")");
    assert!(note[6].starts_with("<script>") && note[6].contains("\nsecond line red &amp;"));
}

#[test]
fn write_all_writes_four_files() {
    let dir = tempfile::tempdir().unwrap();
    let (inc, evs) = incident();
    let paths = export::write_all(dir.path(), &inc, &evs, &opts("UTC")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "20261201-0440-exo-inbound-delayed-20261201-054000.csv",
            "20261201-0440-exo-inbound-delayed-20261201-054000.html",
            "20261201-0440-exo-inbound-delayed-20261201-054000.json",
            "20261201-0440-exo-inbound-delayed-20261201-054000.md",
        ]
    );
    assert_eq!(paths.len(), 4);
}
