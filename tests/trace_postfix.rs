//! Postfix maillog: message assembly by queue id, statuses, rotation, gzip, bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, TimeZone, Utc};
use warroom::domain::trace::{TraceQuery, TraceRow, TraceStatus};
use warroom::trace::{ScanSource, ScanWarning, chain, collect_query};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/trace/postfix")
        .join(name)
}

fn reference() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap()
}

fn source(path: impl AsRef<Path>) -> ScanSource {
    let mut s = ScanSource::postfix("mx1", path.as_ref());
    s.year_reference = Some(reference());
    s
}

fn query(path: impl AsRef<Path>, q: &TraceQuery) -> (Vec<TraceRow>, Vec<ScanWarning>) {
    let (rows, _, w) = collect_query(&[source(path)], q, &AtomicBool::new(false)).unwrap();
    (rows, w)
}

fn by_key<'a>(rows: &'a [TraceRow], key: &str) -> &'a TraceRow {
    rows.iter()
        .find(|r| r.key == key)
        .unwrap_or_else(|| panic!("no row {key} in {rows:#?}"))
}

#[test]
fn deferred_451_then_sent_is_delivered_with_both_attempts_in_chain() {
    let q = TraceQuery {
        recipient: Some("ops@contoso.com".into()),
        ..Default::default()
    };
    let (rows, warnings) = query(fixture("maillog-outage.log"), &q);
    assert!(warnings.is_empty(), "{warnings:?}");
    let r = by_key(&rows, "mx1/3449C23E79");
    assert_eq!(r.status, TraceStatus::Delivered);
    assert_eq!(r.sender, "alerts@fabrikam.com");
    assert_eq!(r.message_id, "<CAF3x9Qm1=Zk@mail.fabrikam.com>");
    assert!(
        r.reply
            .starts_with("250 2.6.0 <CAF3x9Qm1=Zk@mail.fabrikam.com>"),
        "{}",
        r.reply
    );
    assert_eq!(
        r.received,
        Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 1).unwrap()
    );
    assert_eq!(
        r.deferrals,
        [
            Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 31).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 2, 13, 10, 2).unwrap()
        ]
    );
    // The pre-queue reject to the same recipient is a row of its own (EXO's "None").
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let nq = rows.iter().find(|r| r.key.starts_with("NOQUEUE")).unwrap();
    assert_eq!(nq.status, TraceStatus::Unknown);
    assert_eq!(nq.sender, "x@spam.example");
    assert!(nq.reply.starts_with("450 4.7.25 Client host rejected"));

    let c = chain(
        &[source(fixture("maillog-outage.log"))],
        &r.key,
        &AtomicBool::new(false),
    )
    .unwrap();
    let programs: Vec<&str> = c.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        programs,
        ["smtpd", "cleanup", "qmgr", "smtp", "smtp", "smtp", "qmgr"]
    );
    let smtp: Vec<&str> = c
        .events
        .iter()
        .filter(|e| e.event == "smtp")
        .map(|e| e.detail.as_str())
        .collect();
    assert!(smtp[0].contains("status=deferred") && smtp[0].contains("Connection timed out"));
    assert!(smtp[1].contains("status=deferred") && smtp[1].contains("451 4.7.500 Server busy"));
    assert!(smtp[2].contains("status=sent"));
    assert_eq!(c.events[0].line, 2);
    assert_eq!(c.events[0].server, "mx1");
    // By message id too.
    let by_mid = chain(
        &[source(fixture("maillog-outage.log"))],
        "<CAF3x9Qm1=Zk@mail.fabrikam.com>",
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(by_mid.events, c.events);
}

#[test]
fn bounced_is_failed_and_expired_is_failed_with_reason() {
    let (rows, _) = query(fixture("maillog-outage.log"), &TraceQuery::default());
    let b = by_key(&rows, "mx1/7F1A2B3C4D");
    assert_eq!(b.recipient, "nobody@tailspintoys.com");
    assert_eq!(b.status, TraceStatus::Failed);
    assert_eq!(
        b.reply,
        "550 5.1.1 <nobody@tailspintoys.com>: Recipient address rejected: User unknown in virtual mailbox table"
    );
    let e = by_key(&rows, "mx1/5D6E7F8091");
    assert_eq!(e.recipient, "user@aol.example");
    assert_eq!(e.sender, "newsletter@contoso.com");
    assert_eq!(e.status, TraceStatus::Failed);
    assert!(
        e.reply.starts_with("message expired, returned to sender"),
        "{}",
        e.reply
    );
    assert!(e.reply.contains("delivery temporarily suspended: connect to mx.aol.example[192.0.2.200]:25: Connection timed out"), "{}", e.reply);
    let q = TraceQuery {
        status: Some(TraceStatus::Failed),
        ..Default::default()
    };
    let (failed, _) = query(fixture("maillog-outage.log"), &q);
    let mut keys: Vec<&str> = failed.iter().map(|r| r.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["mx1/5D6E7F8091", "mx1/7F1A2B3C4D"]);
}

#[test]
fn rfc3339_prefix_and_long_queue_ids() {
    let (rows, w) = query(fixture("maillog-rfc3339.log"), &TraceQuery::default());
    assert!(w.is_empty(), "{w:?}");
    let long = by_key(&rows, "mx1/4Wq2Xz1TzZz9sWH");
    assert_eq!(long.status, TraceStatus::Delivered);
    assert_eq!(long.recipient, "ops@contoso.com");
    assert_eq!(
        long.received,
        Utc.with_ymd_and_hms(2026, 3, 2, 13, 41, 7).unwrap() + chrono::Duration::microseconds(4417)
    );
    let short = by_key(&rows, "mx1/3449C23E79");
    assert_eq!(short.status, TraceStatus::Pending);
    assert_eq!(
        short.reply,
        "connect to contoso-com.mail.protection.outlook.com[192.0.2.55]:25: Connection timed out"
    );
}

/// Splits the outage log in two rotated files, the older one gzipped: the sender (qmgr line)
/// is only in the old file, the deliveries only in the new one.
fn rotated(dir: &Path) {
    let text = std::fs::read_to_string(fixture("maillog-outage.log")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let old = lines[..6].join("\n") + "\n";
    let new = lines[6..].join("\n") + "\n";
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join("mail.log.1.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(old.as_bytes()).unwrap();
    gz.finish().unwrap();
    std::fs::write(dir.join("mail.log"), new).unwrap();
    std::fs::write(dir.join("other.log"), "not matched by the glob\n").unwrap();
}

#[test]
fn rotated_and_gzipped_files_are_correlated_by_queue_id() {
    let dir = tempfile::tempdir().unwrap();
    rotated(dir.path());
    let q = TraceQuery {
        sender: Some("alerts@fabrikam.com".into()),
        ..Default::default()
    };
    let (rows, w) = query(dir.path().join("mail.log*"), &q);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].status, TraceStatus::Delivered);
    assert_eq!(rows[0].deferrals.len(), 2);
    assert_eq!(
        rows[0].received,
        Utc.with_ymd_and_hms(2026, 3, 2, 13, 5, 1).unwrap()
    );
    // Status filter needs both halves as well.
    let q = TraceQuery {
        sender: Some("@fabrikam.com".into()),
        status: Some(TraceStatus::Pending),
        ..Default::default()
    };
    assert!(query(dir.path().join("mail.log*"), &q).0.is_empty());
    let c = chain(
        &[source(dir.path().join("mail.log*"))],
        "3449C23E79",
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(c.events.len(), 7);
    assert!(c.events[0].file.ends_with("mail.log.1.gz"));
    assert!(c.events[6].file.ends_with("mail.log"));
}

#[test]
fn prefilter_drops_complete_messages_that_do_not_match() {
    let dir = tempfile::tempdir().unwrap();
    rotated(dir.path());
    let q = TraceQuery {
        sender: Some("nobody-sent-this@example.org".into()),
        ..Default::default()
    };
    let (rows, _) = query(dir.path().join("mail.log*"), &q);
    assert!(rows.is_empty(), "{rows:#?}");
    let q = TraceQuery {
        message_id: Some("CAF3x9Qm1=Zk@mail.fabrikam.com".into()),
        ..Default::default()
    };
    let (rows, _) = query(dir.path().join("mail.log*"), &q);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "ops@contoso.com");
}

#[test]
fn truncated_last_line_and_binary_garbage_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("maillog-outage.log")).unwrap();
    let cut = text.trim_end().len() - 30;
    std::fs::write(dir.path().join("mail.log"), &text[..cut]).unwrap();
    let mut garbage = vec![0u8, 0xff, 0xfe];
    garbage.extend((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    std::fs::write(dir.path().join("mail.log.2"), garbage).unwrap();
    let (rows, w) = query(dir.path().join("mail.log*"), &TraceQuery::default());
    assert_eq!(w.len(), 2, "{w:#?}");
    let trunc = w
        .iter()
        .find(|w| w.file.as_ref().unwrap().ends_with("mail.log"))
        .unwrap();
    assert_eq!(trunc.line, Some(16));
    assert!(trunc.message.contains("incomplete last line"));
    let bin = w
        .iter()
        .find(|w| w.file.as_ref().unwrap().ends_with("mail.log.2"))
        .unwrap();
    assert!(bin.message.contains("binary"), "{bin}");
    // The expiry line was cut off: that message stays pending; the others are intact.
    assert_eq!(by_key(&rows, "mx1/5D6E7F8091").status, TraceStatus::Pending);
    assert_eq!(
        by_key(&rows, "mx1/3449C23E79").status,
        TraceStatus::Delivered
    );
    assert_eq!(by_key(&rows, "mx1/7F1A2B3C4D").status, TraceStatus::Failed);
}

#[test]
fn text_that_is_not_postfix_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mail.log"), "just\nsome\ntext\n").unwrap();
    let (rows, w) = query(dir.path().join("mail.log"), &TraceQuery::default());
    assert!(rows.is_empty());
    assert_eq!(w.len(), 1);
    assert!(w[0].message.contains("no Postfix lines"));
}
