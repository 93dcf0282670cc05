//! memokit: one attribute, `#[cached]`.
#![doc = include_str!("../README.md")]

pub use memokit_core::{CacheInfo, CacheRef, Clock, Control, Lookup, ManualClock, Stats};
pub use memokit_macros::cached;

/// The runtime types behind a cached function.
pub mod runtime {
    pub use memokit_core::{caches, Cache, Config, PRECISE_WINDOW};
}

/// What generated code uses. Not public API: it changes without notice.
#[doc(hidden)]
pub mod __private {
    pub use memokit_core::{
        Cache, CacheRef, Cacheable, CacheableError, Config, Instance, KeyArg, KeyBorrow, KeyExpr,
        Kind, Lookup, PlainKind, ResultKind, Site, Unavailable,
    };
}
