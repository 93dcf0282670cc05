//! What statistics cost on the hit path: the same hits with statistics on
//! and off (`memokit::stats::set_enabled`), side by side in one run.
//!
//! ```text
//! cargo bench --bench stats
//! ```

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use memokit::cached;

#[cached]
fn constant() -> u64 {
    42
}

#[cached]
fn keyed(x: u64) -> u64 {
    x.wrapping_mul(31)
}

#[cached]
fn by_name(name: &str) -> usize {
    name.len()
}

fn label(on: bool) -> &'static str {
    if on {
        "stats on"
    } else {
        "stats off"
    }
}

/// One thread: the cost of one hit.
fn one_thread(c: &mut Criterion) {
    constant();
    keyed(7);
    by_name("memokit");
    let mut group = c.benchmark_group("stats_overhead");
    for on in [true, false] {
        memokit::stats::set_enabled(on);
        group.bench_function(BenchmarkId::new("no-arg hit", label(on)), |b| {
            b.iter(constant)
        });
        group.bench_function(BenchmarkId::new("u64 hit", label(on)), |b| {
            b.iter(|| keyed(black_box(7)))
        });
        group.bench_function(BenchmarkId::new("&str hit", label(on)), |b| {
            b.iter(|| by_name(black_box("memokit")))
        });
    }
    memokit::stats::set_enabled(true);
    group.finish();
}

/// Every core hitting the same entry at once: the time for one round of
/// `threads` simultaneous hits (flat as threads are added if nothing is
/// shared between them).
fn all_threads(c: &mut Criterion) {
    let threads = thread::available_parallelism().map_or(2, |n| n.get());
    keyed(7);
    let mut group = c.benchmark_group("stats_overhead_threads");
    for on in [true, false] {
        memokit::stats::set_enabled(on);
        group.bench_function(
            BenchmarkId::new(format!("u64 hit x{threads} threads"), label(on)),
            |b| b.iter_custom(|iters| parallel_hits(threads, iters)),
        );
    }
    memokit::stats::set_enabled(true);
    group.finish();
}

fn parallel_hits(threads: usize, iters: u64) -> Duration {
    let start = Barrier::new(threads + 1);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for _ in 0..iters {
                    keyed(black_box(7));
                }
            });
        }
        start.wait();
        let t = Instant::now();
        // The scope joins every thread before returning its value.
        t
    })
    .elapsed()
}

criterion_group!(benches, one_thread, all_threads);
criterion_main!(benches);
