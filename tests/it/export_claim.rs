//! The service-credit claim pack (`--format claim`) and the evidence in every report, from an
//! incident whose journal holds health changes (a provider incident, an SMTP probe, a queue
//! threshold), a trace snapshot, evidence and a ticket.

use crate::common;

use common::{ev, mins, now, opening};
use warroom::domain::event::{Event, EventBody};
use warroom::domain::evidence::{EvidenceAdded, EvidenceKind, TicketRecorded};
use warroom::domain::incident::Incident;
use warroom::domain::time::Zone;
use warroom::export::{self, ExportOptions, Format};

fn health(n: u128, at: i64, source: &str, item: Option<&str>, key: &str, text: &str) -> Event {
    ev(
        n,
        mins(at),
        "health",
        EventBody::HealthChanged {
            source: source.into(),
            item: item.map(str::to_string),
            key: key.into(),
            text: text.into(),
            changes: Vec::new(),
        },
    )
}

fn journal() -> Vec<Event> {
    vec![
        opening(mins(-10)),
        health(
            2,
            -5,
            "relay-probe",
            None,
            "relay-probe/level/degraded@2026-11-30T13:58:00Z",
            "relay-probe: overall operational → degraded",
        ),
        health(
            3,
            0,
            "m365",
            Some("EX1094411"),
            "m365/EX1094411/new",
            "m365 EX1094411 new: degraded, serviceDegradation: Users may see delays sending and receiving mail in Exchange Online\n13:55 UTC: We are reviewing telemetry.",
        ),
        health(
            4,
            4,
            "postfix-queue",
            None,
            "postfix-queue/level/major_outage@2026-11-30T14:07:00Z",
            "postfix-queue: overall degraded → major_outage (deferred 1,240 over alert_count 1,000)",
        ),
        ev(
            5,
            mins(10),
            "dana",
            EventBody::TraceSnapshot {
                query: "since:1h status:deferred".into(),
                rows: 1_300,
                by_status: [
                    ("deferred".to_string(), 1_240),
                    ("failed".to_string(), 12),
                    ("delivered".to_string(), 48),
                ]
                .into(),
                evidence: Some("evidence/trace-20261130T141300.000Z.json".into()),
                size: Some(812_044),
                sha256: Some("1f".repeat(32)),
            },
        ),
        ev(
            6,
            mins(15),
            "dana",
            EventBody::TicketRecorded(TicketRecorded {
                reference: "MS-2611300042".into(),
                provider: "Microsoft".into(),
                note: "asked for routing logs".into(),
            }),
        ),
        ev(
            7,
            mins(20),
            "dana",
            EventBody::EvidenceAdded(EvidenceAdded {
                file: "evidence/relay1-maillog.txt".into(),
                original: "/var/log/mail.log".into(),
                size: 52_311,
                sha256: "9a".repeat(32),
                note: "relay log before rotation".into(),
                kind: EvidenceKind::File,
                command: None,
                step: None,
                host: None,
            }),
        ),
        health(
            8,
            40,
            "m365",
            Some("EX1094411"),
            "m365/EX1094411/status/serviceRestored@2026-11-30T14:43:00Z",
            "m365 EX1094411: status serviceDegradation → serviceRestored",
        ),
        health(
            9,
            45,
            "postfix-queue",
            None,
            "postfix-queue/level/operational@2026-11-30T14:48:00Z",
            "postfix-queue: overall major_outage → operational",
        ),
        health(
            10,
            46,
            "relay-probe",
            None,
            "relay-probe/level/operational@2026-11-30T14:49:00Z",
            "relay-probe: overall degraded → operational",
        ),
    ]
}

fn opts(zone: Zone) -> ExportOptions {
    ExportOptions {
        zone,
        pinned_only: false,
        generated_at: mins(90),
    }
}

#[test]
fn the_claim_pack_holds_provider_incidents_our_signals_cases_and_evidence() {
    let events = journal();
    let inc = Incident::from_events(&events).unwrap();
    let ny: Zone = "America/New_York".parse().unwrap();
    let doc = export::claim::render(&inc, &opts(ny), None);
    // The provider incident with its first and last sighting, in UTC and New York time.
    assert!(doc.contains("### EX1094411 (m365)"), "{doc}");
    assert!(
        doc.contains("| First seen | 2026-11-30 14:03:00 UTC (09:03:00 -05:00) |"),
        "{doc}"
    );
    assert!(
        doc.contains("| Last seen | 2026-11-30 14:43:00 UTC (09:43:00 -05:00) |"),
        "{doc}"
    );
    // Impact from the probe's first degradation to the last source back to operational.
    assert!(
        doc.contains("- From 2026-11-30 13:58:00 UTC (08:58:00 -05:00) to 2026-11-30 14:49:00 UTC (09:49:00 -05:00) (51m)"),
        "{doc}"
    );
    assert!(doc.contains("| 1300 | 1240 | 12 |"), "{doc}");
    assert!(
        doc.contains("MS\\-2611300042") || doc.contains("MS-2611300042"),
        "{doc}"
    );
    assert!(doc.contains(&"9a".repeat(32)), "{doc}");
    // Nothing is missing here but what polling can never show.
    assert!(!doc.contains("No trace snapshot"), "{doc}");
    assert!(doc.contains("## What this pack cannot show"), "{doc}");
    insta::assert_snapshot!("claim_pack", doc);

    // Through render(), as `warroom export --format claim` without --provider.
    assert_eq!(export::render(Format::Claim, &inc, &events, &opts(ny)), doc);
}

#[test]
fn a_provider_filter_and_an_empty_journal_say_plainly_what_cannot_be_shown() {
    let events = journal();
    let inc = Incident::from_events(&events).unwrap();
    let doc = export::claim::render(&inc, &opts(Zone::UTC), Some("google"));
    assert!(
        doc.contains(
            "No provider incident was recorded by a health source whose name contains \"google\""
        ),
        "{doc}"
    );
    let odd = export::claim::render(&inc, &opts(Zone::UTC), Some("*[x](y)\u{1b}[2J"));
    assert!(
        odd.contains("contains \"\\*\\[x\\](y)\"") && !odd.contains("\u{1b}"),
        "{odd}"
    );
    // The Microsoft case is not Google's.
    assert!(doc.contains("No support case was recorded"), "{doc}");
    // Our own signals stay whole.
    assert!(
        doc.contains("postfix\\-queue") || doc.contains("postfix-queue"),
        "{doc}"
    );

    let events = vec![opening(now())];
    let inc = Incident::from_events(&events).unwrap();
    let doc = export::claim::render(&inc, &opts(Zone::UTC), None);
    for s in [
        "No provider incident was recorded by the health sources.",
        "No trace snapshot was kept",
        "No support case was recorded",
        "No evidence file was kept",
        "this pack cannot show when impact began or ended",
    ] {
        assert!(doc.contains(s), "{s}\n{doc}");
    }
}

#[test]
fn every_report_lists_the_evidence_with_its_hashes_and_the_support_cases() {
    let events = journal();
    let inc = Incident::from_events(&events).unwrap();
    let o = opts(Zone::UTC);
    let md = export::render(Format::Markdown, &inc, &events, &o);
    assert!(md.contains("## Evidence"), "{md}");
    assert!(
        md.contains(&format!(
            "| evidence/relay1-maillog.txt | 52311 | {} |",
            "9a".repeat(32)
        )),
        "{md}"
    );
    assert!(
        md.contains(&"1f".repeat(32)),
        "the kept trace is evidence too:\n{md}"
    );
    assert!(md.contains("## Support cases"), "{md}");
    let html = export::render(Format::Html, &inc, &events, &o);
    assert!(
        html.contains(&"9a".repeat(32)) && html.contains("MS-2611300042"),
        "{html}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&export::render(Format::Json, &inc, &events, &o)).unwrap();
    assert_eq!(json["incident"]["evidence"][1]["sha256"], "9a".repeat(32));
    assert_eq!(json["incident"]["evidence"][0]["kind"], "trace");
    assert_eq!(json["incident"]["tickets"][0]["reference"], "MS-2611300042");
    // The CSV is the timeline: the evidence and the case are entries in it.
    let csv = export::render(Format::Csv, &inc, &events, &o);
    assert!(
        csv.contains("support case with Microsoft: MS-2611300042"),
        "{csv}"
    );
    assert!(csv.contains("sha256 9a9a9a9a9a9a"), "{csv}");
}
