//! The cost of a hit on a bounded cache, side by side in one run: memokit's
//! `#[cached(capacity = N)]`, `cached` 4.1's `#[cached(max_size = N)]` (an
//! LRU behind a mutex), and a `get` on `quick_cache` and `moka`.
//!
//! ```text
//! cargo bench --manifest-path compare/Cargo.toml --bench bounded
//! ```
//!
//! Every variant holds the same 1,000 keys in a cache of capacity 10,000 and
//! is asked for them in turn, so every request is a hit.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

const HOT: u64 = 1000;

#[memokit::cached(capacity = 10000)]
fn memokit_bounded(k: u64) -> u64 {
    k.wrapping_mul(3)
}

#[memokit::cached]
fn memokit_unbounded(k: u64) -> u64 {
    k.wrapping_mul(3)
}

#[cached::proc_macro::cached(max_size = 10000)]
fn cached_bounded(k: u64) -> u64 {
    k.wrapping_mul(3)
}

/// Benchmarks `hit` over the hot keys in turn, after `fill` stored them.
fn bench_hits(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    mut hit: impl FnMut(u64) -> u64,
) {
    for k in 0..HOT {
        hit(k);
    }
    let mut k = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            k = if k + 1 == HOT { 0 } else { k + 1 };
            black_box(hit(black_box(k)))
        })
    });
}

fn bounded_hit(c: &mut Criterion) {
    let mut group = c.benchmark_group("bounded hit");
    bench_hits(&mut group, "memokit #[cached(capacity)]", memokit_bounded);
    bench_hits(
        &mut group,
        "memokit #[cached] (unbounded)",
        memokit_unbounded,
    );
    bench_hits(&mut group, "cached #[cached(max_size)]", cached_bounded);
    let quick = quick_cache::sync::Cache::<u64, u64>::new(10_000);
    bench_hits(&mut group, "quick_cache get", |k| {
        quick.get(&k).unwrap_or_else(|| {
            quick.insert(k, k.wrapping_mul(3));
            k.wrapping_mul(3)
        })
    });
    let moka = moka::sync::Cache::<u64, u64>::new(10_000);
    bench_hits(&mut group, "moka get", |k| {
        moka.get(&k).unwrap_or_else(|| {
            moka.insert(k, k.wrapping_mul(3));
            k.wrapping_mul(3)
        })
    });
    group.finish();
}

criterion_group!(benches, bounded_hit);
criterion_main!(benches);
