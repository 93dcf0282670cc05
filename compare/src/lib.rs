//! Shared helpers for the comparison benchmarks and reports: the real cache
//! traces, a synthetic workload, and reference LRU and ARC simulations.

pub mod contestants;
#[cfg(feature = "tiers")]
pub mod redis_server;
pub mod reference;
pub mod trace;
pub mod workload;
