//! memokit: one attribute, `#[cached]`.
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

pub use memokit_core::{report, HitCostSource, Mode, Report, Row, Verdict};
pub use memokit_core::{CacheInfo, CacheRef, Clock, Lookup, ManualClock, Stats};

/// Statistics of every cache: the switch that turns them off, and how
/// compute time is sampled.
pub mod stats {
    pub use memokit_core::stats::{is_enabled, set_enabled, ALWAYS_TIMED, TIMED_ONE_IN};
}
pub use memokit_macros::cached;

/// The disk tier of `#[cached(disk)]` (feature `disk`): where its file is,
/// and waiting for its writes. See the README's "Beyond one process".
#[cfg(feature = "disk")]
pub mod disk {
    pub use memokit_core::disk::{flush, open, path, DiskError, ENV};
}

/// The runtime types behind a cached function, and what `#[cached]`
/// requires of argument, key and return types (the traits its compile
/// errors name).
pub mod runtime {
    pub use memokit_core::{caches, Cache, Config, PRECISE_WINDOW};
    pub use memokit_core::{Cacheable, CacheableError, KeyArg, KeyBorrow, KeyExpr};
    pub use memokit_core::{CapacityValue, RefreshValue, TtlValue};
    #[cfg(any(feature = "disk", feature = "redis"))]
    pub use memokit_core::{TierKey, TierValue};
}

/// What generated code uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "disk")]
    pub use memokit_core::disk::store as disk_store;
    #[cfg(feature = "redis")]
    pub use memokit_core::redis::store as redis_store;
    pub use memokit_core::{
        capacity_value, refresh_value, ttl_value, BorrowedKey, Cache, CacheRef, Cacheable,
        CacheableError, Config, Instance, KeyArg, KeyBorrow, KeyExpr, KeyFn, KeyProbe, Kind,
        Lookup, OwnedKey, PlainKind, ResultKind, Site,
    };
    pub use memokit_core::{starve_clock, StarvedClock};
    #[cfg(any(feature = "disk", feature = "redis"))]
    pub use memokit_core::{tier_codec, TierKey, TierSpec, TierValue};
}

/// The Redis tier, `#[cached(redis)]` (feature `redis`): one cache for
/// every process that uses the same server, behind each process's memory.
/// Where the server is, and what the connection has done; see the README's
/// "Beyond one process".
///
/// ```no_run
/// use memokit::cached;
///
/// #[cached(ttl = "10m", redis)]
/// fn exchange_rate(currency: &str) -> Result<f64, String> {
///     Ok(if currency == "EUR" { 1.08 } else { 1.0 }) // a slow API call
/// }
///
/// // Or set MEMOKIT_REDIS_URL; with neither, memory only (said once in the log).
/// memokit::redis::connect("redis://127.0.0.1:6379/").unwrap();
/// assert_eq!(exchange_rate("EUR"), Ok(1.08)); // computed, or read from Redis
/// let stats = exchange_rate_memokit().stats();
/// println!(
///     "memory hits {}, Redis hits {}, misses {}, Redis errors {}, Redis time {:?}",
///     stats.hits - stats.tier_hits, stats.tier_hits, stats.misses,
///     stats.tier_errors, stats.mean_tier_read(),
/// );
/// ```
#[cfg(feature = "redis")]
pub mod redis {
    pub use memokit_core::redis::{
        connect, connect_with, raw_get, stats, ConnectError, Options, RedisStats,
    };
}
