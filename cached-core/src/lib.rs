//! Runtime of [memokit](https://docs.rs/memokit): storage, single-flight,
//! clock, eviction and statistics behind the `#[cached]` attribute.
//!
//! Use it through the `memokit` crate; generated code reaches it through
//! `memokit::__private`.

#![warn(missing_docs)]

mod barrier;
mod biased;
mod cache;
mod clock;
mod config;
mod control;
mod eviction;
mod flight;
mod flight_async;
mod ghost;
mod held;
mod key;
#[cfg(all(test, loom))]
mod loom_tests;
mod published;
mod readers;
mod registry;
mod report;
mod shard_lock;
mod site;
pub mod stats;
mod stopwatch;
mod storage;
mod sync;
mod values;

pub use cache::{Cache, Miss};
pub use clock::{starve_clock, Clock, ManualClock, StarvedClock, PRECISE_WINDOW};
pub use config::{capacity_value, ttl_value, CapacityValue, Config, TtlValue};
pub use control::{CacheRef, KeyFn};
pub use key::{BorrowedKey, KeyArg, KeyBorrow, KeyExpr, KeyProbe, Lookup, OwnedKey};
pub use registry::{caches, CacheInfo};
pub use report::{report, HitCostSource, Mode, Report, Row, Verdict};
pub use site::{Instance, Site};
pub use stats::Stats;
pub use values::{
    AllValues, Cacheable, CacheableError, Kind, OkValues, PlainKind, ResultKind, ValuePolicy,
};
