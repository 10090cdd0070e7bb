use std::time::Duration;

use super::*;

const NOW: i64 = 1_772_460_000;

fn listing(lines: &[&str]) -> String {
    lines.join("\n")
}

#[test]
fn postqueue_lines_are_counted_per_queue_with_reasons_and_domains() {
    let text = listing(&[
        r#"{"queue_name":"deferred","queue_id":"4Fz1","arrival_time":1772452800,"message_size":2841,"forced_expire":false,"sender":"a@example.com","recipients":[{"address":"ops@Example.NET","delay_reason":"connect to mx.example.net[192.0.2.10]:25: Connection timed out"}]}"#,
        r#"{"queue_name":"deferred","queue_id":"4Fz2","arrival_time":1772459000,"message_size":100,"sender":"b@example.com","recipients":[{"address":"x@example.net","delay_reason":"connect to mx.example.net[192.0.2.11]:25: Connection timed out"},{"address":"y@contoso.com","delay_reason":"host contoso-com.mail.protection.outlook.com[52.101.0.1] said: 451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761) (in reply to RCPT TO command)"}]}"#,
        r#"{"queue_name":"active","queue_id":"4Fz3","arrival_time":1772459990,"message_size":100,"sender":"","recipients":[{"address":"z@contoso.com"}]}"#,
        r#"{"queue_name":"hold","queue_id":"4Fz4","arrival_time":1700000000,"message_size":100,"sender":"s@spam.test","recipients":[{"address":"q@held.test"}]}"#,
    ]);
    let mut tally = QueueTally::default();
    postfix::read_listing(&text, NOW, &mut tally).unwrap();
    let (level, s) = tally.finish(&QueueThresholds::default());
    assert_eq!(s.total, 4);
    assert_eq!(s.waiting, 3);
    assert_eq!(s.by_queue.get("deferred"), Some(&2));
    assert_eq!(s.by_queue.get("hold"), Some(&1));
    // The held message is years old but does not count: 7200 s is the oldest waiting one.
    assert_eq!(s.oldest_seconds, Some(7200));
    assert_eq!(level, Level::Degraded, "{:?}", s.crossed);
    assert_eq!(s.crossed.as_deref(), Some("oldest 2h00m ≥ warn_age 1h00m"));
    // Two timeouts from two addresses are one reason.
    assert_eq!(s.top_reasons[0].count, 2);
    assert_eq!(
        s.top_reasons[0].key,
        "connect to mx.example.net[#]:#: Connection timed out"
    );
    assert!(
        s.top_reasons[1].key.starts_with("4.7.500 "),
        "{:?}",
        s.top_reasons
    );
    assert_eq!(
        s.top_domains[0],
        Counted {
            key: "contoso.com".into(),
            count: 2
        }
    );
    assert_eq!(
        s.top_domains[1],
        Counted {
            key: "example.net".into(),
            count: 2
        }
    );
    assert!(!s.top_domains.iter().any(|d| d.key == "held.test"));
    assert_eq!(s.skipped, 0);
    assert_eq!(
        s.headline(),
        "4 queued (deferred 2, active 1, hold 1) · oldest 2h00m"
    );
}

#[test]
fn damaged_lines_are_skipped_and_counted_an_empty_listing_is_an_empty_queue() {
    let text = listing(&[
        r#"{"queue_name":"deferred","arrival_time":1772459000,"recipients":[]}"#,
        r#"{"queue_name":"deferred","arrival_ti"#,
        "\u{1b}[2J garbage",
        r#"{"queue_name":"active","arrival_time":1772459999,"recipients":[{"address":"a@b.c"}]}"#,
    ]);
    let mut tally = QueueTally::default();
    postfix::read_listing(&text, NOW, &mut tally).unwrap();
    let (_, s) = tally.finish(&QueueThresholds::default());
    assert_eq!((s.total, s.skipped), (2, 2));

    let mut tally = QueueTally::default();
    postfix::read_listing("\n\n", NOW, &mut tally).unwrap();
    let (level, s) = tally.finish(&QueueThresholds::default());
    assert_eq!(
        (level, s.total, s.oldest_seconds),
        (Level::Operational, 0, None)
    );
    assert_eq!(s.headline(), "0 queued");
}

#[test]
fn a_listing_with_no_readable_line_is_refused_and_cleaned() {
    let mut tally = QueueTally::default();
    let err = postfix::read_listing(
        "Mail queue is empty\u{1b}]0;pwned\u{7}\nmore",
        NOW,
        &mut tally,
    )
    .unwrap_err();
    assert_eq!(err.lines, 2);
    let text = err.to_string();
    assert!(text.contains("Mail queue is empty"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains("pwned"),
        "{text}"
    );
}

#[test]
fn command_listing_reads_arrays_single_objects_and_skips_bad_entries() {
    let text = r#"[{"queue":"Deferred","count":412,"oldest_seconds":5400.5,"reason":"451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761)","domain":"contoso.com"},
                   {"queue":"active","count":3,"oldest_seconds":null,"reason":null},
                   {"queue":"hold","count":9,"oldest_seconds":999999},
                   {"count":"many"}, 7]"#;
    let mut tally = QueueTally::default();
    command::read_listing(text, &mut tally).unwrap();
    let (level, s) = tally.finish(&QueueThresholds::default());
    assert_eq!((s.total, s.waiting, s.skipped), (424, 415, 2));
    assert_eq!(s.by_queue.get("deferred"), Some(&412));
    assert_eq!(s.oldest_seconds, Some(5400));
    assert_eq!(level, Level::Degraded);
    assert_eq!(s.crossed.as_deref(), Some("415 waiting ≥ warn_count 200"));
    assert_eq!(s.top_reasons[0].count, 412);
    assert_eq!(
        s.top_domains,
        vec![Counted {
            key: "contoso.com".into(),
            count: 412
        }]
    );

    let mut tally = QueueTally::default();
    command::read_listing("\u{feff}{\"queue\":\"Submission\",\"count\":2}", &mut tally).unwrap();
    assert_eq!(tally.finish(&QueueThresholds::default()).1.total, 2);

    let mut tally = QueueTally::default();
    command::read_listing("", &mut tally).unwrap();
    assert_eq!(tally.finish(&QueueThresholds::default()).1.total, 0);

    for bad in [
        "<html>",
        "42",
        "[{\"queue\":1}]",
        "Get-Queue : not recognized",
    ] {
        let mut tally = QueueTally::default();
        let err = command::read_listing(bad, &mut tally).unwrap_err();
        assert!(err.to_string().contains("JSON array of queues"), "{err}");
    }
}

#[test]
fn thresholds_pick_the_worst_and_name_it() {
    let t = QueueThresholds {
        warn_count: 10,
        alert_count: 100,
        warn_age: Duration::from_secs(600),
        alert_age: Duration::from_secs(3600),
    };
    assert_eq!(t.judge(0, None), (Level::Operational, None));
    assert_eq!(t.judge(9, Some(599)).0, Level::Operational);
    assert_eq!(t.judge(10, Some(0)).0, Level::Degraded);
    assert_eq!(t.judge(1, Some(600)).0, Level::Degraded);
    assert_eq!(t.judge(100, Some(0)).0, Level::PartialOutage);
    assert_eq!(
        t.judge(50, Some(3600)),
        (
            Level::PartialOutage,
            Some("oldest 1h00m ≥ alert_age 1h00m".into())
        )
    );
    assert!(t.check().is_ok());
    let bad = QueueThresholds {
        warn_count: 500,
        alert_count: 100,
        ..t
    };
    assert!(
        bad.check()
            .unwrap_err()
            .contains("`warn_count` (500) is above")
    );
    let bad = QueueThresholds {
        warn_age: Duration::from_secs(7200),
        ..t
    };
    assert!(bad.check().unwrap_err().contains("`warn_age` (2h00m)"));
    assert!(QueueThresholds { warn_count: 0, ..t }.check().is_err());
}

#[test]
fn history_covers_the_session_in_bounded_memory() {
    let mut h = DepthHistory::default();
    h.push(Some(3));
    h.push(None);
    h.push(Some(5));
    assert_eq!(h.shape(10), vec![Some(3), None, Some(5)]);
    // Squeezed into two points: the deepest of each half, a gap only where all are gaps.
    assert_eq!(h.shape(2), vec![Some(3), Some(5)]);
    let mut h = DepthHistory::default();
    let polls = HISTORY_CAP as u64 * 5;
    for n in 0..polls {
        h.push(Some(n));
    }
    assert!(h.len() <= HISTORY_CAP, "{}", h.len());
    let shape = h.shape(8);
    assert_eq!(shape.len(), 8);
    // Still the whole session: from the start to the newest poll, rising.
    assert!(shape[0].unwrap() < polls / 8, "{shape:?}");
    assert_eq!(shape[7], Some(polls - 1));
    assert!(shape.windows(2).all(|w| w[0] < w[1]), "{shape:?}");
    assert!(h.shape(0).is_empty());
}

#[test]
fn distinct_names_are_capped() {
    let mut tally = QueueTally::default();
    for n in 0..(DISTINCT_CAP + 50) {
        tally.add_domain(&format!("a@d{n}.test"), 1);
    }
    let (_, s) = tally.finish(&QueueThresholds::default());
    assert_eq!(
        s.top_domains[0],
        Counted {
            key: "(other)".into(),
            count: 50
        }
    );
}
