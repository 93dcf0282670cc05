//! What the report times itself: the clock's own cost, and the hit cost of
//! a reference cache for empty ones.

use std::hint::black_box;
use std::time::Duration;

use crate::cache::config::Config;
use crate::cache::values::AllValues;
use crate::cache::Cache;
use crate::time::stopwatch::{self, Stopwatch};

/// The median time measured around nothing, as a miss is measured.
pub(super) fn timer_overhead() -> Duration {
    let mut samples: Vec<u64> = (0..1001)
        .map(|_| black_box(Stopwatch::start()).ticks())
        .collect();
    samples.sort_unstable();
    Duration::from_nanos(stopwatch::to_nanos(samples[samples.len() / 2]))
}

/// The hit cost of a permanent cache of `u64` keys and values.
pub(super) fn reference_hit_cost() -> Duration {
    static REFERENCE: Config = Config {
        id: "memokit::report (reference cache)",
        name: "reference",
        ttl: None,
        capacity: None,
        refresh: None,
    };
    let cache: Cache<u64, u64> = Cache::new(&REFERENCE, String::new(), AllValues);
    cache.insert(1, 1);
    stopwatch::time_per_call(|| {
        black_box(cache.peek(black_box(&1u64)));
    })
}
