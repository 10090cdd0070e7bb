//! Reading a `postqueue -j` listing as large as a queue source accepts (16 MiB, the default
//! `max_output`: about 40,000 deferred messages) into its summary: the work each poll of a
//! relay with a large backlog does. Target: well under a second, so a 60 s interval leaves the
//! poller idle.

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::domain::queue::{QueueTally, QueueThresholds, postfix};

const NOW: i64 = 1_772_460_000;

fn listing(max_bytes: usize) -> (String, u64) {
    let mut out = String::with_capacity(max_bytes);
    let mut n = 0u64;
    loop {
        let line = format!(
            "{{\"queue_name\":\"{q}\",\"queue_id\":\"4Q{n:010X}\",\"arrival_time\":{t},\"message_size\":{size},\"forced_expire\":false,\"sender\":\"sender{s}@fabrikam.com\",\"recipients\":[{{\"address\":\"user{n}@{d}\",\"delay_reason\":\"host {d}.mail.protection.outlook.com[52.101.{a}.{b}] said: 451 4.7.500 Server busy. Please try again later from [198.51.100.{b}]. (AS761) (in reply to RCPT TO command)\"}}]}}\n",
            q = if n.is_multiple_of(20) {
                "active"
            } else {
                "deferred"
            },
            t = NOW - (n as i64 % 86_400),
            size = 1_000 + n % 90_000,
            s = n % 97,
            d = ["contoso.com", "litwareinc.com", "adventure-works.com"][(n % 3) as usize],
            a = n % 250,
            b = n % 199,
        );
        if out.len() + line.len() > max_bytes {
            break;
        }
        out.push_str(&line);
        n += 1;
    }
    (out, n)
}

fn bench(c: &mut Criterion) {
    let (text, n) = listing(16 * 1024 * 1024);
    let mut group = c.benchmark_group("queue_listing");
    group.sample_size(10);
    group.bench_function(
        format!("postqueue -j, {} bytes, {n} messages", text.len()),
        |b| {
            b.iter(|| {
                let mut tally = QueueTally::default();
                postfix::read_listing(&text, NOW, &mut tally).unwrap();
                let (_, s) = tally.finish(&QueueThresholds::default());
                assert_eq!(s.total, n);
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
