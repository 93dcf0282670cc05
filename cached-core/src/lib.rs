//! Runtime of [memokit](https://docs.rs/memokit): storage, single-flight,
//! clock, eviction and statistics behind the `#[cached]` attribute.
//!
//! Use it through the `memokit` crate; generated code reaches it through
//! `memokit::__private`.

#![warn(missing_docs)]

// Layers, lowest first: `sync`, `time`, `stats`, `flight`, `shard`, `tier`,
// `cache`, `report`; then the tier backends `disk` and `redis`. Each uses
// the layers before it, and the modules of `cache/` that describe a
// function (`bounds`, `config`, `key`, `values`), which use none of them.
mod cache;
#[cfg(feature = "disk")]
pub mod disk;
mod flight;
#[cfg(feature = "redis")]
pub mod redis;
mod report;
mod shard;
pub mod stats;
mod sync;
#[cfg(feature = "tier")]
mod tier;
mod time;

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
