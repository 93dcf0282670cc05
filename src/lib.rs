//! memokit: one attribute, `#[cached]`.
#![doc = include_str!("../README.md")]

pub use memokit_core::{report, HitCostSource, Mode, Report, Row, Verdict};
pub use memokit_core::{CacheInfo, CacheRef, Clock, Lookup, ManualClock, Stats};

/// Statistics of every cache: the switch that turns them off.
pub mod stats {
    pub use memokit_core::stats::{is_enabled, set_enabled};
}
pub use memokit_macros::cached;

/// The runtime types behind a cached function.
pub mod runtime {
    pub use memokit_core::{caches, Cache, Config, PRECISE_WINDOW};
}

/// What generated code uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use memokit_core::{
        key, Cache, CacheKey, CacheRef, Config, Instance, KeyFn, KeyRef, Kind, Lookup, PlainKind,
        ResultKind, Site,
    };
}
