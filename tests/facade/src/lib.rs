//! Re-exports memokit, for crates that depend on this one alone.
pub use memokit;
pub use memokit::cached;
