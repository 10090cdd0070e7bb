//! Update templates rendered from a fixed incident state and a fixed clock.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use warroom::domain::event::EventBody;
use warroom::domain::health::{HealthItem, Level, SeenItem, SeenSource, SourceSnapshot};
use warroom::domain::incident::{EntryKind, Incident, Role, Status};
use warroom::domain::playbook::{StepAction, StepStatus};
use warroom::domain::time::Zone;
use warroom::domain::updates::Cadence;
use warroom::updates::{TemplateCatalog, UpdateContext};

/// Opened 33 minutes ago (SEV2), identified, roles, a playbook with one step done, two actions,
/// a decision, an update sent 10 minutes ago, and a health source seen degraded.
fn incident() -> Incident {
    let mut events = vec![
        opening(mins(-33)),
        ev(
            2,
            mins(-32),
            "alice",
            EventBody::RoleSet {
                role: Role::Commander,
                person: "alice".into(),
            },
        ),
        ev(
            3,
            mins(-32),
            "alice",
            EventBody::RoleSet {
                role: Role::Comms,
                person: "dana".into(),
            },
        ),
        attach_cloud_mail(4, mins(-31)),
        ev(
            5,
            mins(-30),
            "bob",
            EventBody::StepChanged {
                playbook: "cloud-mail-outage".into(),
                step: "confirm-provider-incident".into(),
                action: StepAction::SetStatus {
                    status: StepStatus::Done,
                    reason: None,
                },
            },
        ),
        note(
            6,
            mins(-25),
            mins(-25),
            EntryKind::Action,
            "Opened ticket with Microsoft",
        ),
        note(
            7,
            mins(-20),
            mins(-20),
            EntryKind::Decision,
            "Hold outbound campaigns until mail flows\nsecond line is not used",
        ),
        note(
            8,
            mins(-15),
            mins(-15),
            EntryKind::Action,
            "Queue on edge01 drained",
        ),
        ev(
            9,
            mins(-12),
            "alice",
            EventBody::StatusSet {
                status: Status::Identified,
            },
        ),
        ev(
            10,
            mins(-10),
            "dana",
            EventBody::UpdateSent {
                template: "internal".into(),
                channels_ok: vec!["teams".into()],
                channels_failed: vec![],
                text: "first update".into(),
                retry_of: None,
                statuspage: vec![],
            },
        ),
    ];
    let mut items = BTreeMap::new();
    items.insert(
        "EX1234567".to_string(),
        SeenItem {
            level: Level::Degraded,
            status: "serviceDegradation".into(),
            last_update: Some(mins(-8)),
            resolved: false,
        },
    );
    events.push(ev(
        11,
        mins(-8),
        "health",
        EventBody::HealthSeen {
            source: "m365".into(),
            seen: SeenSource {
                level: Level::Degraded,
                items,
            },
        },
    ));
    Incident::from_events(&events).unwrap()
}

fn render(name: &str, ctx: &UpdateContext) -> String {
    TemplateCatalog::builtin().render(name, ctx).unwrap()
}

fn journal_ctx(zone: Zone) -> UpdateContext {
    UpdateContext::build(&incident(), None, &Cadence::default(), now(), zone)
}

#[test]
fn internal_notice_from_the_journal() {
    let text = render("internal", &journal_ctx(Zone::UTC));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "[SEV2] Exchange Online: inbound mail delayed · Identified"
    );
    assert_eq!(
        lines[1],
        "Update 2 · 14:03 UTC · T+00:33:00 since the first symptom"
    );
    assert!(
        text.contains("Impact:\n- m365: EX1234567 (serviceDegradation)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "What is being done:\n- Opened ticket with Microsoft\n- Queue on edge01 drained\n- Response checklist: cloud-mail-outage 1/"
        ),
        "{text}"
    );
    // Sent now, the next one is due a cadence (30 minutes) later.
    assert!(
        text.ends_with("Next update: 14:33 UTC · comms: dana · incident commander: alice"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn can_report_and_executive_summary() {
    let ctx = journal_ctx(Zone::UTC);
    let can = render("can", &ctx);
    assert!(can.starts_with(
        "CAN · [SEV2] Exchange Online: inbound mail delayed · 14:03 UTC (T+00:33:00)"
    ));
    assert!(can.contains("- m365: degraded\n"), "{can}");
    assert!(can.contains("- Message trace: none taken yet"), "{can}");
    assert!(
        can.contains("- Decided: Hold outbound campaigns until mail flows\n"),
        "{can}"
    );
    assert!(!can.contains("second line"), "only first lines: {can}");
    insta::assert_snapshot!("can", can);
    let exec = render("executive", &ctx);
    assert!(
        exec.contains("Status: Identified, for 33m so far."),
        "{exec}"
    );
    assert!(exec.contains("Provider status: degraded"), "{exec}");
    assert!(exec.ends_with("Next update by 14:33 UTC."), "{exec}");
    insta::assert_snapshot!("executive", exec);
}

#[test]
fn live_health_snapshots_win_over_the_journal_and_zones_show() {
    let mut live = BTreeMap::new();
    live.insert(
        "m365".to_string(),
        SourceSnapshot {
            name: "m365".into(),
            kind: "graph".into(),
            level: Level::PartialOutage,
            items: vec![HealthItem {
                id: "EX1234567".into(),
                title: "Users can't receive email from external senders".into(),
                service: Some("Exchange Online".into()),
                level: Level::PartialOutage,
                status: "serviceInterruption".into(),
                started: Some(mins(-40)),
                updated: Some(mins(-2)),
                resolved: None,
                updates: vec![],
            }],
            last_success: Some(now()),
            last_error: None,
            polled_at: now(),
            queue: None,
        },
    );
    let berlin = Zone::Named(chrono_tz::Europe::Berlin);
    let ctx = UpdateContext::build(&incident(), Some(&live), &Cadence::default(), now(), berlin);
    let text = render("internal", &ctx);
    assert!(
        text.contains(
            "- m365: Users can't receive email from external senders (serviceInterruption)"
        ),
        "{text}"
    );
    assert!(text.contains("Update 2 · 15:03 CET"), "{text}");
    assert!(text.contains("Next update: 15:33 CET"), "{text}");
    // The update in hand was due 30 minutes after the last one (13:53 UTC).
    assert_eq!(ctx.next_update.due, "15:23 CET");
    assert_eq!(ctx.health.worst, "partial_outage");
}

#[test]
fn an_empty_incident_gets_prompts_to_fill_in_and_user_templates_see_every_field() {
    let inc = empty_incident();
    let ctx = UpdateContext::build(&inc, None, &Cadence::default(), now(), Zone::UTC);
    let text = render("internal", &ctx);
    assert!(
        text.contains("Impact:\n- [who and what is affected]"),
        "{text}"
    );
    assert!(
        text.contains("What is being done:\n- [the current line of work]\n\nWorkaround:"),
        "{text}"
    );
    // Never sent: this one was due 30 minutes after the opening, three minutes ago.
    assert!(text.ends_with("Next update: 14:33 UTC"), "{text}");
    assert_eq!(ctx.next_update.due, "14:00 UTC");
    assert!(ctx.next_update.overdue);
    assert!(ctx.trace.is_none());

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("all.txt"),
        "{{ incident.id }}|{{ incident.severity }}|{{ incident.status }}|{{ incident.opened_at }}|{{ incident.duration }}|{{ roles.commander or 'none' }}|{{ now }}|{{ next_update.at }}|{{ next_update.in }}|{{ next_update.cadence }}|{{ next_update.due }}|{{ updates.sent }}|{{ health.worst or 'no health' }}|{{ playbook.summary or 'no playbook' }}|{{ trace or 'no trace' }}",
    )
    .unwrap();
    let cat = TemplateCatalog::load(Some(dir.path()));
    assert_eq!(
        cat.render("all", &ctx).unwrap(),
        "20261130-1330-exo-mail-delayed|SEV2|Investigating|13:30 UTC|33m|none|14:03 UTC|14:33 UTC|30m|30m|14:00 UTC|0|no health|no playbook|no trace"
    );
}

#[test]
fn the_latest_kept_trace_fills_the_trace_placeholders() {
    let mut inc = incident();
    let mut by_status = BTreeMap::new();
    by_status.insert("delivered".to_string(), 120usize);
    by_status.insert("pending".to_string(), 34usize);
    by_status.insert("failed".to_string(), 0usize);
    inc.apply(&warroom::domain::event::Event {
        v: 1,
        id: uuid::Uuid::from_u128(9_999),
        at: now() - chrono::Duration::minutes(3),
        by: "carol".into(),
        body: warroom::domain::event::EventBody::TraceSnapshot {
            query: "since:1h".into(),
            rows: 154,
            by_status,
            evidence: Some("evidence/trace-x.json".into()),
            size: None,
            sha256: None,
        },
    });
    let ctx = UpdateContext::build(&inc, None, &Cadence::default(), now(), Zone::UTC);
    let text = render("can", &ctx);
    let line = text.lines().find(|l| l.contains("Message trace")).unwrap();
    assert!(
        line.contains("delivered 120") && line.contains("pending 34"),
        "{line}"
    );
    assert!(!line.contains("failed 0"), "{line}");
    assert!(!text.contains("none taken yet"), "{text}");
}
