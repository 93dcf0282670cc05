//! What finding the cache of one instantiation of a generic function costs,
//! for the first instantiation a site saw and for later ones, next to a
//! `OnceLock::get` and to a full cached call.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use memokit::__private::{Cache, Config, Kind, PlainKind, Site};

static CONFIG: Config = Config {
    id: "benches/instantiations.rs::parse (benches/instantiations.rs:1:1) #0",
    name: "parse",
    ttl: None,
    capacity: None,
    refresh: None,
};
static SITE: Site = Site::new(&CONFIG);

/// The cache of instantiation `G`, as generated code resolves it.
#[inline(always)]
fn cache_of<G: 'static>() -> &'static Cache<u32, u64> {
    SITE.cache::<G, u32, u64, _>(
        "instantiations::parse",
        (&Kind::<u64>::new()).memokit_values(),
    )
}

fn resolve_all() {
    // Resolved in this order: `u8` is the first instantiation of the site.
    cache_of::<fn() -> (u8,)>();
    cache_of::<fn() -> (u16,)>();
    cache_of::<fn() -> (u32,)>();
    cache_of::<fn() -> (u64,)>();
}

/// `iters` lookups split over `threads` threads; the slowest thread's time.
fn on_threads(threads: u64, iters: u64, f: fn()) -> Duration {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let start = Instant::now();
                    for _ in 0..iters / threads {
                        f();
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    })
}

fn site(c: &mut Criterion) {
    resolve_all();
    let once: OnceLock<u64> = OnceLock::new();
    once.set(1).unwrap();
    let mut g = c.benchmark_group("site resolution");
    g.bench_function("OnceLock::get", |b| {
        b.iter(|| black_box(&once).get().copied())
    });
    g.bench_function("1st instantiation", |b| {
        b.iter(|| black_box(cache_of::<fn() -> (u8,)>()))
    });
    g.bench_function("2nd instantiation", |b| {
        b.iter(|| black_box(cache_of::<fn() -> (u16,)>()))
    });
    g.bench_function("4th instantiation", |b| {
        b.iter(|| black_box(cache_of::<fn() -> (u64,)>()))
    });
    g.bench_function("2nd instantiation, 2 threads", |b| {
        b.iter_custom(|iters| {
            on_threads(2, iters, || {
                black_box(cache_of::<fn() -> (u16,)>());
            })
        })
    });
    g.finish();
}

criterion_group!(benches, site);
criterion_main!(benches);
