//! Shared helpers for the comparison benchmarks and reports.
