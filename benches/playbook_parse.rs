//! Parsing a 5 MB playbook (18,000 steps): the time `warroom playbook list` spends on it, and
//! `log`/`timeline`/`list` on an incident it is attached to. Target: under 0.5 s.

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::domain::playbook::{generated_playbook, parse_playbook};

fn bench(c: &mut Criterion) {
    let text = generated_playbook(18_000);
    assert!(text.len() >= 5_000_000, "{} bytes", text.len());
    let mut group = c.benchmark_group("playbook_parse");
    group.sample_size(10);
    group.bench_function(format!("{} bytes, 18000 steps", text.len()), |b| {
        b.iter(|| {
            let pb = parse_playbook("big", "big.toml", &text).unwrap();
            assert_eq!(pb.step_count(), 18_000);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
