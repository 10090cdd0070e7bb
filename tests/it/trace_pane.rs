//! The trace pane: queries as effects, rows streaming in, stale results dropped, cancel, the
//! chain, keeping a result as evidence; a frame snapshot; and `warroom trace` on fixtures.

use crate::common;

use chrono::Duration;
use common::*;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use warroom::domain::event::EventBody;
use warroom::domain::incident::EntryKind;
use warroom::domain::trace::TraceStatus;
use warroom::domain::trace_breakdown::GroupBy;
use warroom::tui::action::TraceMsg;
use warroom::tui::app::{Action, AppState, Effect, Mode, update};
use warroom::tui::keymap::Command;
use warroom::tui::ui;
use warroom::tui::views::TraceMode;

fn pane() -> AppState {
    let mut a = app(empty_incident());
    a.trace_sources = vec![
        toml::from_str::<warroom::domain::trace::TraceConfig>(
            "[[sources]]\nname = \"edge\"\nkind = \"postfix\"\npath = \"/var/log/mail.log*\"\n",
        )
        .unwrap()
        .sources
        .remove(0),
    ];
    key(&mut a, KeyCode::Char('3'));
    a
}

fn run_query(a: &mut AppState, text: &str) -> u64 {
    key(a, KeyCode::Char('/'));
    typed(a, text);
    let fx = key(a, KeyCode::Enter);
    let Some(Effect::StartTrace { request, query, .. }) = fx
        .iter()
        .find(|f| matches!(f, Effect::StartTrace { .. }))
        .cloned()
    else {
        panic!("{fx:?}")
    };
    assert!(a.trace.running);
    assert_eq!(query.sender.as_deref(), Some("alerts@fabrikam.com"));
    request
}

#[test]
fn rows_stream_in_upsert_and_old_requests_are_dropped() {
    let mut a = pane();
    let r1 = run_query(&mut a, "from:alerts@fabrikam.com since:1h");
    update(
        &mut a,
        Action::TraceBatch {
            request: r1,
            msgs: vec![
                TraceMsg::Row(common::trace_row(
                    "q1",
                    "ops@contoso.com",
                    TraceStatus::Pending,
                    -40,
                    &[-39],
                )),
                TraceMsg::Row(common::trace_row(
                    "q2",
                    "hr@contoso.com",
                    TraceStatus::Delivered,
                    -30,
                    &[],
                )),
                TraceMsg::Progress {
                    done: 50,
                    total: 100,
                },
            ],
        },
    );
    assert_eq!(a.trace.rows.len(), 2);
    assert_eq!(a.trace.rows[0].key, "q2", "newest first");
    assert_eq!(a.trace.done, 50);
    // The deferred message gets through later: same key and recipient, replaced.
    update(
        &mut a,
        Action::TraceBatch {
            request: r1,
            msgs: vec![TraceMsg::Row(common::trace_row(
                "q1",
                "OPS@contoso.com",
                TraceStatus::Delivered,
                -40,
                &[-39],
            ))],
        },
    );
    assert_eq!(a.trace.rows.len(), 2);
    assert_eq!(
        a.trace.summary.by_status.get(&TraceStatus::Delivered),
        Some(&2)
    );
    assert_eq!(a.trace.summary.buckets.deferrals.iter().sum::<u32>(), 1);
    // A new query cancels the old one; late results of the old one are dropped.
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..40 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "from:alerts@fabrikam.com status:failed");
    let fx = key(&mut a, KeyCode::Enter);
    assert!(fx.contains(&Effect::CancelTrace), "{fx:?}");
    let r2 = a.trace.request;
    assert!(r2 > r1);
    assert!(a.trace.rows.is_empty());
    update(
        &mut a,
        Action::TraceBatch {
            request: r1,
            msgs: vec![TraceMsg::Row(common::trace_row(
                "q9",
                "x@contoso.com",
                TraceStatus::Failed,
                -5,
                &[],
            ))],
        },
    );
    assert!(a.trace.rows.is_empty(), "a stale result must not show");
    update(
        &mut a,
        Action::TraceBatch {
            request: r2,
            msgs: vec![
                TraceMsg::Row(common::trace_row(
                    "q3",
                    "a@contoso.com",
                    TraceStatus::Failed,
                    -5,
                    &[],
                )),
                TraceMsg::Warning("edge: mail.log.2.gz: not gzip".into()),
            ],
        },
    );
    update(
        &mut a,
        Action::TraceDone {
            request: r2,
            error: None,
            cancelled: false,
        },
    );
    assert!(!a.trace.running);
    assert_eq!(a.trace.rows.len(), 1);
    assert_eq!(a.trace.warnings.len(), 1);
    // A row withdrawn by the scan disappears.
    update(
        &mut a,
        Action::TraceBatch {
            request: r2,
            msgs: vec![TraceMsg::Remove {
                key: "q3".into(),
                recipient: "a@contoso.com".into(),
            }],
        },
    );
    assert!(a.trace.rows.is_empty());
}

#[test]
fn r_runs_the_same_query_again() {
    let mut a = pane();
    assert!(key(&mut a, KeyCode::Char('r')).is_empty());
    let r1 = run_query(&mut a, "from:alerts@fabrikam.com");
    update(
        &mut a,
        Action::TraceDone {
            request: r1,
            error: None,
            cancelled: false,
        },
    );
    let fx = key(&mut a, KeyCode::Char('r'));
    let [
        Effect::StartTrace {
            request,
            query,
            refresh,
        },
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert!(*request > r1);
    // The run before it ended: the runner may answer with changes only.
    assert!(*refresh);
    assert_eq!(query.sender.as_deref(), Some("alerts@fabrikam.com"));
    assert!(a.trace.running);
}

#[test]
fn the_configured_query_starts_itself_and_refreshes_in_place() {
    let mut a = pane();
    a.trace_autostart = Some("from:alerts@fabrikam.com".into());
    a.trace_refresh = Some(Duration::seconds(30));
    let fx = update(&mut a, Action::Tick(now()));
    let [Effect::StartTrace { request: r1, .. }] = fx[..] else {
        panic!("{fx:?}")
    };
    update(
        &mut a,
        Action::TraceBatch {
            request: r1,
            msgs: vec![
                TraceMsg::Row(common::trace_row(
                    "q1",
                    "ops@contoso.com",
                    TraceStatus::Pending,
                    -40,
                    &[-39],
                )),
                TraceMsg::Row(common::trace_row(
                    "q2",
                    "hr@contoso.com",
                    TraceStatus::Pending,
                    -30,
                    &[],
                )),
            ],
        },
    );
    update(
        &mut a,
        Action::TraceDone {
            request: r1,
            error: None,
            cancelled: false,
        },
    );
    // Not yet due.
    assert!(update(&mut a, Action::Tick(now() + Duration::seconds(10))).is_empty());
    let fx = update(&mut a, Action::Tick(now() + Duration::seconds(31)));
    let [Effect::StartTrace { request: r2, .. }] = fx[..] else {
        panic!("{fx:?}")
    };
    // The old rows stay on screen while the new run goes.
    assert_eq!(a.trace.rows.len(), 2);
    update(
        &mut a,
        Action::TraceBatch {
            request: r2,
            msgs: vec![TraceMsg::Row(common::trace_row(
                "q1",
                "ops@contoso.com",
                TraceStatus::Delivered,
                -40,
                &[-39],
            ))],
        },
    );
    assert_eq!(a.trace.rows.len(), 2);
    update(
        &mut a,
        Action::TraceDone {
            request: r2,
            error: None,
            cancelled: false,
        },
    );
    // q2 was not found again: gone; q1 updated in place.
    assert_eq!(a.trace.rows.len(), 1);
    assert_eq!(a.trace.rows[0].status, TraceStatus::Delivered);
}

#[test]
fn esc_cancels_and_bad_queries_say_why() {
    let mut a = pane();
    run_query(&mut a, "from:alerts@fabrikam.com");
    let fx = key(&mut a, KeyCode::Esc);
    assert_eq!(fx, vec![Effect::CancelTrace]);
    assert!(!a.trace.running && a.trace.cancelled);
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..40 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "status:lost");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let Mode::Input(i) = &a.mode else { panic!() };
    assert!(i.error.as_deref().unwrap().contains("delivered"));
}

#[test]
fn enter_loads_the_chain() {
    let mut a = pane();
    let r = run_query(&mut a, "from:alerts@fabrikam.com");
    update(
        &mut a,
        Action::TraceBatch {
            request: r,
            msgs: vec![TraceMsg::Row(common::trace_row(
                "edge/ABC123",
                "ops@contoso.com",
                TraceStatus::Pending,
                -40,
                &[-39],
            ))],
        },
    );
    let fx = key(&mut a, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::LoadChain { row }] if row.key == "edge/ABC123"),
        "{fx:?}"
    );
    assert!(matches!(a.mode, Mode::TraceChain { events: None, .. }));
    let ev = warroom::domain::trace::TraceEvent {
        time: mins(-40),
        server: "mx1".into(),
        source: "edge".into(),
        file: "/var/log/mail.log".into(),
        line: 12,
        event: "smtp".into(),
        recipients: vec!["ops@contoso.com".into()],
        detail: "status=deferred (451 4.7.500 Server busy)".into(),
    };
    update(
        &mut a,
        Action::TraceChain {
            key: "edge/ABC123".into(),
            result: Ok(vec![ev]),
        },
    );
    assert!(matches!(&a.mode, Mode::TraceChain { events: Some(Ok(e)), .. } if e.len() == 1));
    assert!(frame(&mut a).contains("status=deferred (451 4.7.500 Server busy)"));
}

#[test]
fn t_keeps_the_result_as_evidence_and_a_trace_entry() {
    let mut a = pane();
    // Nothing to keep yet.
    assert!(key(&mut a, KeyCode::Char('t')).is_empty());
    let r = run_query(&mut a, "from:alerts@fabrikam.com");
    update(
        &mut a,
        Action::TraceBatch {
            request: r,
            msgs: vec![
                TraceMsg::Row(common::trace_row(
                    "q1",
                    "ops@contoso.com",
                    TraceStatus::Pending,
                    -40,
                    &[-39],
                )),
                TraceMsg::Row(common::trace_row(
                    "q2",
                    "hr@contoso.com",
                    TraceStatus::Failed,
                    -30,
                    &[],
                )),
            ],
        },
    );
    // Still running: refused with a reason.
    assert!(key(&mut a, KeyCode::Char('t')).is_empty());
    update(
        &mut a,
        Action::TraceDone {
            request: r,
            error: None,
            cancelled: false,
        },
    );
    let fx = key(&mut a, KeyCode::Char('t'));
    let [
        Effect::SaveTraceEvidence {
            query,
            rows,
            summary,
        },
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(query, "from:alerts@fabrikam.com");
    assert_eq!(rows.len(), 2);
    let fx = update(
        &mut a,
        Action::TraceEvidenceSaved {
            query: query.clone(),
            summary: Box::new(summary.clone()),
            saved: Ok(warroom::domain::evidence::HashedFile {
                file: "evidence/trace-20261130T140300.000Z.json".into(),
                size: 812,
                sha256: "5e".repeat(32),
            }),
        },
    );
    let evs = ack(&mut a, fx);
    assert!(matches!(
        evs[0].body,
        EventBody::TraceSnapshot { rows: 2, .. }
    ));
    // The file's hash is recorded with it, for `warroom evidence verify`.
    let EventBody::TraceSnapshot { size, sha256, .. } = &evs[0].body else {
        unreachable!()
    };
    assert_eq!(
        (*size, sha256.as_deref()),
        (Some(812), Some("5e".repeat(32).as_str()))
    );
    let e = a.incident.entries.last().unwrap();
    assert_eq!(e.kind, EntryKind::Trace);
    assert_eq!(
        e.text,
        "trace from:alerts@fabrikam.com: 2 rows (failed 1, pending 1); rows kept in evidence/trace-20261130T140300.000Z.json"
    );
}

fn frame(a: &mut AppState) -> String {
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| ui::render(f, a)).unwrap();
    term.backend().to_string()
}

#[test]
fn pane_snapshot_with_counts_and_sparkline() {
    let mut a = pane();
    let r = run_query(&mut a, "from:alerts@fabrikam.com since:1h");
    let mut msgs = Vec::new();
    // Deferrals rising then falling over the hour, then recovery.
    for i in 0..24i64 {
        let status = match i % 6 {
            0 => TraceStatus::Failed,
            1 | 2 => TraceStatus::Pending,
            _ => TraceStatus::Delivered,
        };
        let defers: Vec<i64> = (0..(6 - (i - 12).abs() / 2).max(0))
            .map(|d| -58 + i * 2 + d)
            .collect();
        msgs.push(TraceMsg::Row(common::trace_row(
            &format!("q{i:02}"),
            &format!("user{i}@contoso.com"),
            status,
            -58 + i * 2,
            &defers,
        )));
    }
    msgs.push(TraceMsg::Progress {
        done: 100,
        total: 100,
    });
    update(&mut a, Action::TraceBatch { request: r, msgs });
    update(
        &mut a,
        Action::TraceDone {
            request: r,
            error: None,
            cancelled: false,
        },
    );
    update(&mut a, Action::Tick(now() + Duration::seconds(1)));
    update(&mut a, Action::Command(Command::Zoom));
    insta::assert_snapshot!(frame(&mut a));
}

#[test]
fn warroom_trace_cli_over_fixture_logs() {
    let fixtures = format!("{}/tests/fixtures/trace", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--config", "/dev/null", "trace", "--postfix-log"])
        .arg(format!("{fixtures}/postfix/maillog-outage.log"))
        .arg("--exchange-logs")
        .arg(format!("{fixtures}/exchange/2019"))
        .args(["--since", "2026-03-01", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(v["summary"]["rows"].as_u64().unwrap() as usize, rows.len());
    assert!(v["summary"]["by_status"]["failed"].as_u64().unwrap() >= 2);
    for k in [
        "received",
        "sender",
        "recipient",
        "subject",
        "status",
        "reply",
        "message_id",
        "source",
    ] {
        assert!(rows[0].get(k).is_some(), "{k}");
    }
    // A status filter and the plain output.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "--config",
            "/dev/null",
            "trace",
            "--status",
            "failed",
            "--postfix-log",
        ])
        .arg(format!("{fixtures}/postfix/maillog-outage.log"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# "), "{text}");
    assert!(
        text.lines().skip(1).all(|l| l.contains("\tfailed\t")),
        "{text}"
    );
    // Nothing to search: one clear line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["--config", "/dev/null", "trace"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--exchange-logs"));
}

#[test]
fn a_big_result_is_complete_when_the_run_ends() {
    let mut a = pane();
    let r = run_query(&mut a, "from:alerts@fabrikam.com");
    for chunk in 0..30 {
        let msgs = (0..500)
            .map(|i| {
                let n = chunk * 500 + i;
                TraceMsg::Row(common::trace_row(
                    &format!("q{n:05}"),
                    "ops@contoso.com",
                    TraceStatus::Delivered,
                    -50,
                    &[],
                ))
            })
            .collect();
        update(&mut a, Action::TraceBatch { request: r, msgs });
    }
    // While streaming, the table may lag behind; at the end it holds every row, sorted.
    update(
        &mut a,
        Action::TraceDone {
            request: r,
            error: None,
            cancelled: false,
        },
    );
    assert_eq!(a.trace.rows.len(), 15_000);
    assert_eq!(a.trace.summary.rows, 15_000);
    assert!(
        a.trace
            .rows
            .windows(2)
            .all(|w| w[0].received >= w[1].received)
    );
}

fn finish(a: &mut AppState, r: u64) {
    update(
        a,
        Action::TraceDone {
            request: r,
            error: None,
            cancelled: false,
        },
    );
}

#[test]
fn b_shows_a_breakdown_and_capital_b_changes_the_grouping() {
    let mut a = pane();
    // Nothing to break down yet.
    assert!(key(&mut a, KeyCode::Char('b')).is_empty());
    assert_eq!(a.trace.mode, TraceMode::Rows);
    let r = run_query(&mut a, "from:alerts@fabrikam.com since:1h");
    let mut msgs = Vec::new();
    for (i, (rcpt, status)) in [
        ("a@contoso.com", TraceStatus::Delivered),
        ("b@contoso.com", TraceStatus::Pending),
        ("c@contoso.com", TraceStatus::Pending),
        ("d@fabrikam.com", TraceStatus::Failed),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = common::trace_row(&format!("q{i}"), rcpt, status, -30 + i as i64, &[]);
        r.delay_ms = Some(1000 * (i as u64 + 1));
        msgs.push(TraceMsg::Row(r));
    }
    update(&mut a, Action::TraceBatch { request: r, msgs });
    finish(&mut a, r);
    key(&mut a, KeyCode::Char('b'));
    assert_eq!(a.trace.mode, TraceMode::Breakdown);
    let b = a.trace.breakdown.clone().unwrap();
    assert_eq!(b.by, GroupBy::Domain);
    let keys: Vec<(&str, usize)> = b.groups.iter().map(|g| (g.key.as_str(), g.count)).collect();
    assert_eq!(keys, [("contoso.com", 3), ("fabrikam.com", 1)]);
    update(&mut a, Action::Tick(now() + Duration::seconds(1)));
    update(&mut a, Action::Command(Command::Zoom));
    insta::assert_snapshot!(frame(&mut a));
    update(&mut a, Action::Command(Command::Zoom));
    // B: by reason; the 451s are one group.
    key(&mut a, KeyCode::Char('B'));
    let b = a.trace.breakdown.clone().unwrap();
    assert_eq!(b.by, GroupBy::Reason);
    assert_eq!(b.groups[0].key, "4.7.500 Server busy");
    assert_eq!(b.groups[0].count, 2);
    // j moves in the groups; rows arriving refresh the groups; b goes back to the rows.
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.trace.group_cursor.selected, 1);
    key(&mut a, KeyCode::Char('/'));
    for _ in 0..60 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "from:alerts@fabrikam.com since:2h");
    let fx = key(&mut a, KeyCode::Enter);
    let [Effect::StartTrace { request: r2, .. }] = fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(a.trace.mode, TraceMode::Breakdown, "the view stays");
    update(
        &mut a,
        Action::TraceBatch {
            request: r2,
            msgs: vec![TraceMsg::Row(common::trace_row(
                "q9",
                "e@contoso.com",
                TraceStatus::Failed,
                -5,
                &[],
            ))],
        },
    );
    assert_eq!(a.trace.breakdown.as_ref().unwrap().groups.len(), 1);
    key(&mut a, KeyCode::Char('b'));
    assert_eq!(a.trace.mode, TraceMode::Rows);
    assert!(a.trace.breakdown.is_none());
}

#[test]
fn a_refresh_answered_with_changes_only_keeps_the_other_rows() {
    let mut a = pane();
    a.trace_sources.push(
        toml::from_str::<warroom::domain::trace::TraceConfig>(
            "[[sources]]\nname = \"exo\"\nkind = \"exchange-online\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n",
        )
        .unwrap()
        .sources
        .remove(0),
    );
    let r1 = run_query(&mut a, "from:alerts@fabrikam.com");
    let mut online = common::trace_row("guid-1", "x@contoso.com", TraceStatus::Pending, -20, &[]);
    online.source = "exo".into();
    update(
        &mut a,
        Action::TraceBatch {
            request: r1,
            msgs: vec![
                TraceMsg::Row(common::trace_row(
                    "q1",
                    "ops@contoso.com",
                    TraceStatus::Pending,
                    -40,
                    &[],
                )),
                TraceMsg::Row(common::trace_row(
                    "q2",
                    "hr@contoso.com",
                    TraceStatus::Pending,
                    -30,
                    &[],
                )),
                TraceMsg::Row(common::trace_row(
                    "q3",
                    "it@contoso.com",
                    TraceStatus::Pending,
                    -25,
                    &[],
                )),
                TraceMsg::Row(online),
            ],
        },
    );
    finish(&mut a, r1);
    let fx = key(&mut a, KeyCode::Char('r'));
    let [
        Effect::StartTrace {
            request: r2,
            refresh: true,
            ..
        },
    ] = fx[..]
    else {
        panic!("{fx:?}")
    };
    // The runner answers with the log files' changes: q1 delivered, q3 gone; Exchange Online
    // sends nothing this time.
    update(
        &mut a,
        Action::TraceBatch {
            request: r2,
            msgs: vec![
                TraceMsg::Delta,
                TraceMsg::Row(common::trace_row(
                    "q1",
                    "ops@contoso.com",
                    TraceStatus::Delivered,
                    -40,
                    &[],
                )),
                TraceMsg::Remove {
                    key: "q3".into(),
                    recipient: "it@contoso.com".into(),
                },
            ],
        },
    );
    finish(&mut a, r2);
    let got: Vec<(&str, TraceStatus)> = a
        .trace
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.status))
        .collect();
    assert_eq!(
        got,
        [("q2", TraceStatus::Pending), ("q1", TraceStatus::Delivered)],
        "q2 stays, q3 and the Exchange Online row not sent again go"
    );
    // A refresh while a run is still going cannot be answered with changes only.
    let fx = key(&mut a, KeyCode::Char('r'));
    assert!(matches!(fx[..], [Effect::StartTrace { refresh: true, .. }]));
    let fx = key(&mut a, KeyCode::Char('r'));
    assert!(
        fx.iter()
            .any(|f| matches!(f, Effect::StartTrace { refresh: false, .. })),
        "{fx:?}"
    );
}

#[test]
fn the_reason_breakdown_fetches_exchange_online_replies_once() {
    let mut a = pane();
    a.trace_sources.push(
        toml::from_str::<warroom::domain::trace::TraceConfig>(
            "[[sources]]\nname = \"exo\"\nkind = \"exchange-online\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"S\"\n",
        )
        .unwrap()
        .sources
        .remove(0),
    );
    let r = run_query(&mut a, "from:alerts@fabrikam.com");
    let mut online = common::trace_row("guid-1", "x@contoso.com", TraceStatus::Failed, -20, &[]);
    online.source = "exo".into();
    online.reply.clear();
    let mut delivered = online.clone();
    delivered.key = "guid-2".into();
    delivered.status = TraceStatus::Delivered;
    update(
        &mut a,
        Action::TraceBatch {
            request: r,
            msgs: vec![
                TraceMsg::Row(common::trace_row(
                    "q1",
                    "ops@contoso.com",
                    TraceStatus::Failed,
                    -40,
                    &[],
                )),
                TraceMsg::Row(online.clone()),
                TraceMsg::Row(delivered),
            ],
        },
    );
    finish(&mut a, r);
    key(&mut a, KeyCode::Char('b'));
    let fx = key(&mut a, KeyCode::Char('B'));
    let [Effect::EnrichTraceReasons { request, rows }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert_eq!(*request, r);
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["guid-1"], "only Exchange Online rows not delivered");
    // The reply comes back and joins its group; a later list row without one keeps it.
    online.reply = "550 5.1.10 RESOLVER.ADR.RecipientNotFound".into();
    update(
        &mut a,
        Action::TraceBatch {
            request: r,
            msgs: vec![TraceMsg::Row(online.clone())],
        },
    );
    let b = a.trace.breakdown.clone().unwrap();
    assert!(
        b.groups
            .iter()
            .any(|g| g.key == "5.1.10 RESOLVER.ADR.RecipientNotFound"),
        "{b:?}"
    );
    online.reply.clear();
    update(
        &mut a,
        Action::TraceBatch {
            request: r,
            msgs: vec![TraceMsg::Row(online)],
        },
    );
    let kept = a.trace.rows.iter().find(|r| r.key == "guid-1").unwrap();
    assert_eq!(kept.reply, "550 5.1.10 RESOLVER.ADR.RecipientNotFound");
}
