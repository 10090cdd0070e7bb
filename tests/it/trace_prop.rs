//! Property tests of the parsers that read outside input for message trace: MSGTRK lines and
//! headers, Postfix lines, whole log files, the trace query language and the breakdown's reason
//! keys. None may panic on any input; what is written well-formed reads back the same.
//!
//! "Never more than linear time" is checked by size, not by the clock: the `*_long_*`
//! property feeds lines of up to 64 KiB built from the fragments each parser searches for
//! (quotes, `;`, `, to=<`, ` said: `, `queued as `…), where anything quadratic would take
//! minutes (it found one: the reason key's `queued as` check); the scan's speed itself is
//! measured by the criterion benches.
//!
//! Cases per property: `PROPTEST_CASES` (default 48, a few seconds in all). A long local
//! session: `PROPTEST_CASES=20000 cargo test --release --test trace_prop`.

use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use warroom::domain::text::sanitize_line;
use warroom::domain::time::Zone;
use warroom::domain::trace::{TraceQuery, TraceStatus};
use warroom::domain::trace_breakdown::reason_key;
use warroom::domain::trace_query::{describe, parse_query_line};
use warroom::trace::exchange_logs::{FieldMap, FileState, parse_header, parse_record, split_csv};
use warroom::trace::postfix::{PfKind, parse_line, parse_time};
use warroom::trace::{ScanSource, collect_query};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// For the properties that read whole files or 64 KiB lines: a quarter of the cases.
fn heavy_config() -> ProptestConfig {
    ProptestConfig {
        cases: (cases() / 4).max(4),
        ..config()
    }
}

const FIELDS_2019: &str = "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version";

fn csv(field: &str) -> String {
    if field.contains([',', '"']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 12, 0, 0).unwrap()
}

/// Text without line ends (a log field or a query word).
fn text() -> impl Strategy<Value = String> {
    "[^\r\n]{0,40}"
}

/// Bytes that look like log lines more often than pure noise does.
fn hostile_line() -> impl Strategy<Value = Vec<u8>> {
    let fragments = prop::sample::select(vec![
        &b"\""[..],
        b"\"\"",
        b",",
        b";",
        b"<",
        b">",
        b"to=<",
        b", to=<",
        b"from=<",
        b" said: ",
        b" (in reply to ",
        b"queued as ",
        b"Queue-ID: ",
        b"queued_as: ",
        b"status=sent (",
        b"relay=127.0.0.1[127.0.0.1]:10024, ",
        b"NOQUEUE: reject: RCPT from ",
        b"; from=<",
        b": ",
        b"Mar  2 13:05:01 mx1 postfix/smtp[1]: 3449C23E79: ",
        b"amavis[1]: (1-1) Passed CLEAN ",
        b" -> <",
        b"\0",
        b"\xff\xfe",
        b"\x1b[31m",
        b"2026-03-02T13:05:01.122Z,",
    ]);
    prop::collection::vec(
        prop_oneof![
            fragments.prop_map(<[u8]>::to_vec),
            prop::collection::vec(any::<u8>(), 0..8),
        ],
        0..64,
    )
    .prop_map(|parts| parts.concat().into_iter().filter(|b| *b != b'\n').collect())
}

/// A long line (up to 64 KiB, 16 times the longest field a log line keeps): one fragment
/// repeated many times.
fn long_line() -> impl Strategy<Value = Vec<u8>> {
    (hostile_line(), 1usize..4096).prop_map(|(unit, n)| {
        let unit = if unit.is_empty() {
            b"\"".to_vec()
        } else {
            unit
        };
        let reps = (64 * 1024 / unit.len().max(1)).min(n * 16).max(1);
        unit.repeat(reps)
    })
}

proptest! {
    #![proptest_config(config())]

    /// CSV fields written the way Exchange writes them read back the same.
    #[test]
    fn prop_msgtrk_csv_round_trip(fields in prop::collection::vec(text(), 1..35)) {
        let line = fields.iter().map(|f| csv(f)).collect::<Vec<_>>().join(",");
        prop_assert_eq!(split_csv(line.as_bytes()).unwrap(), fields);
    }

    /// Any bytes as an event line: a record or an error, never a panic.
    #[test]
    fn prop_msgtrk_lines_never_panic(line in hostile_line()) {
        let map = FieldMap::from_fields(FIELDS_2019).unwrap();
        let _ = split_csv(&line);
        let _ = parse_record(&map, &line);
        let mut state = FileState::default();
        let _ = state.apply_header(&line);
        let _ = state.parse(&line);
    }

    /// A well-formed record reads back field for field (sanitised), recipients paired.
    #[test]
    fn prop_msgtrk_record_round_trip(
        subject in text(),
        sender in "[a-z0-9.]{1,12}@[a-z]{1,8}\\.com",
        rcpts in prop::collection::vec("[a-z0-9]{1,10}@contoso\\.com", 1..5),
        secs in 0i64..10_000_000,
    ) {
        let time = now() - Duration::seconds(secs);
        let statuses: Vec<String> = rcpts.iter().map(|_| "250 2.1.5 Recipient OK".to_string()).collect();
        let mut f: Vec<String> = vec![String::new(); 30];
        f[0] = time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        f[4] = "EX01".into();
        f[8] = "DELIVER".into();
        f[10] = "<m@x>".into();
        f[12] = rcpts.join(";");
        f[13] = statuses.join(";");
        f[18] = subject.clone();
        f[19] = sender.clone();
        let line = f.iter().map(|x| csv(x)).collect::<Vec<_>>().join(",");
        let map = FieldMap::from_fields(FIELDS_2019).unwrap();
        let r = parse_record(&map, line.as_bytes()).unwrap();
        prop_assert_eq!(r.time, time);
        prop_assert_eq!(r.subject, sanitize_line(&subject, 4096));
        prop_assert_eq!(r.sender, sender);
        let got: Vec<String> = r.recipients.iter().map(|(a, _)| a.clone()).collect();
        prop_assert_eq!(got, rcpts);
        prop_assert!(r.recipients.iter().all(|(_, s)| s == "250 2.1.5 Recipient OK"));
    }

    /// `#Fields:` in any order maps every column to its place.
    #[test]
    fn prop_msgtrk_header_maps_columns(order in Just(FIELDS_2019.split(',').collect::<Vec<_>>()).prop_shuffle()) {
        let line = format!("#Fields: {}", order.join(","));
        let (name, value) = parse_header(&line).unwrap();
        prop_assert_eq!(name, "fields");
        let map = FieldMap::from_fields(value).unwrap();
        prop_assert_eq!(map.count, 30);
        prop_assert_eq!(map.event_id, order.iter().position(|f| *f == "event-id"));
        prop_assert_eq!(map.recipient_status, order.iter().position(|f| *f == "recipient-status"));
    }

    /// Any bytes as a Postfix line: a record or nothing, never a panic.
    #[test]
    fn prop_postfix_lines_never_panic(line in hostile_line()) {
        let _ = parse_line(&line, now());
        let _ = parse_time(&String::from_utf8_lossy(&line), now());
    }

    /// A delivery line as Postfix writes it reads back its recipient, status, code and delay.
    #[test]
    fn prop_postfix_delivery_round_trip(
        to in "[a-z0-9.]{1,12}@[a-z]{1,10}\\.(com|org|example)",
        status in prop::sample::select(vec!["sent", "deferred", "bounced", "expired"]),
        dsn in "[245]\\.[0-9]\\.[0-9]{1,3}",
        delay_ms in 0u64..10_000_000,
        words in "[A-Za-z ,.;:]{0,60}",
        qid in "[0-9A-F]{10}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{15}",
    ) {
        let line = format!(
            "Mar  3 10:02:12 mx1 postfix/smtp[3222]: {qid}: to=<{to}>, relay=mx.example.org[192.0.2.9]:25, delay={}.{:03}, delays=0/0/0/0, dsn={dsn}, status={status} (host mx.example.org[192.0.2.9] said: {} {dsn} {words} (in reply to RCPT TO command))",
            delay_ms / 1000,
            delay_ms % 1000,
            if dsn.starts_with('2') { "250" } else if dsn.starts_with('4') { "451" } else { "550" },
        );
        let r = parse_line(line.as_bytes(), now()).unwrap();
        prop_assert_eq!(&r.qid, &qid);
        match r.kind {
            PfKind::Delivery { to: t, status: s, dsn: d, delay_ms: dm, loopback, .. } => {
                prop_assert_eq!(t, to);
                prop_assert_eq!(s, status);
                prop_assert_eq!(d, dsn);
                prop_assert_eq!(dm, Some(delay_ms));
                prop_assert!(!loopback);
            }
            k => prop_assert!(false, "{k:?}"),
        }
    }

    /// Any text typed as a query: a query or a message, never a panic.
    #[test]
    fn prop_query_language_never_panics(input in "\\PC{0,80}") {
        match parse_query_line(&input, now(), Zone::UTC) {
            Ok(q) => { let _ = describe(&q); }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    /// A query written back by `describe` parses to the same query.
    #[test]
    fn prop_query_language_round_trip(
        sender in proptest::option::of("[a-z0-9.]{1,10}@[a-z]{1,8}\\.com"),
        recipient in proptest::option::of("@?[a-z]{1,8}\\.(com|org)"),
        subject in proptest::option::of("[a-z]{1,8}( [a-z]{1,8}){0,3}"),
        status in proptest::option::of(prop::sample::select(TraceStatus::ALL.to_vec())),
        since in proptest::option::of(1i64..100_000),
        span in 0i64..100_000,
    ) {
        // The empty query is described as `(everything)`, which is for reading, not parsing.
        prop_assume!(sender.is_some() || recipient.is_some() || subject.is_some() || status.is_some() || since.is_some());
        let since = since.map(|s| now() - Duration::seconds(s));
        let q = TraceQuery {
            sender,
            recipient,
            message_id: None,
            subject_contains: subject,
            status,
            since,
            until: since.map(|s| s + Duration::seconds(span)),
        };
        let back = parse_query_line(&describe(&q), now(), Zone::UTC).unwrap();
        prop_assert_eq!(back, q);
    }

    /// Reason keys of any reply: never a panic, and numbers never split a group.
    #[test]
    fn prop_reason_keys_fold_numbers(words in "[A-Za-z ]{1,40}", a in 0u32..1_000_000, b in 0u32..1_000_000) {
        let one = reason_key(&format!("451 4.7.500 {words} [{a}] (AS{a})"), "");
        let two = reason_key(&format!("451 4.7.500 {words} [{b}] (AS{b})"), "");
        prop_assert!(one.starts_with("4.7.500"), "{}", one);
        prop_assert_eq!(one, two);
    }
}

proptest! {
    #![proptest_config(heavy_config())]

    /// Long lines made of the parsers' own separators: each parser returns (linear work).
    #[test]
    fn prop_parsers_on_long_hostile_lines(line in long_line()) {
        let map = FieldMap::from_fields(FIELDS_2019).unwrap();
        let _ = split_csv(&line);
        let _ = parse_record(&map, &line);
        let _ = parse_line(&line, now());
        let text = String::from_utf8_lossy(&line);
        let _ = reason_key(&text, "");
        let _ = parse_query_line(&text, now(), Zone::UTC);
        let mut postfix = b"Mar  3 10:02:12 mx1 postfix/smtp[3222]: 3449C23E79: to=<a@b>, status=sent (".to_vec();
        postfix.extend_from_slice(&line);
        let _ = parse_line(&postfix, now());
        let mut amavis = b"Mar  3 10:02:12 mx1 amavis[1]: (1-1) Passed CLEAN {x}, <a@b> -> ".to_vec();
        amavis.extend_from_slice(&line);
        let _ = parse_line(&amavis, now());
    }

    /// Whole files of noise and near-log lines, NUL runs included: a result, never a panic.
    #[test]
    fn prop_scan_of_any_file(lines in prop::collection::vec(hostile_line(), 0..40), exchange in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let mut data = Vec::new();
        if exchange {
            data.extend_from_slice(format!("#Software: Microsoft Exchange Server\r\n#Fields: {FIELDS_2019}\r\n").as_bytes());
        }
        for l in lines {
            data.extend_from_slice(&l);
            data.push(b'\n');
        }
        let (name, src) = if exchange {
            ("MSGTRK2026030310-1.LOG", ScanSource::exchange_logs("ex", dir.path()))
        } else {
            ("mail.log", ScanSource::postfix("mx", dir.path().join("mail.log")))
        };
        std::fs::write(dir.path().join(name), &data).unwrap();
        let q = TraceQuery { sender: Some("a@b".into()), ..Default::default() };
        for q in [TraceQuery::default(), q] {
            let (rows, summary, _) = collect_query(std::slice::from_ref(&src), &q, &AtomicBool::new(false)).unwrap();
            prop_assert_eq!(summary.rows, rows.len());
        }
    }
}
