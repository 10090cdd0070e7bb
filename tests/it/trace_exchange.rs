//! Exchange message tracking logs: layouts, CSV edge cases, pairing, status, chain, tailing.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use chrono::{TimeZone, Utc};
use warroom::domain::trace::{TraceQuery, TraceRow, TraceStatus};
use warroom::trace::exchange_logs::{LineError, MsgtrkTail};
use warroom::trace::{ScanSource, chain, collect_query};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trace/exchange")
        .join(rel)
}

fn rows(path: PathBuf, q: &TraceQuery) -> Vec<TraceRow> {
    let src = [ScanSource::exchange_logs("ex", path)];
    let (rows, _, warnings) = collect_query(&src, q, &AtomicBool::new(false)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    rows
}

fn find<'a>(rows: &'a [TraceRow], recipient: &str) -> &'a TraceRow {
    rows.iter()
        .find(|r| r.recipient == recipient)
        .unwrap_or_else(|| panic!("no row for {recipient} in {rows:#?}"))
}

#[test]
fn layout_2019_deferred_then_expired_is_failed_with_reason() {
    let q = TraceQuery {
        sender: Some("ALERTS@fabrikam.com".into()),
        ..Default::default()
    };
    let rows = rows(fixture("2019"), &q);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let r = &rows[0];
    assert_eq!(r.recipient, "ops@contoso.com");
    assert_eq!(r.status, TraceStatus::Failed);
    assert_eq!(r.reply, "550 4.4.7 QUEUE.Expired; message expired");
    assert_eq!(r.subject, "Nightly batch report, part 1");
    assert_eq!(r.message_id, "<CAF3x9Qm1=Zk@mail.fabrikam.com>");
    assert_eq!(r.key, r.message_id);
    assert_eq!(r.source, "ex");
    assert_eq!(
        r.received,
        Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 1).unwrap() + chrono::Duration::milliseconds(122)
    );
    assert_eq!(r.deferrals.len(), 1);
    assert_eq!(
        r.last_event.unwrap(),
        Utc.with_ymd_and_hms(2026, 3, 4, 13, 5, 3).unwrap() + chrono::Duration::milliseconds(410)
    );
}

#[test]
fn layout_2019_all_rows_and_multi_recipient_pairing() {
    let rows = rows(fixture("2019"), &TraceQuery::default());
    assert_eq!(rows.len(), 4, "{rows:#?}");
    for who in ["user1@contoso.com", "user2@contoso.com"] {
        let r = find(&rows, who);
        assert_eq!(r.status, TraceStatus::Delivered);
        assert_eq!(r.reply, "250 2.1.5 Recipient OK");
        assert_eq!(r.sender, "it@contoso.com");
        assert_eq!(r.subject, "Status update");
    }
    // The NDR is a message of its own, generated and not yet delivered.
    let ndr = find(&rows, "alerts@fabrikam.com");
    assert_eq!(ndr.status, TraceStatus::Pending);
    assert_eq!(ndr.subject, "Undeliverable: Nightly batch report, part 1");
    // Newest first.
    assert!(rows.windows(2).all(|w| w[0].received >= w[1].received));
}

#[test]
fn bom_file_reads_like_the_plain_one() {
    let plain = rows(fixture("2019"), &TraceQuery::default());
    let bom = rows(fixture("bom"), &TraceQuery::default());
    assert_eq!(plain.len(), bom.len());
    for (a, b) in plain.iter().zip(&bom) {
        assert_eq!(
            (&a.recipient, a.status, &a.reply),
            (&b.recipient, b.status, &b.reply)
        );
    }
}

#[test]
fn layout_2010_columns_from_its_own_fields_line_and_csv_quoting() {
    let rows = rows(fixture("2010"), &TraceQuery::default());
    let a = find(&rows, "a@contoso.com");
    assert_eq!(a.subject, r#"Re: "Q1", budget, final"#);
    assert_eq!(a.sender, "Legacy@Contoso.com");
    assert_eq!(a.status, TraceStatus::Delivered);
    assert_eq!(a.message_id, "<legacy-0001@EX2010.contoso.com>");
    let b = find(&rows, "b@fabrikam.com");
    assert_eq!(b.status, TraceStatus::Delivered);
    assert_eq!(b.reply, "250 2.6.0 Queued mail for delivery");
}

#[test]
fn subject_query_with_quotes_and_commas() {
    let q = TraceQuery {
        subject_contains: Some(r#""q1", BUDGET"#.into()),
        ..Default::default()
    };
    let rows = rows(fixture("2010"), &q);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let q = TraceQuery {
        subject_contains: Some(r#""q2", budget"#.into()),
        ..Default::default()
    };
    assert!(self::rows(fixture("2010"), &q).is_empty());
}

#[test]
fn hostile_and_invalid_utf8_subject_is_sanitised_and_spam_is_detected() {
    let q = TraceQuery {
        recipient: Some("ceo@contoso.com".into()),
        ..Default::default()
    };
    let rows = rows(fixture("2010"), &q);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert!(
        !r.subject.contains('\u{1b}') && !r.subject.contains('\u{7}'),
        "{:?}",
        r.subject
    );
    assert!(r.subject.starts_with("Pay now!"), "{:?}", r.subject);
    assert!(r.subject.contains('\u{fffd}'), "{:?}", r.subject);
    assert!(r.subject.ends_with("invoice"), "{:?}", r.subject);
    assert_eq!(r.status, TraceStatus::FilteredAsSpam);
}

#[test]
fn layout_2013_real_line() {
    let rows = rows(fixture("2013"), &TraceQuery::default());
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r.recipient, "bryanson@amazon.com");
    assert_eq!(r.sender, "apollo@amazon.com");
    assert_eq!(
        r.subject,
        "Started JlbRelayShortCircuit/us-west-2/PDX1/Prod deployment"
    );
    assert_eq!(r.status, TraceStatus::Delivered);
    assert_eq!(
        r.received,
        Utc.with_ymd_and_hms(2017, 5, 22, 17, 33, 35).unwrap()
            + chrono::Duration::milliseconds(632)
    );
}

#[test]
fn chain_follows_message_and_its_ndr() {
    let src = [ScanSource::exchange_logs("ex", fixture("2019"))];
    let c = chain(
        &src,
        "CAF3x9Qm1=Zk@mail.fabrikam.com",
        &AtomicBool::new(false),
    )
    .unwrap();
    let evs: Vec<(&str, u64)> = c
        .events
        .iter()
        .map(|e| (e.event.as_str(), e.line))
        .collect();
    assert_eq!(
        evs,
        [
            ("RECEIVE", 6),
            ("HAREDIRECT", 7),
            ("DEFER", 8),
            ("FAIL", 9),
            ("DSN", 10)
        ]
    );
    let defer = &c.events[2];
    assert_eq!(defer.server, "EX02.contoso.com");
    assert!(
        defer
            .detail
            .contains("451 4.4.0 Primary target IP address responded with: \"421 4.4.2"),
        "{}",
        defer.detail
    );
    assert_eq!(defer.recipients, ["ops@contoso.com"]);
    assert!(defer.file.ends_with("MSGTRK2026030213-1.LOG"));
    assert!(c.warnings.is_empty());
}

const HEADER: &str = "#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n#Log-type: Message Tracking Log\r\n#Date: 2026-03-02T13:00:00.012Z\r\n#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version\r\n";

fn line(event: &str, rcpt: &str, status: &str, min: u32) -> String {
    format!(
        "2026-03-02T13:{min:02}:00.000Z,,,,EX01,,,SMTP,{event},1,<grow@x>,nid,{rcpt},{status},10,1,,,Growing,s@x,s@x,,Incoming,,,,,Email,l,15.02.1544.004\r\n"
    )
}

#[test]
fn tail_reads_a_growing_file_from_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("MSGTRK2026030213-1.LOG");
    let mut f = std::fs::File::create(&p).unwrap();
    let first = line("RECEIVE", "r@x", "", 1);
    let second = line("DEFER", "r@x", "451 4.4.0 busy", 2);
    let (half_a, half_b) = second.split_at(40);
    write!(f, "\u{feff}{HEADER}{first}{half_a}").unwrap();
    f.flush().unwrap();
    let mut tail = MsgtrkTail::new(&p);
    let b1 = tail.poll().unwrap();
    assert_eq!(b1.records.len(), 1);
    assert_eq!(b1.records[0].0, 6);
    assert!(b1.bad_lines.is_empty());
    let off = tail.offset();
    assert_eq!(off, std::fs::metadata(&p).unwrap().len());
    // Nothing new: nothing read.
    assert!(tail.poll().unwrap().records.is_empty());
    write!(f, "{half_b}{}", line("DELIVER", "r@x", "250 2.1.5 OK", 3)).unwrap();
    f.write_all(b"2026-03-02T13:04:00.000Z,,,,EX01,cut off\r\n")
        .unwrap();
    f.flush().unwrap();
    let b2 = tail.poll().unwrap();
    let got: Vec<(u64, &str)> = b2
        .records
        .iter()
        .map(|(n, r)| (*n, r.event_id.as_str()))
        .collect();
    assert_eq!(got, [(7, "DEFER"), (8, "DELIVER")]);
    assert_eq!(
        b2.records[0].1.recipients,
        [("r@x".to_string(), "451 4.4.0 busy".to_string())]
    );
    assert_eq!(b2.bad_lines.len(), 1);
    assert_eq!(b2.bad_lines[0].0, 9);
    assert!(matches!(
        b2.bad_lines[0].1,
        LineError::FieldCount { got: 6, want: 30 }
    ));
    assert!(tail.offset() > off);
    // Rotation (the file shrinks): read again from the start.
    std::fs::write(&p, format!("{HEADER}{first}")).unwrap();
    let b3 = tail.poll().unwrap();
    assert!(b3.restarted);
    assert_eq!(b3.records.len(), 1);
}

#[test]
fn truncated_last_line_and_binary_file_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let good = format!(
        "{HEADER}{}{}",
        line("RECEIVE", "r@x", "", 1),
        line("DELIVER", "r@x", "250 2.1.5 OK", 2)
    );
    let cut = &line("DEFER", "q@x", "451", 3)[..50];
    std::fs::write(
        dir.path().join("MSGTRK2026030213-1.LOG"),
        format!("{good}{cut}"),
    )
    .unwrap();
    let mut garbage = vec![0u8, 159, 146, 150, 0xff, 0xfe];
    garbage.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(dir.path().join("MSGTRK2026030213-2.LOG"), garbage).unwrap();
    let src = [ScanSource::exchange_logs("ex", dir.path())];
    let (rows, _, warnings) =
        collect_query(&src, &TraceQuery::default(), &AtomicBool::new(false)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, TraceStatus::Delivered);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let trunc = warnings
        .iter()
        .find(|w| w.file.as_ref().unwrap().ends_with("MSGTRK2026030213-1.LOG"))
        .unwrap();
    assert_eq!(trunc.line, Some(8));
    assert!(trunc.message.contains("incomplete last line"), "{trunc}");
    let bin = warnings
        .iter()
        .find(|w| w.file.as_ref().unwrap().ends_with("MSGTRK2026030213-2.LOG"))
        .unwrap();
    assert!(bin.message.contains("binary"), "{bin}");
}

#[test]
fn text_without_header_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("MSGTRK2026030213-1.LOG"),
        "hello\r\nworld\r\n",
    )
    .unwrap();
    let src = [ScanSource::exchange_logs("ex", dir.path())];
    let (rows, _, warnings) =
        collect_query(&src, &TraceQuery::default(), &AtomicBool::new(false)).unwrap();
    assert!(rows.is_empty());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].message.contains("no #Software/#Fields header"),
        "{}",
        warnings[0]
    );
}

#[test]
fn concatenated_files_switch_layout_at_the_inner_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut all = std::fs::read(fixture("2010/MSGTRK20260302-1.LOG")).unwrap();
    all.extend(std::fs::read(fixture("2019/MSGTRK2026030213-1.LOG")).unwrap());
    std::fs::write(dir.path().join("MSGTRK2026030213-9.LOG"), all).unwrap();
    let q = TraceQuery {
        recipient: Some("@CONTOSO.com".into()),
        ..Default::default()
    };
    let rows = rows(dir.path().to_path_buf(), &q);
    let mut got: Vec<(&str, TraceStatus)> = rows
        .iter()
        .map(|r| (r.recipient.as_str(), r.status))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("a@contoso.com", TraceStatus::Delivered),
            ("ceo@contoso.com", TraceStatus::FilteredAsSpam),
            ("ops@contoso.com", TraceStatus::Failed),
            ("user1@contoso.com", TraceStatus::Delivered),
            ("user2@contoso.com", TraceStatus::Delivered),
        ]
    );
    let src = [ScanSource::exchange_logs("ex", dir.path())];
    let c = chain(
        &src,
        "<CAF3x9Qm1=Zk@mail.fabrikam.com>",
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(c.events.first().map(|e| e.line), Some(16));
    assert_eq!(c.events.len(), 5);
}

/// Two servers' logs: shadow redundancy (HAREDIRECT on the primary, HARECEIVE and HADISCARD on
/// the shadow), a shadow copy resubmitted after the primary failed, Safety Net resubmitting a
/// delivered message (a DUPLICATEDELIVER), store-driver NOTIFYMAPI lines and a message sent
/// out after one deferral. By hand: five messages-and-recipients, four delivered, one failed.
#[test]
fn shadow_redundancy_and_resubmission_never_count_twice() {
    let src = [
        ScanSource::exchange_logs("ex01", fixture("shadow/EX01")),
        ScanSource::exchange_logs("ex02", fixture("shadow/EX02")),
    ];
    let (rows, summary, warnings) =
        collect_query(&src, &TraceQuery::default(), &AtomicBool::new(false)).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut got: Vec<(&str, TraceStatus)> = rows
        .iter()
        .map(|r| (r.recipient.as_str(), r.status))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("partner@fabrikam.com", TraceStatus::Delivered),
            ("user1@contoso.com", TraceStatus::Delivered),
            ("user2@contoso.com", TraceStatus::Delivered),
            ("user3@contoso.com", TraceStatus::Delivered),
            ("user9@contoso.com", TraceStatus::Failed),
        ]
    );
    assert_eq!(summary.rows, 5);
    // A message seen on both servers is one row per recipient, naming both sources.
    let u1 = find(&rows, "user1@contoso.com");
    assert_eq!(u1.source, "ex01, ex02");
    assert_eq!(u1.subject, "Q1 forecast, draft \"v2\"");
    // First RECEIVE (EX01) to the DELIVER on EX02.
    assert_eq!(u1.delay_ms, Some(1_208));
    assert_eq!(find(&rows, "user3@contoso.com").delay_ms, Some(602_850));
    let out = find(&rows, "partner@fabrikam.com");
    assert_eq!(out.deferrals.len(), 1);
    assert!(out.reply.starts_with("250 2.6.0"), "{}", out.reply);
    // Nothing from the store-driver notifications.
    assert!(rows.iter().all(|r| !r.recipient.is_empty()));
}

#[test]
fn nul_lines_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}{}", line("RECEIVE", "r@x", "", 1)).into_bytes();
    text.extend(std::iter::repeat_n(0u8, 300));
    text.extend_from_slice(line("DEFER", "r@x", "451 4.4.0 busy", 2).as_bytes());
    text.extend_from_slice(line("DELIVER", "r@x", "250 2.1.5 OK", 3).as_bytes());
    std::fs::write(dir.path().join("MSGTRK2026030213-1.LOG"), text).unwrap();
    let src = [ScanSource::exchange_logs("ex", dir.path())];
    let (rows, _, warnings) =
        collect_query(&src, &TraceQuery::default(), &AtomicBool::new(false)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, TraceStatus::Delivered);
    // The NULs ran into the DEFER line: that line is skipped, the others read.
    assert!(rows[0].deferrals.is_empty());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].line, Some(7));
    assert!(
        warnings[0]
            .message
            .contains("1 line holding NUL bytes skipped")
    );
}
