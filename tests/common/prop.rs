//! Shared by the property tests (`prop_*`): how many cases to run, and the linear-time check.
//!
//! CI runs a few cases of each (the whole project's properties take seconds); a long local
//! session sets `PROPTEST_CASES`, e.g. `PROPTEST_CASES=100000 cargo test --release prop_`.

use std::time::{Duration, Instant};

/// The number of cases: `PROPTEST_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Cases for a property that times its input (each case parses a large input several times):
/// a sixteenth of `PROPTEST_CASES`, at least 2; `default` when it is not set.
pub fn timed_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map(|n| (n / 16).max(2))
        .unwrap_or(default)
}

/// The quickest of three runs of `f` (the least disturbed by other work on the machine).
fn quickest(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Parsing an input ten times larger must take about ten times as long, not a hundred: the
/// large one may take at most 30 times the small one plus 150 ms (room for a loaded machine; a
/// quadratic parser overshoots by far). `make(n)` builds an input of `n` units.
#[track_caller]
pub fn assert_linear(what: &str, n: usize, make: impl Fn(usize) -> String, parse: impl Fn(&str)) {
    let small = make(n);
    let large = make(n * 10);
    // Warm up (allocator, page faults) before timing.
    parse(&small);
    let t_small = quickest(|| parse(&small));
    let t_large = quickest(|| parse(&large));
    let bound = t_small * 30 + Duration::from_millis(150);
    assert!(
        t_large <= bound,
        "{what}: {} bytes took {t_small:?}, {} bytes took {t_large:?} (more than {bound:?}): not linear",
        small.len(),
        large.len()
    );
}
