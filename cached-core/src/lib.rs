//! Runtime of [memokit](https://docs.rs/memokit): storage, single-flight,
//! clock, eviction and statistics behind the `#[cached]` attribute.
//!
//! Use it through the `memokit` crate; generated code reaches it through
//! `memokit::__private`.

#![warn(missing_docs)]

// Layers, lowest first; each uses only those above it in this list.
mod cache;
#[cfg(feature = "disk")]
pub mod disk;
mod flight;
mod report;
mod shard;
pub mod stats;
mod sync;
#[cfg(feature = "tier")]
mod tier;
mod time;
// The Redis backend of the tier layer; its module is public API
// (`memokit::redis`).
#[cfg(feature = "redis")]
pub mod redis;

pub use cache::bounds::{CacheKey, CacheValue};
pub use cache::config::{
    capacity_value, refresh_value, ttl_value, CapacityValue, Config, RefreshValue, TtlValue,
};
pub use cache::control::{CacheRef, KeyFn};
pub use cache::erased::CacheInfo;
pub use cache::key::{BorrowedKey, KeyArg, KeyBorrow, KeyExpr, KeyProbe, Lookup, OwnedKey};
pub use cache::registry::caches;
pub use cache::site::{Instance, Site};
pub use cache::values::{
    AllValues, Cacheable, CacheableError, Kind, OkValues, PlainKind, ResultKind, ValuePolicy,
};
pub use cache::{Cache, Miss};
pub use report::{report, HitCostSource, Mode, Report, Row, Verdict};
pub use stats::Stats;
#[cfg(feature = "tier")]
pub use tier::{
    checks::{TierKey, TierValue},
    codec::{codec as tier_codec, Codec, StoredPart},
    health::{COOL_DOWN, TRIP_AFTER},
    namespace::{Namespace, TierSpec},
    store::{Store, Stored, TierError, TierErrorKind, WallTime},
};
pub use time::clock::{starve_clock, Clock, ManualClock, StarvedClock, PRECISE_WINDOW};
