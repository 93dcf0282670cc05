//! Shared helpers for the comparison benchmarks and reports: the real cache
//! traces, a synthetic workload, and reference LRU and ARC simulations.

pub mod contestants;
/// The `redis-server` the Redis tier's tests start, for the benchmarks.
#[cfg(feature = "tiers")]
#[path = "../../tests/redis_server/mod.rs"]
pub mod redis_server;
pub mod reference;
pub mod trace;
pub mod workload;
