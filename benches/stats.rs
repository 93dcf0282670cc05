//! What statistics cost on the hit path: the same hits with statistics on
//! and off (`memokit::stats::set_enabled`), side by side in one run.
//!
//! ```text
//! cargo bench --bench stats
//! ```
//!
//! After the criterion groups it prints the same hits measured in
//! interleaved rounds, which a busy machine disturbs less.

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, BenchmarkGroup, BenchmarkId, Criterion};
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
    on_and_off(&mut group, "no-arg hit", constant);
    on_and_off(&mut group, "u64 hit", || keyed(black_box(7)));
    on_and_off(&mut group, "&str hit", || by_name(black_box("memokit")));
    group.finish();
}

/// Benchmarks `hit` with statistics on, then off: side by side, so that
/// drift between the two is small.
fn on_and_off<R>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, mut hit: impl FnMut() -> R) {
    for on in [true, false] {
        memokit::stats::set_enabled(on);
        group.bench_function(BenchmarkId::new(name, label(on)), |b| b.iter(&mut hit));
    }
    memokit::stats::set_enabled(true);
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

/// Rounds of 2 M hits, statistics on and off alternating, min and median
/// per configuration: on a busy machine, interleaving cancels the drift
/// that separate criterion runs suffer. Runs under `cargo bench` only.
fn interleaved() {
    const CALLS: u32 = 2_000_000;
    const ROUNDS: usize = 40;
    type Hit = (&'static str, fn());
    let hits: [Hit; 3] = [
        ("no-arg hit", || {
            black_box(constant());
        }),
        ("u64 hit", || {
            black_box(keyed(black_box(7)));
        }),
        ("&str hit", || {
            black_box(by_name(black_box("memokit")));
        }),
    ];
    let mut times = vec![[Vec::new(), Vec::new()]; hits.len()];
    for _ in 0..ROUNDS {
        for (on, slot) in [(true, 0), (false, 1)] {
            memokit::stats::set_enabled(on);
            for ((_, hit), t) in hits.iter().zip(&mut times) {
                let start = Instant::now();
                (0..CALLS).for_each(|_| hit());
                t[slot].push(start.elapsed().as_secs_f64() * 1e9 / f64::from(CALLS));
            }
        }
    }
    memokit::stats::set_enabled(true);
    println!("stats_overhead interleaved, {ROUNDS} rounds of {CALLS} hits (min / median ns):");
    for ((name, _), t) in hits.iter().zip(&mut times) {
        let [on, off] = t.each_mut().map(|v| {
            v.sort_by(f64::total_cmp);
            (v[0], v[v.len() / 2])
        });
        println!(
            "  {name:<10}  on {:6.2} / {:6.2}   off {:6.2} / {:6.2}",
            on.0, on.1, off.0, off.1
        );
    }
}

criterion_group!(benches, one_thread, all_threads);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--bench") {
        interleaved();
    }
}
