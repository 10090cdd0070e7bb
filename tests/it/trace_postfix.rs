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
    // The pre-queue reject to the same recipient is a row of its own: a 4xx reply is a
    // deferral at our edge (pending), counted in the deferral curve.
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let nq = rows
        .iter()
        .find(|r| r.key.starts_with("mx1/NOQUEUE-"))
        .unwrap();
    assert_eq!(nq.status, TraceStatus::Pending);
    assert_eq!(nq.deferrals.len(), 1);
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

/// Rows as `(recipient, status)`, sorted.
fn statuses(rows: &[TraceRow]) -> Vec<(String, TraceStatus)> {
    let mut v: Vec<(String, TraceStatus)> = rows
        .iter()
        .map(|r| (r.recipient.clone(), r.status))
        .collect();
    v.sort();
    v
}

fn count(rows: &[TraceRow], s: TraceStatus) -> usize {
    rows.iter().filter(|r| r.status == s).count()
}

/// A day of a Postfix server with amavisd-new as content filter (127.0.0.1:10024, re-injection
/// on :10025), postscreen, opendkim/opendmarc milters, rejects before and after the queue,
/// bounce notifications; the file starts in the middle of a message and ends with messages
/// still in the queue. The counts are the ones an administrator gives by hand: one message is
/// one row per recipient, whatever the number of queue ids it had.
#[test]
fn content_filter_hops_rejects_and_bounces_count_like_an_admin_would() {
    let (rows, w) = query(fixture("maillog-amavis.log"), &TraceQuery::default());
    assert!(w.is_empty(), "{w:#?}");
    assert_eq!(rows.len(), 19, "{:#?}", statuses(&rows));
    assert_eq!(count(&rows, TraceStatus::Delivered), 5);
    assert_eq!(count(&rows, TraceStatus::Failed), 6);
    assert_eq!(count(&rows, TraceStatus::Pending), 5);
    assert_eq!(count(&rows, TraceStatus::Quarantined), 2);
    assert_eq!(count(&rows, TraceStatus::FilteredAsSpam), 1);
    assert_eq!(count(&rows, TraceStatus::Unknown), 0);

    // Through amavis and delivered: one row per recipient, under the first queue id.
    for who in ["ops@contoso.com", "hr@contoso.com"] {
        let r = rows
            .iter()
            .find(|r| r.key == "mx1/3449C23E79" && r.recipient == who)
            .unwrap_or_else(|| panic!("{who}: {rows:#?}"));
        assert_eq!(r.status, TraceStatus::Delivered);
        assert!(r.reply.contains("Saved"), "{}", r.reply);
        assert_eq!(r.sender, "alerts@fabrikam.com");
        assert_eq!(
            r.delay_ms,
            Some(1_510),
            "1.4 s to the filter + 0.11 s after"
        );
    }
    assert!(!rows.iter().any(|r| r.key == "mx1/5B2D1E0A8F"));
    // The tail: no from= line in the file; sender and message id come from amavis.
    let tail = by_key(&rows, "mx1/1A2B3C4D5E");
    assert_eq!(tail.status, TraceStatus::Delivered);
    assert_eq!(tail.sender, "payroll@fabrikam.com");
    assert_eq!(tail.message_id, "<20260303095958.77AB@fabrikam.com>");
    // Through amavis, then bounced by the remote server: failed, not delivered + failed.
    let bounced = by_key(&rows, "mx1/7F1A2B3C4D");
    assert_eq!(bounced.recipient, "nobody@tailspintoys.com");
    assert_eq!(bounced.status, TraceStatus::Failed);
    assert_eq!(bounced.dsn, "5.1.1");
    assert!(
        bounced
            .reply
            .starts_with("550 5.1.1 <nobody@tailspintoys.com>")
    );
    // Its bounce notification: a message of its own, from the null sender.
    let ndr = by_key(&rows, "mx1/8A9B0C1D2E");
    assert_eq!(
        (ndr.sender.as_str(), ndr.recipient.as_str(), ndr.status),
        ("<>", "jordan@contoso.com", TraceStatus::Delivered)
    );
    // amavis verdicts.
    assert_eq!(
        by_key(&rows, "mx1/2C3D4E5F6A").status,
        TraceStatus::FilteredAsSpam
    );
    let virus = by_key(&rows, "mx1/4D5E6F7A8B");
    assert_eq!(virus.status, TraceStatus::Quarantined);
    assert!(virus.reply.contains("INFECTED"), "{}", virus.reply);
    // Rejects: 5xx failed, 4xx pending; a CONNECT reject names no recipient and is no row.
    let nq: Vec<(String, TraceStatus)> = statuses(
        &rows
            .iter()
            .filter(|r| r.key.starts_with("mx1/NOQUEUE-"))
            .cloned()
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        nq,
        [
            ("ghost@contoso.com".to_string(), TraceStatus::Failed),
            ("hr@contoso.com".to_string(), TraceStatus::Failed),
            ("ops@contoso.com".to_string(), TraceStatus::Pending),
            ("ops@contoso.com".to_string(), TraceStatus::Failed),
            ("sales@contoso.com".to_string(), TraceStatus::Pending),
        ]
    );
    let ps = rows
        .iter()
        .find(|r| r.reply.contains("zen.spamhaus.org"))
        .unwrap();
    assert_eq!(ps.sender, "bulk@spam.example");
    // cleanup: a milter's reject is failed, a header check's hold quarantined.
    let dmarc = by_key(&rows, "mx1/6A7B8C9D0E");
    assert_eq!(dmarc.status, TraceStatus::Failed);
    assert_eq!(dmarc.sender, "ceo@litwareinc.com");
    assert!(dmarc.reply.starts_with("5.7.1 Rejected by DMARC"));
    let hold = by_key(&rows, "mx1/0E1F2A3B4C");
    assert_eq!(hold.status, TraceStatus::Quarantined);
    assert_eq!(hold.reply, "Suspicious payment request");
    // Expired: failed; its notification delivered.
    assert_eq!(by_key(&rows, "mx1/5D6E7F8091").status, TraceStatus::Failed);
    assert_eq!(by_key(&rows, "mx1/1F2E3D4C5B").sender, "<>");
    // Still queued: deferred by the remote side, deferred by the filter, sitting after the
    // filter.
    assert_eq!(by_key(&rows, "mx1/3E4F5A6B7C").status, TraceStatus::Pending);
    let filter_down = by_key(&rows, "mx1/7B8C9D0E1F");
    assert_eq!(filter_down.status, TraceStatus::Pending);
    assert!(
        filter_down
            .reply
            .starts_with("451 4.5.0 Error in processing")
    );
    assert_eq!(by_key(&rows, "mx1/8C9D0E1F2A").status, TraceStatus::Pending);
}

#[test]
fn a_sender_query_follows_the_message_through_the_filter() {
    let q = TraceQuery {
        sender: Some("alerts@fabrikam.com".into()),
        ..Default::default()
    };
    let (rows, _) = query(fixture("maillog-amavis.log"), &q);
    let mut got: Vec<(String, String, TraceStatus)> = rows
        .iter()
        .map(|r| (r.key.clone(), r.recipient.clone(), r.status))
        .collect();
    got.sort();
    let ghost = rows
        .iter()
        .find(|r| r.recipient == "ghost@contoso.com")
        .unwrap()
        .key
        .clone();
    assert_eq!(
        got,
        [
            (
                "mx1/3449C23E79".to_string(),
                "hr@contoso.com".to_string(),
                TraceStatus::Delivered
            ),
            (
                "mx1/3449C23E79".to_string(),
                "ops@contoso.com".to_string(),
                TraceStatus::Delivered
            ),
            (
                "mx1/8C9D0E1F2A".to_string(),
                "ops@contoso.com".to_string(),
                TraceStatus::Pending
            ),
            (ghost, "ghost@contoso.com".to_string(), TraceStatus::Failed),
        ]
    );
    // A term found only after the filter (the final delivery's reply) still brings the
    // whole message.
    let q = TraceQuery {
        recipient: Some("sales@contoso.com".into()),
        ..Default::default()
    };
    let (rows, _) = query(fixture("maillog-amavis.log"), &q);
    let tail = by_key(&rows, "mx1/1A2B3C4D5E");
    assert_eq!(tail.status, TraceStatus::Delivered);
    // The chain shows both queue ids and the filter's verdict.
    let c = chain(
        &[source(fixture("maillog-amavis.log"))],
        "mx1/3449C23E79",
        &AtomicBool::new(false),
    )
    .unwrap();
    let programs: Vec<&str> = c.events.iter().map(|e| e.event.as_str()).collect();
    assert!(programs.contains(&"amavis"), "{programs:?}");
    assert_eq!(programs.iter().filter(|p| **p == "lmtp").count(), 2);
    assert!(c.events.iter().any(|e| e.detail.contains("5B2D1E0A8F")));
    // The bounce notification is in the chain of the message that bounced.
    let c = chain(
        &[source(fixture("maillog-amavis.log"))],
        "mx1/7F1A2B3C4D",
        &AtomicBool::new(false),
    )
    .unwrap();
    assert!(
        c.events
            .iter()
            .any(|e| e.detail.contains("to=<jordan@contoso.com>")),
        "{:#?}",
        c.events
    );
}

#[test]
fn nul_runs_after_a_crash_skip_only_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read(fixture("maillog-outage.log")).unwrap();
    // 300 NUL bytes before the second line, as syslog leaves them after a crash.
    let first_nl = text.iter().position(|b| *b == b'\n').unwrap() + 1;
    let mut damaged = text[..first_nl].to_vec();
    damaged.extend(std::iter::repeat_n(0u8, 300));
    damaged.extend_from_slice(&text[first_nl..]);
    // And a run in the middle of a line further down (a message's `removed`).
    let at = damaged
        .windows(19)
        .position(|w| w == b"7F1A2B3C4D: removed")
        .unwrap()
        + 5;
    damaged.splice(at..at, std::iter::repeat_n(0u8, 40));
    std::fs::write(dir.path().join("mail.log"), &damaged).unwrap();
    let (rows, w) = query(dir.path().join("mail.log"), &TraceQuery::default());
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(
        w[0].message.contains("2 lines holding NUL bytes skipped"),
        "{}",
        w[0]
    );
    assert_eq!(w[0].line, Some(2));
    // The line with the client= went, the message did not.
    assert_eq!(
        by_key(&rows, "mx1/3449C23E79").status,
        TraceStatus::Delivered
    );
    assert_eq!(rows.len(), 4, "{rows:#?}");
}

#[test]
fn a_fifo_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("mail.log");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let err = collect_query(
        &[source(&fifo)],
        &TraceQuery::default(),
        &AtomicBool::new(false),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("not a regular file (a FIFO)"), "{err}");
    assert!(!err.contains("no such file"), "{err}");
}
