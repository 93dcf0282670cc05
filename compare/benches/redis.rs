//! The Redis tier against `cached`'s `redis_store`, one run, one server on
//! a unix socket, client and server pinned to one CPU so that round trips
//! are stable:
//!
//! ```text
//! taskset -c 0 cargo bench --manifest-path compare/Cargo.toml --bench redis
//! ```
//!
//! - a hit from Redis (memory emptied before each call, not timed) against
//!   a raw `GET` through the same client: memokit's (`memokit::redis`'s I/O
//!   thread) and the `redis` crate's, which `cached` uses;
//! - a miss plus its store, a new key each call;
//! - a memory hit of the same function, for scale.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cached::{ConcurrentCached, RedisCache};
use criterion::{criterion_group, criterion_main, Criterion};
use memokit::cached;
use memokit_compare::redis_server::{self, Server};

#[cached(redis)]
fn shared(k: u64) -> String {
    format!("value-{k}")
}

fn clear_memory() {
    for cache in memokit::runtime::caches() {
        if cache.path().ends_with("shared") {
            cache.clear_memory();
        }
    }
}

fn redis(c: &mut Criterion) {
    let server = redis_server::start(&["pinned"]).expect("redis-server is installed");
    let url = server.url();
    memokit::redis::connect(&url).unwrap();
    let mut group = c.benchmark_group("redis (unix socket, CPU 0; 2-core AMD EPYC)");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));

    // The key a tier hit reads, as memokit stores it.
    assert_eq!(shared(1), "value-1");
    std::thread::sleep(Duration::from_millis(50)); // the fill lands
    let key = {
        let name = redis_cmd(&server, &["KEYS", "memokit:v:*"]);
        name.into_iter().next().expect("stored")
    };

    group.bench_function("memokit: memory hit", |b| b.iter(|| shared(black_box(1))));
    // Keys stored in Redis and not in memory, each read once: a Redis hit
    // per call, with nothing done between calls.
    const STORED: u64 = 400_000;
    for k in 0..STORED {
        shared_memokit().insert(k + 10_000_000, format!("value-{k}"));
    }
    clear_memory();
    let next = AtomicU64::new(10_000_000);
    group.bench_function("memokit: Redis hit", |b| {
        b.iter_custom(|iters| {
            let first = next.fetch_add(iters, Ordering::Relaxed);
            assert!(
                first + iters <= 10_000_000 + STORED,
                "more iterations than stored keys"
            );
            let started = std::time::Instant::now();
            for k in first..first + iters {
                black_box(shared(black_box(k)));
            }
            started.elapsed()
        })
    });
    group.bench_function("memokit client: raw GET", |b| {
        b.iter(|| memokit::redis::raw_get(black_box(&key)).unwrap())
    });
    let next = AtomicU64::new(1_000_000);
    group.bench_function("memokit: miss + store", |b| {
        b.iter(|| shared(next.fetch_add(1, Ordering::Relaxed)))
    });

    let incumbent: RedisCache<u64, String> = RedisCache::builder("bench")
        .connection_string(&format!("redis+{}", server.url()))
        .build()
        .unwrap();
    incumbent.cache_set(1, "value-1".to_owned()).unwrap();
    group.bench_function("cached redis_store: hit (cache_get)", |b| {
        b.iter(|| incumbent.cache_get(black_box(&1)).unwrap())
    });
    let next = AtomicU64::new(1_000_000);
    group.bench_function("cached redis_store: miss + set", |b| {
        b.iter(|| {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if incumbent.cache_get(&k).unwrap().is_none() {
                incumbent.cache_set(k, format!("value-{k}")).unwrap();
            }
        })
    });
    let client = redis::Client::open(format!("redis+{}", server.url())).unwrap();
    let mut conn = client.get_connection().unwrap();
    group.bench_function("redis crate client: raw GET", |b| {
        b.iter(|| {
            let v: Option<Vec<u8>> = redis::cmd("GET")
                .arg(black_box(&key))
                .query(&mut conn)
                .unwrap();
            v
        })
    });
    group.finish();
}

/// The keys a `KEYS` answers, through the `redis` crate.
fn redis_cmd(server: &Server, args: &[&str]) -> Vec<Vec<u8>> {
    let client = redis::Client::open(format!("redis+{}", server.url())).unwrap();
    let mut conn = client.get_connection().unwrap();
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(&mut conn).unwrap()
}

criterion_group!(benches, redis);
criterion_main!(benches);
