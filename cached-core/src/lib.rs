//! Runtime of [memokit](https://docs.rs/memokit): storage, single-flight,
//! clock, eviction and statistics behind the `#[cached]` attribute.
//!
//! Use it through the `memokit` crate; generated code reaches it through
//! `memokit::__private`.

#![warn(missing_docs)]
#![cfg_attr(loom, allow(dead_code))]

// The lock-free read protocol. A `--cfg loom` build is only this, with
// loom's atomics in place of std's, for the model checks in `loom_tests`.
mod barrier;
mod biased;
mod published;
mod readers;
mod sync;

#[cfg(all(test, loom))]
mod loom_tests;

/// Marks every item as absent from `--cfg loom` builds.
macro_rules! not_under_loom {
    ($($item:item)*) => { $(#[cfg(not(loom))] $item)* };
}

not_under_loom! {
    mod cache;
    mod clock;
    mod config;
    mod control;
    mod eviction;
    mod flight;
    mod key;
    mod registry;
    mod shard_lock;
    mod site;
    mod stats;
    mod storage;
    mod values;

    pub use cache::{Cache, Miss};
    pub use clock::{Clock, ManualClock, PRECISE_WINDOW};
    pub use config::Config;
    pub use control::{CacheRef, Control};
    pub use key::{key, CacheKey, KeyRef, Lookup};
    pub use registry::{caches, CacheInfo};
    pub use site::{Instance, Site};
    pub use stats::Stats;
    pub use values::{AllValues, Kind, OkValues, PlainKind, ResultKind, ValuePolicy};
}
