//! Removing expired entries, with every trigger in one place:
//!
//! - before a store, a shard sweeps when its last sweep is older than an
//!   eighth of the TTL ([`sweeps_before_store`]), so a cache with churning
//!   keys holds only live entries;
//! - in the background, the clock thread sweeps every TTL cache once a
//!   second ([`start`]), so idle caches give their memory back;
//! - [`Cache::len`](super::Cache::len) sweeps before it counts.
//!
//! A full bounded shard also removes expired entries before it evicts a
//! live one; that is the eviction policy's, in `shard`.

use std::time::Duration;

use crate::cache::registry;
use crate::time::clock;

/// How often the clock thread sweeps every TTL cache.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Starts the background sweep (and the clock thread it runs on); called
/// when a TTL cache is created, so programs without one start nothing.
pub(crate) fn start() {
    clock::run_every(SWEEP_EVERY, sweep_all);
    clock::start_ticking();
}

fn sweep_all() {
    for cache in registry::caches() {
        cache.sweep_expired();
    }
}

/// Whether a shard last swept at `last_sweep` sweeps before a store at
/// `now`, in a cache whose entries live `ttl` nanoseconds.
pub(crate) fn sweeps_before_store(now: u64, last_sweep: u64, ttl: u64) -> bool {
    now.saturating_sub(last_sweep) >= ttl / 8
}
