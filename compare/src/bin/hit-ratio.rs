//! Hit ratios of bounded caches on real traces and synthetic workloads.
//!
//! ```text
//! cargo run --release --manifest-path compare/Cargo.toml --bin hit-ratio
//! ```
//!
//! Replays each key sequence through a reference LRU, ARC (simulated, and
//! the ARC paper's figures where it has them), memokit through
//! `#[cached(capacity = N)]` functions that count their computations (one
//! thread, and two threads taking strict turns on 1,000-request chunks),
//! `quick_cache` and `moka`. Prints Markdown tables. Traces are read from
//! `../shared/traces` (or `$MEMOKIT_TRACES`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use memokit::cached;
use memokit_compare::reference::{self, Arc, Lru};
use memokit_compare::{trace, workload};

/// Computations of the memokit functions (one runs at a time).
static COMPUTED: AtomicU64 = AtomicU64::new(0);

/// One `#[cached(capacity = N)]` function per capacity (the capacity is a
/// literal of the attribute), and a lookup from capacity to function.
macro_rules! bounded_functions {
    ($(($name:ident, $control:ident, $cap:tt)),* $(,)?) => {
        $(
            #[cached(capacity = $cap)]
            fn $name(key: u64) -> u64 {
                COMPUTED.fetch_add(1, Ordering::Relaxed);
                key
            }
        )*

        /// The cached function of this capacity, with its cache cleared.
        fn memokit_function(capacity: usize) -> fn(u64) -> u64 {
            match capacity {
                $($cap => {
                    $control().clear();
                    $name
                })*
                _ => panic!("no #[cached(capacity = {capacity})] function: add it to bounded_functions!"),
            }
        }
    };
}

bounded_functions!(
    (cap_1000, cap_1000_memokit, 1000),
    (cap_2000, cap_2000_memokit, 2000),
    (cap_5000, cap_5000_memokit, 5000),
    (cap_10000, cap_10000_memokit, 10000),
    (cap_15000, cap_15000_memokit, 15000),
    (cap_20000, cap_20000_memokit, 20000),
    (cap_32768, cap_32768_memokit, 32768),
    (cap_131072, cap_131072_memokit, 131072),
);

fn percent_hits(misses: u64, requests: usize) -> f64 {
    100.0 * (1.0 - misses as f64 / requests as f64)
}

/// memokit, one thread.
fn memokit_one_thread(keys: &[u64], capacity: usize) -> f64 {
    let f = memokit_function(capacity);
    COMPUTED.store(0, Ordering::Relaxed);
    for &k in keys {
        std::hint::black_box(f(k));
    }
    percent_hits(COMPUTED.load(Ordering::Relaxed), keys.len())
}

const CHUNK: usize = 1000;

/// memokit, two threads taking strict turns: thread `t` replays chunks
/// `t, t + 2, t + 4, ...` of 1,000 requests, each after the other thread
/// finished the previous chunk. The sequence is the single-threaded one; the
/// threads' caches, locks and counters are not.
fn memokit_two_threads(keys: &[u64], capacity: usize) -> f64 {
    let f = memokit_function(capacity);
    COMPUTED.store(0, Ordering::Relaxed);
    let turn = AtomicUsize::new(0);
    let chunks: Vec<&[u64]> = keys.chunks(CHUNK).collect();
    std::thread::scope(|s| {
        for t in 0..2 {
            let (turn, chunks) = (&turn, &chunks);
            s.spawn(move || {
                for c in (t..chunks.len()).step_by(2) {
                    while turn.load(Ordering::Acquire) != c {
                        std::hint::spin_loop();
                        std::thread::yield_now();
                    }
                    for &k in chunks[c] {
                        std::hint::black_box(f(k));
                    }
                    turn.store(c + 1, Ordering::Release);
                }
            });
        }
    });
    percent_hits(COMPUTED.load(Ordering::Relaxed), keys.len())
}

fn quick_cache(keys: &[u64], capacity: usize) -> f64 {
    let cache = quick_cache::sync::Cache::<u64, u64>::new(capacity);
    let mut misses = 0;
    for &k in keys {
        if cache.get(&k).is_none() {
            misses += 1;
            cache.insert(k, k);
        }
    }
    percent_hits(misses, keys.len())
}

/// moka; `sync_every_insert` runs its pending maintenance (admission,
/// eviction, read recording) after every insertion, which holds it to its
/// capacity; otherwise moka runs it when its buffers fill.
fn moka(keys: &[u64], capacity: usize, sync_every_insert: bool) -> f64 {
    let cache = moka::sync::Cache::<u64, u64>::new(capacity as u64);
    let mut misses = 0;
    for &k in keys {
        if cache.get(&k).is_none() {
            misses += 1;
            cache.insert(k, k);
            if sync_every_insert {
                cache.run_pending_tasks();
            }
        }
    }
    percent_hits(misses, keys.len())
}

struct Workload {
    name: &'static str,
    keys: Vec<u64>,
    /// Capacities, with the ARC paper's LRU and ARC hit ratios where it has them.
    capacities: Vec<(usize, Option<(f64, f64)>)>,
}

fn workloads() -> Vec<Workload> {
    let dir = trace::dir();
    let read = |file: &str| {
        let path = dir.join(file);
        trace::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    vec![
        Workload {
            name: "OLTP",
            keys: read("OLTP.lis.zst"),
            capacities: vec![
                (1000, Some((32.83, 38.93))),
                (2000, Some((42.47, 46.08))),
                (5000, Some((53.65, 55.25))),
                (10000, Some((60.70, 61.87))),
                (15000, Some((64.63, 65.40))),
            ],
        },
        Workload {
            name: "P3",
            keys: read("P3.lis.zst"),
            capacities: vec![(32768, Some((3.57, 17.11))), (131072, None)],
        },
        Workload {
            name: "Zipf 0.9 + scans",
            keys: workload::zipf_with_scans(100_000, 0.9, 1_000_000, 50_000, 20_000, 1),
            capacities: vec![(1000, None), (5000, None), (20000, None)],
        },
        Workload {
            name: "Zipf 0.99 + scans",
            keys: workload::zipf_with_scans(100_000, 0.99, 1_000_000, 50_000, 20_000, 2),
            capacities: vec![(1000, None), (5000, None), (20000, None)],
        },
        Workload {
            name: "Zipf 0.8 + loop",
            keys: workload::zipf_with_loop(50_000, 0.8, 1_333_333, 3, 15_000, 5),
            capacities: vec![(5000, None), (10000, None), (20000, None)],
        },
    ]
}

fn main() {
    // Optional: the name (prefix) of one workload; `--memokit-only` skips the other columns.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let memokit_only = args.iter().any(|a| a == "--memokit-only");
    let only = args.iter().find(|a| !a.starts_with("--"));
    if memokit_only {
        for w in workloads() {
            if only.is_some_and(|o| !w.name.starts_with(o.as_str())) {
                continue;
            }
            let ratios: Vec<String> = w
                .capacities
                .iter()
                .map(|&(c, _)| format!("{c}: {:.2}", memokit_one_thread(&w.keys, c)))
                .collect();
            println!("{}: {}", w.name, ratios.join(", "));
        }
        return;
    }
    println!("Hit ratios (percent of requests answered without computing).\n");
    for w in workloads() {
        if only.is_some_and(|o| !w.name.starts_with(o.as_str())) {
            continue;
        }
        let started = Instant::now();
        println!("### {} ({} requests)\n", w.name, w.keys.len());
        println!(
            "| capacity | LRU | ARC (paper) | ARC (simulated) | **memokit** | memokit, 2 threads | quick_cache | moka (synced) | moka (unsynced) |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for &(capacity, paper) in &w.capacities {
            let lru = reference::hit_ratio(&mut Lru::new(capacity), &w.keys);
            let arc = reference::hit_ratio(&mut Arc::new(capacity), &w.keys);
            let arc_paper = paper.map_or("".to_owned(), |(_, arc)| format!("{arc:.2}"));
            let one = memokit_one_thread(&w.keys, capacity);
            let two = memokit_two_threads(&w.keys, capacity);
            let quick = quick_cache(&w.keys, capacity);
            let moka_synced = moka(&w.keys, capacity, true);
            let moka_unsynced = moka(&w.keys, capacity, false);
            println!(
                "| {capacity} | {lru:.2} | {arc_paper} | {arc:.2} | **{one:.2}** | {two:.2} | {quick:.2} | {moka_synced:.2} | {moka_unsynced:.2} |"
            );
        }
        println!("\n({:.1} s)\n", started.elapsed().as_secs_f64());
    }
}
