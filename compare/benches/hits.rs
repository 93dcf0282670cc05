//! Hit cost, miss cost and multi-thread hit throughput of memokit against
//! plain calls, hand-written caches and the peers `cached` 4.1, `moka` 0.12
//! and `quick_cache` 0.7.
//!
//! One criterion group per mode, so every ratio in a table comes from one
//! run. Every cached function computes the same cheap value, so a figure is
//! the cost of the cache itself. Run with
//!
//! ```text
//! cargo bench --manifest-path compare/Cargo.toml --bench hits
//! ```
//!
//! and a single mode with a filter, e.g. `-- hit_keyed`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, LazyLock, OnceLock, RwLock};
use std::time::{Duration, Instant};

use cached::Cached;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};

/// Keys that are hit over and over.
const HOT: u64 = 1_000;
/// Entries allowed in the bounded caches: every hot key fits.
const BOUND: usize = 10_000;
/// Long enough that no entry expires during a run.
const TTL: Duration = Duration::from_secs(3_600);
/// Misses timed between two clears of the cache.
const MISS_CHUNK: u64 = 10_000;

/// Hot `&str` keys, about as long as a host name.
static STR_KEYS: LazyLock<Vec<String>> =
    LazyLock::new(|| (0..HOT).map(|i| format!("host-{i:05}.example")).collect());

use memokit_compare::contestants::{mk, peer, work, work_str};

// ---------------------------------------------- written by hand, moka, quick_cache

fn once_lock() -> u64 {
    static VALUE: OnceLock<u64> = OnceLock::new();
    *VALUE.get_or_init(|| work(42))
}

/// The clearable hand-written no-argument cache: double-checked locking.
fn rw_option() -> u64 {
    static VALUE: RwLock<Option<u64>> = RwLock::new(None);
    if let Some(v) = *VALUE.read().unwrap() {
        return v;
    }
    *VALUE.write().unwrap().get_or_insert_with(|| work(42))
}

/// The hand-written keyed cache: a global `RwLock<HashMap>`.
struct HandMap<K, V>(LazyLock<RwLock<HashMap<K, V>>>);

impl<K: std::hash::Hash + Eq, V: Copy> HandMap<K, V> {
    const fn new() -> Self {
        HandMap(LazyLock::new(|| RwLock::new(HashMap::new())))
    }

    fn get<Q>(&self, key: &Q, make: impl FnOnce() -> (K, V)) -> V
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if let Some(v) = self.0.read().unwrap().get(key) {
            return *v;
        }
        let (k, v) = make();
        *self.0.write().unwrap().entry(k).or_insert(v)
    }

    fn clear(&self) {
        self.0.write().unwrap().clear();
    }
}

static HAND_KEYED: HandMap<u64, u64> = HandMap::new();
static HAND_STR: HandMap<String, u64> = HandMap::new();
static HAND_MISS: HandMap<u64, u64> = HandMap::new();
/// Hand-written TTL: the timestamp is checked with `Instant::now()` per hit.
static HAND_TTL: LazyLock<RwLock<HashMap<u64, (Instant, u64)>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));

fn hand_keyed(x: u64) -> u64 {
    HAND_KEYED.get(&x, || (x, work(x)))
}

fn hand_ttl(x: u64) -> u64 {
    let now = Instant::now();
    if let Some(&(stored, v)) = HAND_TTL.read().unwrap().get(&x) {
        if now.duration_since(stored) < TTL {
            return v;
        }
    }
    let v = work(x);
    HAND_TTL.write().unwrap().insert(x, (now, v));
    v
}

type Moka<K> = LazyLock<moka::sync::Cache<K, u64>>;
static MOKA_NO_ARG: Moka<()> = LazyLock::new(|| moka::sync::Cache::builder().build());
static MOKA_KEYED: Moka<u64> = LazyLock::new(|| moka::sync::Cache::builder().build());
static MOKA_TTL: Moka<u64> =
    LazyLock::new(|| moka::sync::Cache::builder().time_to_live(TTL).build());
static MOKA_BOUNDED: Moka<u64> = LazyLock::new(|| {
    moka::sync::Cache::builder()
        .max_capacity(BOUND as u64)
        .build()
});
static MOKA_STR: Moka<String> = LazyLock::new(|| moka::sync::Cache::builder().build());
static MOKA_MISS: Moka<u64> = LazyLock::new(|| moka::sync::Cache::builder().build());

type Quick<K> = LazyLock<quick_cache::sync::Cache<K, u64>>;
/// quick_cache is always bounded; "permanent" gets room for far more than is used.
static QUICK_NO_ARG: Quick<()> = LazyLock::new(|| quick_cache::sync::Cache::new(16));
static QUICK_KEYED: Quick<u64> = LazyLock::new(|| quick_cache::sync::Cache::new(100_000));
static QUICK_BOUNDED: Quick<u64> = LazyLock::new(|| quick_cache::sync::Cache::new(BOUND));
static QUICK_STR: Quick<String> = LazyLock::new(|| quick_cache::sync::Cache::new(100_000));
static QUICK_MISS: Quick<u64> = LazyLock::new(|| quick_cache::sync::Cache::new(100_000));

fn quick<K: Eq + std::hash::Hash + Clone, Q>(
    cache: &quick_cache::sync::Cache<K, u64>,
    key: &Q,
    make: impl FnOnce() -> u64,
) -> u64
where
    Q: std::hash::Hash + quick_cache::Equivalent<K> + ToOwned<Owned = K> + ?Sized,
{
    match cache.get_or_insert_with(key, || Ok::<_, ()>(make())) {
        Ok(v) => v,
        Err(()) => unreachable!(),
    }
}

// ------------------------------------------------------------ harness

/// A contestant: its name in the tables and its function.
type Case<F> = (&'static str, F);
/// A keyed cached function.
type Keyed = fn(u64) -> u64;

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40);
}

/// The name of the variant called through an opaque function pointer, as
/// a program calls a function it cannot inline: nothing of the call can be
/// hoisted out of the benchmark's loop.
fn via_pointer(name: &str) -> String {
    format!("{name} (fn pointer)")
}

/// Benchmarks `f` over the hot keys, after one call per key has filled the
/// cache: inlined into the loop, and through an opaque function pointer.
fn keyed_case(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    f: fn(u64) -> u64,
) {
    for k in 0..HOT {
        f(k);
    }
    let mut k = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            k = if k + 1 == HOT { 0 } else { k + 1 };
            f(black_box(k))
        })
    });
    let opaque = black_box(f);
    group.bench_function(via_pointer(name), |b| {
        b.iter(|| {
            k = if k + 1 == HOT { 0 } else { k + 1 };
            opaque(black_box(k))
        })
    });
}

fn str_case(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    f: fn(&str) -> u64,
) {
    let keys = &*STR_KEYS;
    for k in keys {
        f(k);
    }
    let mut i = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            i = if i + 1 == keys.len() { 0 } else { i + 1 };
            f(black_box(keys[i].as_str()))
        })
    });
    let opaque = black_box(f);
    group.bench_function(via_pointer(name), |b| {
        b.iter(|| {
            i = if i + 1 == keys.len() { 0 } else { i + 1 };
            opaque(black_box(keys[i].as_str()))
        })
    });
}

fn no_arg(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit_no_arg");
    configure(&mut group);
    let cases: [Case<fn() -> u64>; 7] = [
        ("plain", || work(42)),
        ("oncelock", once_lock),
        ("rwlock", rw_option),
        ("memokit", mk::no_arg),
        ("cached", peer::no_arg),
        ("moka", || MOKA_NO_ARG.get_with((), || work(42))),
        ("quick_cache", || quick(&QUICK_NO_ARG, &(), || work(42))),
    ];
    for (name, f) in cases {
        f();
        group.bench_function(name, |b| b.iter(f));
        let opaque = black_box(f);
        group.bench_function(via_pointer(name), |b| b.iter(opaque));
    }
    group.finish();
}

fn keyed(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit_keyed");
    configure(&mut group);
    keyed_case(&mut group, "plain", work);
    keyed_case(&mut group, "rwlock", hand_keyed);
    keyed_case(&mut group, "memokit", mk::keyed);
    keyed_case(&mut group, "cached", peer::keyed);
    keyed_case(&mut group, "moka", |x| MOKA_KEYED.get_with(x, || work(x)));
    keyed_case(&mut group, "quick_cache", |x| {
        quick(&QUICK_KEYED, &x, || work(x))
    });
    group.finish();
}

fn ttl(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit_ttl");
    configure(&mut group);
    keyed_case(&mut group, "plain", work);
    keyed_case(&mut group, "rwlock", hand_ttl);
    keyed_case(&mut group, "memokit", mk::ttl);
    keyed_case(&mut group, "memokit-refresh", mk::refresh);
    keyed_case(&mut group, "cached", peer::ttl);
    keyed_case(&mut group, "moka", |x| MOKA_TTL.get_with(x, || work(x)));
    group.bench_function("instant_now", |b| b.iter(Instant::now));
    group.finish();
}

fn bounded(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit_bounded");
    configure(&mut group);
    keyed_case(&mut group, "plain", work);
    keyed_case(&mut group, "memokit", mk::bounded);
    keyed_case(&mut group, "cached", peer::bounded);
    keyed_case(&mut group, "moka", |x| MOKA_BOUNDED.get_with(x, || work(x)));
    keyed_case(&mut group, "quick_cache", |x| {
        quick(&QUICK_BOUNDED, &x, || work(x))
    });
    group.finish();
}

fn by_str(c: &mut Criterion) {
    let mut group = c.benchmark_group("hit_str");
    configure(&mut group);
    str_case(&mut group, "plain", work_str);
    str_case(&mut group, "rwlock", |s| {
        HAND_STR.get(s, || (s.to_owned(), work_str(s)))
    });
    str_case(&mut group, "memokit", mk::by_str);
    str_case(&mut group, "cached", peer::by_str);
    str_case(&mut group, "moka", |s| {
        MOKA_STR.get_with_by_ref(s, || work_str(s))
    });
    str_case(&mut group, "quick_cache", |s| {
        quick(&QUICK_STR, s, || work_str(s))
    });
    group.finish();
}

/// Misses on fresh keys. The cache is cleared every [`MISS_CHUNK`] calls,
/// outside the timed region, so it never grows past that.
fn miss_case(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    f: impl Fn(u64) -> u64,
    clear: impl Fn(),
) {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = (iters - done).min(MISS_CHUNK);
                clear();
                let first = NEXT.fetch_add(n, Ordering::Relaxed);
                let start = Instant::now();
                for k in first..first + n {
                    black_box(f(black_box(k)));
                }
                total += start.elapsed();
                done += n;
            }
            total
        })
    });
}

fn miss(c: &mut Criterion) {
    let mut group = c.benchmark_group("miss");
    configure(&mut group);
    miss_case(&mut group, "plain", work, || {});
    miss_case(
        &mut group,
        "rwlock",
        |x| HAND_MISS.get(&x, || (x, work(x))),
        || HAND_MISS.clear(),
    );
    miss_case(&mut group, "memokit", mk::miss, || {
        mk::miss_memokit().clear()
    });
    miss_case(&mut group, "cached", peer::miss, || {
        peer::MISS.write().cache_clear()
    });
    miss_case(
        &mut group,
        "cached_single_flight",
        peer::miss_single_flight,
        || peer::MISS_SINGLE_FLIGHT.write().cache_clear(),
    );
    miss_case(
        &mut group,
        "moka",
        |x| MOKA_MISS.get_with(x, || work(x)),
        || {
            MOKA_MISS.invalidate_all();
            MOKA_MISS.run_pending_tasks();
        },
    );
    miss_case(
        &mut group,
        "quick_cache",
        |x| quick(&QUICK_MISS, &x, || work(x)),
        || QUICK_MISS.clear(),
    );
    group.finish();
}

/// `threads` threads each make `iters` hits over the hot keys, released
/// together by a barrier; the time is from the first start to the last end.
/// With `Throughput::Elements(threads)` criterion reports hits per second.
fn run_threads(threads: u64, iters: u64, f: &(impl Fn(u64) -> u64 + Sync)) -> Duration {
    let barrier = Barrier::new(threads as usize);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    let mut k = (t * 337) % HOT;
                    barrier.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        k = if k + 1 == HOT { 0 } else { k + 1 };
                        black_box(f(black_box(k)));
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let start = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    end - start
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads_keyed");
    configure(&mut group);
    let cases: [Case<Keyed>; 5] = [
        ("rwlock", hand_keyed),
        ("memokit", mk::keyed),
        ("cached", peer::keyed),
        ("moka", |x| MOKA_KEYED.get_with(x, || work(x))),
        ("quick_cache", |x| quick(&QUICK_KEYED, &x, || work(x))),
    ];
    for (name, f) in cases {
        for k in 0..HOT {
            f(k);
        }
        for threads in [1, 2, 4] {
            group.throughput(Throughput::Elements(threads));
            group.bench_function(format!("{name}/{threads}"), |b| {
                b.iter_custom(|iters| run_threads(threads, iters, &f))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, no_arg, keyed, ttl, bounded, by_str, miss, threads);
criterion_main!(benches);
