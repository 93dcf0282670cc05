//! Runtime of [memokit](https://docs.rs/memokit): storage, single-flight,
//! clock, eviction and statistics behind the `#[cached]` attribute.
//!
//! Use it through the `memokit` crate; generated code reaches it through
//! `memokit::__private`.

#![warn(missing_docs)]

mod cache;
mod clock;
mod config;
mod control;
mod eviction;
mod flight;
mod ghost;
mod key;
mod registry;
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
