//! Property tests of the queue listing parsers (`postqueue -j` lines and the command-queue JSON
//! array): they never panic on damaged or hostile input, their counts always add up, what they
//! keep is clean, and a well-formed listing is counted exactly. See tests/common/prop.rs for
//! `PROPTEST_CASES`.

use crate::common;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

use common::prop::cases;
use warroom::domain::queue::{QueueSummary, QueueTally, QueueThresholds, TOP_N, command, postfix};

const NOW: i64 = 1_772_460_000;

/// Pieces of both listing formats, and hostile bits.
const PIECES: &[&str] = &[
    "{\"queue_name\":\"deferred\",\"queue_id\":\"4Q1\",\"arrival_time\":1772450000,\"recipients\":[{\"address\":\"a@contoso.com\",\"delay_reason\":\"connect to mx.contoso.com[192.0.2.1]:25: Connection timed out\"}]}",
    "{\"queue_name\":\"active\",\"arrival_time\":1772459999,\"recipients\":[]}",
    "{\"queue_name\":\"hold\",\"arrival_time\":1,\"recipients\":[{\"address\":\"x\"}]}",
    "{\"queue\":\"deferred\",\"count\":12,\"oldest_seconds\":600,\"reason\":\"451 4.7.500 busy\"}",
    "{\"queue\":\"Retry\",\"count\":18446744073709551615}",
    "\"queue_name\":",
    "\"recipients\":[",
    "\"delay_reason\":\"\\u001b[2J\\u009b31m host said: 421\"",
    "\"arrival_time\":-99999999999999",
    "\"arrival_time\":1e308",
    "\"oldest_seconds\":-5",
    "\"oldest_seconds\":1e400",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "null",
    "true",
    "\"\"",
    "\u{1b}]0;x\u{7}",
    "\u{feff}",
    "\0",
    "\r\n",
    "\u{85}",
    "Mail queue is empty",
];

fn pieces() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(PIECES).prop_map(str::to_string),
            1 => any::<String>(),
            2 => Just("\n".to_string()),
        ],
        0..60,
    )
    .prop_map(|p| p.concat())
}

fn clean(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || ('\u{80}'..='\u{9f}').contains(&c))
}

fn check(s: &QueueSummary) -> Result<(), TestCaseError> {
    let sum: u64 = s.by_queue.values().fold(0u64, |a, n| a.saturating_add(*n));
    prop_assert_eq!(s.total, sum);
    prop_assert!(s.waiting <= s.total);
    for list in [&s.top_reasons, &s.top_domains] {
        prop_assert!(list.len() <= TOP_N);
        prop_assert!(list.windows(2).all(|w| w[0].count >= w[1].count));
        prop_assert!(list.iter().all(|c| clean(&c.key) && c.count > 0));
    }
    prop_assert!(s.by_queue.keys().all(|k| clean(k)));
    prop_assert!(clean(&s.headline()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn prop_postqueue_listing_never_panics_and_adds_up(text in pieces()) {
        let mut tally = QueueTally::default();
        match postfix::read_listing(&text, NOW, &mut tally) {
            Ok(()) => {
                let (_, s) = tally.finish(&QueueThresholds::default());
                check(&s)?;
                let lines = text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
                prop_assert_eq!(s.total + s.skipped, lines);
            }
            Err(e) => prop_assert!(clean(&e.to_string())),
        }
    }

    #[test]
    fn prop_command_listing_never_panics_and_adds_up(text in pieces()) {
        let mut tally = QueueTally::default();
        match command::read_listing(&text, &mut tally) {
            Ok(()) => check(&tally.finish(&QueueThresholds::default()).1)?,
            Err(e) => prop_assert!(clean(&e.to_string())),
        }
    }

    #[test]
    fn prop_a_wellformed_listing_is_counted_exactly(
        msgs in prop::collection::vec(
            (prop::sample::select(&["active", "deferred", "hold", "incoming", "maildrop"][..]),
             0i64..1_000_000,
             0usize..4),
            0..200,
        )
    ) {
        let text: String = msgs
            .iter()
            .enumerate()
            .map(|(i, (q, age, rcpts))| {
                let r: Vec<String> = (0..*rcpts)
                    .map(|k| format!("{{\"address\":\"u{k}@d{}.test\",\"delay_reason\":\"host mx{i}.d.test[192.0.2.{}] said: 451 4.3.0 try later\"}}", i % 7, i % 250))
                    .collect();
                format!(
                    "{{\"queue_name\":\"{q}\",\"queue_id\":\"4Q{i}\",\"arrival_time\":{},\"message_size\":10,\"forced_expire\":false,\"sender\":\"\",\"recipients\":[{}]}}\n",
                    NOW - age,
                    r.join(",")
                )
            })
            .collect();
        let mut tally = QueueTally::default();
        postfix::read_listing(&text, NOW, &mut tally).unwrap();
        let (_, s) = tally.finish(&QueueThresholds::default());
        check(&s)?;
        prop_assert_eq!(s.total, msgs.len() as u64);
        prop_assert_eq!(s.skipped, 0);
        for q in ["active", "deferred", "hold", "incoming", "maildrop"] {
            let n = msgs.iter().filter(|m| m.0 == q).count() as u64;
            prop_assert_eq!(s.by_queue.get(q).copied().unwrap_or(0), n);
        }
        let oldest = msgs.iter().filter(|m| m.0 != "hold").map(|m| m.1 as u64).max();
        prop_assert_eq!(s.oldest_seconds, oldest);
        // Every reason differs only in numbers: one group.
        let rcpts: u64 = msgs.iter().map(|m| m.2 as u64).sum();
        if rcpts > 0 {
            prop_assert_eq!(s.top_reasons.len(), 1);
            prop_assert_eq!(s.top_reasons[0].count, rcpts);
        }
    }
}
