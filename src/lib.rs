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

/// The runtime types behind a cached function, and what `#[cached]`
/// requires of argument, key and return types (the traits its compile
/// errors name).
pub mod runtime {
    pub use memokit_core::{caches, Cache, Config, PRECISE_WINDOW};
    pub use memokit_core::{Cacheable, CacheableError, KeyArg, KeyBorrow, KeyExpr};
    pub use memokit_core::{CapacityValue, TtlValue};
}

/// What generated code uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "redis")]
    pub use memokit_core::redis::store as redis_store;
    pub use memokit_core::{
        capacity_value, ttl_value, BorrowedKey, Cache, CacheRef, Cacheable, CacheableError, Config,
        Instance, KeyArg, KeyBorrow, KeyExpr, KeyFn, KeyProbe, Kind, Lookup, OwnedKey, PlainKind,
        ResultKind, Site,
    };
    pub use memokit_core::{starve_clock, StarvedClock};
    #[cfg(any(feature = "disk", feature = "redis"))]
    pub use memokit_core::{tier_codec, TierKey, TierSpec, TierValue};
}

/// The Redis tier, `#[cached(redis)]`: where the server is, and what the
/// connection has done. See the README's "Beyond one process".
#[cfg(feature = "redis")]
pub mod redis {
    pub use memokit_core::redis::{
        connect, connect_with, raw_get, stats, ConnectError, Options, RedisStats,
    };
}
