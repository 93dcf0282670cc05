//! Hit cost of `#[cached]` functions next to a plain call and the caches
//! people write by hand, one criterion group per mode.
//!
//! `cargo bench --bench hit`. The comparison with the peer crates lives in
//! `compare/` (a separate workspace).

use criterion::{criterion_group, criterion_main, Criterion};
use memokit::cached;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

fn work(x: u64) -> u64 {
    // Small but not free: what a cache would be put in front of.
    (0..16).fold(x, |acc, i| {
        acc.wrapping_mul(6364136223846793005).wrapping_add(i)
    })
}

#[cached]
fn memo_no_arg() -> u64 {
    work(7)
}

fn once_no_arg() -> u64 {
    static CELL: OnceLock<u64> = OnceLock::new();
    *CELL.get_or_init(|| work(7))
}

fn no_argument(c: &mut Criterion) {
    let mut g = c.benchmark_group("no-argument hit");
    memo_no_arg();
    g.bench_function("plain call", |b| b.iter(|| work(black_box(7))));
    g.bench_function("OnceLock", |b| b.iter(|| black_box(once_no_arg())));
    g.bench_function("memokit #[cached]", |b| b.iter(|| black_box(memo_no_arg())));
    g.finish();
}

const HOT_KEYS: u64 = 1000;

#[cached]
fn memo_keyed(x: u64) -> u64 {
    work(x)
}

fn rwlock_keyed(x: u64) -> u64 {
    static MAP: OnceLock<RwLock<HashMap<u64, u64>>> = OnceLock::new();
    let map = MAP.get_or_init(Default::default);
    if let Some(v) = map.read().unwrap().get(&x) {
        return *v;
    }
    let v = work(x);
    map.write().unwrap().insert(x, v);
    v
}

#[cached(ttl = "1h")]
fn memo_ttl(x: u64) -> u64 {
    work(x)
}

/// `memo_ttl` with refresh-ahead: never due during the run, so this is
/// what a hit of a refresh cache costs next to a plain TTL hit.
#[cached(ttl = "1h", refresh = "50m")]
fn memo_refresh(x: u64) -> u64 {
    work(x)
}

fn rwlock_ttl(x: u64) -> u64 {
    static MAP: OnceLock<RwLock<HashMap<u64, (u64, Instant)>>> = OnceLock::new();
    let map = MAP.get_or_init(Default::default);
    if let Some((v, at)) = map.read().unwrap().get(&x) {
        if at.elapsed() < Duration::from_secs(3600) {
            return *v;
        }
    }
    let v = work(x);
    map.write().unwrap().insert(x, (v, Instant::now()));
    v
}

#[cached(capacity = 2000)]
fn memo_bounded(x: u64) -> u64 {
    work(x)
}

type Contestant = (&'static str, fn(u64) -> u64);

/// Cycles through the hot keys so every lookup is a hit after warm-up.
fn keyed_group(c: &mut Criterion, name: &str, contestants: &[Contestant]) {
    let mut g = c.benchmark_group(name);
    g.bench_function("plain call", |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % HOT_KEYS;
            work(black_box(k))
        })
    });
    for &(label, f) in contestants {
        (0..HOT_KEYS).for_each(|k| {
            f(k);
        });
        g.bench_function(label, |b| {
            let mut k = 0;
            b.iter(|| {
                k = (k + 1) % HOT_KEYS;
                f(black_box(k))
            })
        });
    }
    g.finish();
}

fn keyed(c: &mut Criterion) {
    keyed_group(
        c,
        "keyed hit (u64, 1000 keys)",
        &[
            ("RwLock<HashMap>", rwlock_keyed),
            ("memokit #[cached]", memo_keyed),
        ],
    );
    keyed_group(
        c,
        "ttl hit (u64, 1000 keys)",
        &[
            ("RwLock<HashMap> + Instant", rwlock_ttl),
            ("memokit ttl", memo_ttl),
            ("memokit ttl + refresh", memo_refresh),
        ],
    );
    keyed_group(
        c,
        "bounded hit (u64, 1000 keys)",
        &[
            ("RwLock<HashMap>", rwlock_keyed),
            ("memokit capacity", memo_bounded),
        ],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = no_argument, keyed
}
criterion_main!(benches);
