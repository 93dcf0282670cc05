//! What a row says: the function's mode, where its hit cost came from, and
//! whether its cache pays off.

use std::fmt;
use std::time::Duration;

use crate::cache::config::Config;
use crate::stats::Stats;

use super::table::{human, percent};

/// A cached function's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No options: an entry per distinct argument set, kept forever.
    Permanent,
    /// `ttl = "..."`: entries expire.
    Ttl(Duration),
    /// `capacity = N`: at most N entries.
    Capacity(usize),
    /// Both `capacity` and `ttl`.
    CapacityTtl(usize, Duration),
}

impl Mode {
    pub(super) fn of(config: &Config) -> Mode {
        match (config.capacity, config.ttl) {
            (None, None) => Mode::Permanent,
            (None, Some(ttl)) => Mode::Ttl(ttl),
            (Some(cap), None) => Mode::Capacity(cap),
            (Some(cap), Some(ttl)) => Mode::CapacityTtl(cap, ttl),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Permanent => f.write_str("permanent"),
            Mode::Ttl(ttl) => write!(f, "ttl {ttl:?}"),
            Mode::Capacity(cap) => write!(f, "capacity {cap}"),
            Mode::CapacityTtl(cap, ttl) => write!(f, "capacity {cap}, ttl {ttl:?}"),
        }
    }
}

/// Where a row's hit cost comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitCostSource {
    /// Timed on the cache's own lock and index, on a shard holding one of
    /// its entries, without running the key's `Hash` or `Eq` or the value's
    /// `Clone`.
    OwnEntry,
    /// The cache was empty: timed on a reference cache of `u64` keys and
    /// values, a lower bound for larger keys and values.
    Reference,
}

/// Whether a cache pays off, judged in this order (the first that applies).
///
/// 1. [`NotWorthIt`](Verdict::NotWorthIt): the median computation takes
///    less than [`MIN_SPEEDUP`](Verdict::MIN_SPEEDUP) times a hit.
/// 2. [`UnboundedGrowth`](Verdict::UnboundedGrowth): a permanent cache with
///    at least [`GROWTH_MIN_ENTRIES`](Verdict::GROWTH_MIN_ENTRIES) entries
///    and a hit rate below [`GROWTH_HIT_RATE`](Verdict::GROWTH_HIT_RATE).
///    Every miss of a permanent cache adds an entry for good, so with that
///    hit rate its size rises with the number of calls.
/// 3. [`Cold`](Verdict::Cold): after at least [`MIN_CALLS`](Verdict::MIN_CALLS)
///    calls, a hit rate below [`COLD_HIT_RATE`](Verdict::COLD_HIT_RATE).
/// 4. [`TooFewCalls`](Verdict::TooFewCalls): no hit yet, or nothing
///    computed in this process yet (every hit read from a second tier) and
///    fewer than `MIN_CALLS` calls: what a hit saves is not known.
/// 5. [`WorthIt`](Verdict::WorthIt) otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Hits are much cheaper than the computation and frequent enough.
    WorthIt,
    /// The function is about as fast as a cache hit, or faster: remove the
    /// cache.
    NotWorthIt {
        /// Median computation time, without the timer's overhead.
        compute: Duration,
        /// Estimated cost of one hit.
        hit: Duration,
    },
    /// The inputs rarely repeat: the cache stores values nobody asks for
    /// again. Remove it, or choose a `key` that repeats.
    Cold {
        /// The hit rate.
        hit_rate: f64,
        /// The calls it was measured over.
        calls: u64,
    },
    /// A permanent cache that keeps growing: add `capacity` or `ttl`.
    UnboundedGrowth {
        /// Live entries now.
        entries: usize,
        /// The hit rate.
        hit_rate: f64,
    },
    /// Not enough calls to judge.
    TooFewCalls {
        /// Calls so far.
        calls: u64,
    },
}

impl Verdict {
    /// A hit must be at least this many times faster than the computation
    /// it replaces: a cache also costs a slower first call, memory, and a
    /// value that may go stale.
    pub const MIN_SPEEDUP: f64 = 2.0;
    /// Calls needed before a cache can be called cold.
    pub const MIN_CALLS: u64 = 100;
    /// Below this hit rate (after `MIN_CALLS` calls) a cache is cold.
    pub const COLD_HIT_RATE: f64 = 0.1;
    /// A permanent cache this large, with a hit rate below
    /// `GROWTH_HIT_RATE`, is growing without bound.
    pub const GROWTH_MIN_ENTRIES: usize = 1_000;
    /// See `GROWTH_MIN_ENTRIES`.
    pub const GROWTH_HIT_RATE: f64 = 0.5;

    pub(super) fn judge(
        mode: &Mode,
        entries: usize,
        stats: &Stats,
        median_compute: Duration,
        hit_cost: Duration,
    ) -> Verdict {
        let (calls, hit_rate) = (stats.calls(), stats.hit_rate());
        let compute = median_compute.as_secs_f64();
        if stats.misses > 0 && compute < Self::MIN_SPEEDUP * hit_cost.as_secs_f64() {
            Verdict::NotWorthIt {
                compute: median_compute,
                hit: hit_cost,
            }
        } else if *mode == Mode::Permanent
            && entries >= Self::GROWTH_MIN_ENTRIES
            && hit_rate < Self::GROWTH_HIT_RATE
        {
            Verdict::UnboundedGrowth { entries, hit_rate }
        } else if calls >= Self::MIN_CALLS && hit_rate < Self::COLD_HIT_RATE {
            Verdict::Cold { hit_rate, calls }
        } else if stats.hits == 0 || (stats.misses == 0 && calls < Self::MIN_CALLS) {
            Verdict::TooFewCalls { calls }
        } else {
            Verdict::WorthIt
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Verdict::WorthIt => f.write_str("worth it"),
            Verdict::NotWorthIt { compute, hit } => write!(
                f,
                "not worth it: computes in {} and a hit costs {}",
                human(compute.as_nanos() as i128),
                human(hit.as_nanos() as i128)
            ),
            Verdict::Cold { hit_rate, calls } => write!(
                f,
                "cold: {} hits after {calls} calls; remove the cache or pick a `key` that repeats",
                percent(hit_rate)
            ),
            Verdict::UnboundedGrowth { entries, hit_rate } => write!(
                f,
                "unbounded growth: {entries} entries, {} hits; add `capacity` or `ttl`",
                percent(hit_rate)
            ),
            Verdict::TooFewCalls { calls } => write!(f, "too few calls ({calls}) to judge"),
        }
    }
}
