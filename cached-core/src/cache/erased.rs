//! A cache whatever its key and value types: what the registry, the report
//! and a companion's key-free methods use.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::config::Config;
use crate::cache::Cache;
use crate::stats::Stats;
use crate::time::clock::Clock;
use crate::time::stopwatch;

/// A cache's operations that need neither its key nor its value type.
pub trait CacheInfo: Send + Sync {
    /// The function's options.
    fn config(&self) -> &'static Config;
    /// The path of the function's instance: `app::Store<u8>::get`.
    fn path(&self) -> &str;
    /// A snapshot of its counters.
    fn stats(&self) -> Stats;
    /// Its number of live entries.
    fn len(&self) -> usize;
    /// Whether it holds no live entry.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes its expired entries.
    fn sweep_expired(&self);
    /// The time of the structural part of one hit, timed on the shard of
    /// one of its entries without counting it and without running any of
    /// the user's code: the lock, the index probe and the liveness check,
    /// not the key's `Hash` and `Eq` nor the value's `Clone`. `None` when
    /// it holds no entry. Used by [`report`](crate::report()).
    fn hit_cost(&self) -> Option<Duration>;
    /// Removes every entry, in memory and in the tier.
    fn clear(&self);
    /// Removes every entry in memory, keeping the tier's: what a restart
    /// does, and what another process's `invalidate` asks of this one.
    fn clear_memory(&self);
    /// Sets every counter back to zero.
    fn reset_stats(&self);
    /// Replaces the clock (see [`Cache::set_clock`]).
    fn set_clock(&self, clock: Arc<dyn Clock>);
    /// The name of its second tier (`disk`, `redis`) and its namespace
    /// there; `None` for a function without one.
    #[cfg(feature = "tier")]
    #[doc(hidden)]
    fn tier_namespace(&self) -> Option<(&'static str, &str)>;
}

impl<K, V> CacheInfo for Cache<K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    fn config(&self) -> &'static Config {
        Cache::config(self)
    }
    fn path(&self) -> &str {
        Cache::path(self)
    }
    fn stats(&self) -> Stats {
        Cache::stats(self)
    }
    fn len(&self) -> usize {
        Cache::len(self)
    }
    fn sweep_expired(&self) {
        Cache::sweep_expired(self)
    }
    fn hit_cost(&self) -> Option<Duration> {
        let shard = self.occupied_shard()?;
        // Striding over the entries visits several groups of the index,
        // as lookups of different keys do.
        let mut n = 0usize;
        Some(stopwatch::time_per_call(|| {
            n = n.wrapping_add(7919);
            black_box(self.probe(shard, black_box(n)));
        }))
    }
    fn clear(&self) {
        Cache::clear(self)
    }
    fn clear_memory(&self) {
        Cache::clear_memory(self)
    }
    fn reset_stats(&self) {
        Cache::reset_stats(self)
    }
    fn set_clock(&self, clock: Arc<dyn Clock>) {
        Cache::set_clock(self, clock)
    }
    #[cfg(feature = "tier")]
    fn tier_namespace(&self) -> Option<(&'static str, &str)> {
        Cache::tier_namespace(self)
    }
}
