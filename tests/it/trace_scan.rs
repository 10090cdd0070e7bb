//! The scan as a whole: several sources, query combinations, streaming, progress,
//! cancellation, JSON output, generated logs.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{TimeZone, Utc};
use warroom::domain::trace::{TraceConfig, TraceQuery, TraceStatus};
use warroom::trace::r#gen::{RARE_SENDER, write_msgtrk};
use warroom::trace::{ScanMsg, ScanSource, TraceError, collect_query, run_query, trace_json};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trace")
}

fn sources() -> Vec<ScanSource> {
    let mut pf = ScanSource::postfix("mx1", fixtures().join("postfix/maillog-outage.log"));
    pf.year_reference = Some(Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap());
    vec![
        ScanSource::exchange_logs("ex01", fixtures().join("exchange/2019")),
        pf,
    ]
}

fn keys(q: &TraceQuery) -> Vec<(String, String)> {
    let (rows, summary, w) = collect_query(&sources(), q, &AtomicBool::new(false)).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(summary.rows, rows.len());
    let mut k: Vec<(String, String)> = rows.into_iter().map(|r| (r.source, r.recipient)).collect();
    k.sort();
    k
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn query_combinations_across_sources() {
    // The same message passed through both systems.
    let q = TraceQuery {
        message_id: Some("<caf3x9qm1=zk@mail.fabrikam.com>".into()),
        ..Default::default()
    };
    assert_eq!(
        keys(&q),
        pairs(&[("ex01", "ops@contoso.com"), ("mx1", "ops@contoso.com")])
    );
    let q = TraceQuery {
        recipient: Some("ops@contoso.com".into()),
        status: Some(TraceStatus::Failed),
        ..Default::default()
    };
    assert_eq!(keys(&q), pairs(&[("ex01", "ops@contoso.com")]));
    let q = TraceQuery {
        sender: Some("@contoso.com".into()),
        ..Default::default()
    };
    assert_eq!(
        keys(&q),
        pairs(&[
            ("ex01", "alerts@fabrikam.com"), // the NDR, from MicrosoftExchange…@contoso.com
            ("ex01", "user1@contoso.com"),
            ("ex01", "user2@contoso.com"),
            ("mx1", "user@aol.example")
        ])
    );
    let q = TraceQuery {
        subject_contains: Some("NIGHTLY".into()),
        sender: Some("alerts@fabrikam.com".into()),
        ..Default::default()
    };
    assert_eq!(keys(&q), pairs(&[("ex01", "ops@contoso.com")]));
    // Time window on the received time.
    let q = TraceQuery {
        since: Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 10, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(2026, 3, 2, 13, 16, 0).unwrap()),
        ..Default::default()
    };
    let k = keys(&q);
    assert_eq!(
        k,
        pairs(&[
            ("mx1", "nobody@tailspintoys.com"),
            ("mx1", "ops@contoso.com")
        ]),
        "the bounce at 13:15 and the NOQUEUE reject at 13:12"
    );
    let q = TraceQuery {
        status: Some(TraceStatus::Delivered),
        recipient: Some("contoso".into()),
        ..Default::default()
    };
    assert_eq!(
        keys(&q),
        pairs(&[
            ("ex01", "user1@contoso.com"),
            ("ex01", "user2@contoso.com"),
            ("mx1", "ops@contoso.com")
        ])
    );
}

#[test]
fn summary_and_json() {
    let (rows, summary, _) =
        collect_query(&sources(), &TraceQuery::default(), &AtomicBool::new(false)).unwrap();
    assert_eq!(summary.rows, 8, "{rows:#?}");
    assert_eq!(summary.by_status[&TraceStatus::Delivered], 3);
    assert_eq!(summary.by_status[&TraceStatus::Failed], 3);
    // The Exchange NDR on its way, and the NOQUEUE reject with 450 (deferred at our edge).
    assert_eq!(summary.by_status[&TraceStatus::Pending], 2);
    assert_eq!(summary.by_status.get(&TraceStatus::Unknown), None);
    // 2 Postfix deferrals + 1 Postfix error deferral + the 450 reject + 1 Exchange DEFER.
    assert_eq!(summary.buckets.deferrals.iter().sum::<u32>(), 5);
    assert_eq!(summary.buckets.failures.iter().sum::<u32>(), 3);
    assert_eq!(summary.buckets.width_secs % 300, 0);
    let v = trace_json(&rows, &summary);
    assert_eq!(v["summary"]["rows"], 8);
    assert_eq!(v["summary"]["by_status"]["failed"], 3);
    assert_eq!(v["rows"].as_array().unwrap().len(), 8);
    assert_eq!(v["rows"][0]["received"], "2026-03-04T13:05:03.512Z");
}

#[test]
fn streams_rows_and_progress() {
    let mut msgs = Vec::new();
    let stats = run_query(
        &sources(),
        &TraceQuery::default(),
        |m| msgs.push(m),
        &AtomicBool::new(false),
    )
    .unwrap();
    let progress: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            ScanMsg::Progress(p) => Some(*p),
            _ => None,
        })
        .collect();
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].bytes_done <= w[1].bytes_done)
    );
    let last = progress.last().unwrap();
    assert_eq!(last.files_total, 2);
    assert_eq!(last.files_done, 2);
    assert_eq!(last.bytes_done, last.bytes_total);
    assert_eq!(last.bytes_done, stats.bytes);
    assert!((last.fraction() - 1.0).abs() < f64::EPSILON);
    assert_eq!(stats.files, 2);
    assert_eq!(stats.rows, 8);
    assert!(!stats.cancelled);
    assert!(msgs.iter().any(|m| matches!(m, ScanMsg::Row(_))));
}

#[test]
fn cancellation_stops_between_chunks() {
    let dir = tempfile::tempdir().unwrap();
    write_msgtrk(dir.path(), 9 * 1024 * 1024, 1).unwrap();
    let src = [ScanSource::exchange_logs("gen", dir.path())];
    // Cancelled before it starts: nothing read.
    let cancel = AtomicBool::new(true);
    let stats = run_query(&src, &TraceQuery::default(), |_| {}, &cancel).unwrap();
    assert!(stats.cancelled);
    assert_eq!(stats.bytes, 0);
    // Cancelled at the first progress report: the rest of the file is not read.
    let cancel = AtomicBool::new(false);
    let mut total = 0;
    let stats = run_query(
        &src,
        &TraceQuery::default(),
        |m| {
            if let ScanMsg::Progress(p) = m {
                total = p.bytes_total;
                if p.bytes_done > 0 {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        },
        &cancel,
    )
    .unwrap();
    assert!(stats.cancelled);
    assert!(
        stats.bytes > 0 && stats.bytes < total,
        "{} of {total}",
        stats.bytes
    );
}

#[test]
fn generated_logs_sender_query_finds_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let g = write_msgtrk(dir.path(), 24 * 1024 * 1024, 42).unwrap();
    assert!(g.files.len() >= 3);
    assert!(g.rare_messages > 0);
    let src = [ScanSource::exchange_logs("gen", dir.path())];
    let q = TraceQuery {
        sender: Some(RARE_SENDER.to_uppercase()),
        ..Default::default()
    };
    let (rows, summary, w) = collect_query(&src, &q, &AtomicBool::new(false)).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(rows.len() as u64, g.rare_rows);
    assert!(rows.iter().all(|r| r.sender == RARE_SENDER));
    assert!(rows.iter().all(|r| r.status != TraceStatus::Unknown));
    assert_eq!(summary.by_status.values().sum::<usize>(), rows.len());
}

#[test]
fn no_files_is_an_error_that_says_what_to_do() {
    let src = [ScanSource::postfix("mx", "/nonexistent/dir/mail.log*")];
    let err = collect_query(&src, &TraceQuery::default(), &AtomicBool::new(false)).unwrap_err();
    assert!(matches!(err, TraceError::NoFiles(_)));
    assert!(err.to_string().contains("check the `path`"), "{err}");
}

#[test]
fn a_bad_source_is_a_warning_when_others_work() {
    let mut src = sources();
    src.push(ScanSource::exchange_logs("gone", "/nonexistent/folder"));
    let (rows, _, w) =
        collect_query(&src, &TraceQuery::default(), &AtomicBool::new(false)).unwrap();
    assert_eq!(rows.len(), 8);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].source, "gone");
}

#[test]
fn sources_from_config() {
    let cfg: TraceConfig = toml::from_str(
        r#"
        [[sources]]
        name = "ex01"
        kind = "exchange-logs"
        path = "/logs/ex01"

        [[sources]]
        name = "mx"
        kind = "postfix"
        path = "/var/log/mail.log*"

        [[sources]]
        name = "exo"
        kind = "exchange-online"
        tenant = "contoso.onmicrosoft.com"
        client_id = "00000000-0000-0000-0000-000000000000"
        client_secret_file = "/etc/warroom/exo.secret"
        "#,
    )
    .unwrap();
    let s0 = ScanSource::from_config(&cfg.sources[0]).unwrap();
    assert_eq!(s0, ScanSource::exchange_logs("ex01", "/logs/ex01"));
    let s1 = ScanSource::from_config(&cfg.sources[1]).unwrap();
    assert_eq!(s1, ScanSource::postfix("mx", "/var/log/mail.log*"));
    assert!(matches!(
        ScanSource::from_config(&cfg.sources[2]),
        Err(TraceError::NotAFileSource(_))
    ));
}
