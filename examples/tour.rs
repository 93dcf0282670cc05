//! A tour of memokit on three real-world caching case studies and a
//! recursive function, timed on this machine.
//!
//! Run with `cargo run --release --features disk --example tour` (as the
//! README says), twice: the first case is persisted (`#[cached(disk)]`), and
//! the second run reads its first call from disk, beside what the first run
//! took to compute it. Without the feature the tour runs all in memory.

use memokit::{cached, Stats};
use std::hint::black_box;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Case 1: where to keep cached files. Platform detection, environment
/// lookups and a `create_dir_all`: the answer never changes while the
/// program runs, so it is cached permanently. An `Err` would not be cached.
/// The path is an `Arc<Path>`, so a hit copies a pointer, not the string.
/// With the `disk` feature it is also kept on disk, for the next run.
#[cfg_attr(feature = "disk", cached(disk))]
#[cfg_attr(not(feature = "disk"), cached)]
fn cache_dir(app: &str) -> io::Result<Arc<Path>> {
    let base = match std::env::consts::OS {
        "windows" => std::env::var_os("LOCALAPPDATA").map(PathBuf::from),
        "macos" => std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Caches")),
        _ => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute()),
    };
    // Stay inside the temp dir so the tour leaves the user's home alone.
    let base = std::env::temp_dir().join("memokit-tour").join(
        base.map(|b| b.file_name().unwrap_or_default().to_owned())
            .unwrap_or_default(),
    );
    let dir = base.join(app);
    std::fs::create_dir_all(&dir)?;
    Ok(Arc::from(dir))
}

/// Case 2: is a network service up? A TCP connect with a short timeout,
/// at most once a second; refreshed ahead after 800 ms by one caller, so no
/// other caller waits for a connect when the entry expires.
#[cached(ttl = "1s", refresh = "800ms")]
fn service_up(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
}

/// Case 3: a system property that cannot change while the program runs.
#[cached]
fn worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// And a recursive function: each `fib(n)` is computed once.
#[cached]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// What the first run took to compute case 1, kept on disk so that the
/// next run can show it beside its own read from disk; `u64::MAX` until a
/// run records it.
#[cfg(feature = "disk")]
#[cached(disk)]
fn first_run_nanos(case: &str) -> u64 {
    let _ = case;
    u64::MAX
}

/// Case 1's first call of this run, and what it says about the disk tier.
#[cfg(feature = "disk")]
fn first_call() {
    let file = std::env::temp_dir().join("memokit-tour").join("tour.redb");
    if let Err(e) = memokit::disk::open(&file) {
        println!("{e}: case 1 runs in memory only\n");
    }
    black_box(cache_dir(black_box("tour")).unwrap());
    // The cache's own timings: the computation alone, or the read of the
    // disk alone, without this process's one-time start-up.
    let stats = cache_dir_memokit().stats();
    let took = stats.compute_time + stats.tier_read_time;
    let took_nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
    let from_disk = stats.tier_hits == 1;
    let first_run = first_run_nanos("cache_dir");
    if from_disk && first_run != u64::MAX {
        let computed = Duration::from_nanos(first_run);
        println!(
            "case 1, first call: read from disk in {} (the first run computed it in {}: {:.0}× faster)\n",
            fmt(took),
            fmt(computed),
            computed.as_secs_f64() / took.as_secs_f64()
        );
    } else {
        first_run_nanos_memokit().insert("cache_dir", took_nanos);
        println!(
            "case 1, first call: computed in {} and stored in {}; run the tour again to read it from disk\n",
            fmt(took),
            file.display()
        );
    }
}

#[cfg(not(feature = "disk"))]
fn first_call() {
    println!(
        "(with `--features disk`, case 1 is kept on disk: a second run reads it from there)\n"
    );
}

const HITS: u32 = 2_000_000;

/// Mean time of one call, over `runs` calls.
fn mean(runs: u32, mut call: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        call();
    }
    start.elapsed() / runs
}

struct Row {
    case: &'static str,
    computed: Duration,
    cached: Duration,
    published: &'static str,
}

fn fmt(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    first_call();

    // Computed cost: mean over fresh calls, the cache cleared before each.
    let mut rows = vec![
        Row {
            case: "cache directory (permanent)",
            computed: mean(20, || {
                cache_dir_memokit().clear();
                black_box(cache_dir(black_box("tour")).unwrap());
            }),
            cached: Duration::ZERO,
            published: "0.179 ms → 0.12 µs (1475×)",
        },
        Row {
            case: "service availability (ttl 1s, refresh 800ms)",
            computed: mean(20, || {
                service_up_memokit().clear();
                black_box(service_up(black_box(addr)));
            }),
            cached: Duration::ZERO,
            published: "2.27 µs → 0.28 µs (8.1×)",
        },
        Row {
            case: "available parallelism (permanent)",
            computed: mean(20, || {
                worker_threads_memokit().clear();
                black_box(worker_threads());
            }),
            cached: Duration::ZERO,
            published: "4.71 µs → 0.09 µs (52.5×)",
        },
        Row {
            case: "fib(90), recursive (permanent)",
            computed: mean(20, || {
                fib_memokit().clear();
                black_box(fib(black_box(90)));
            }),
            cached: Duration::ZERO,
            published: "",
        },
    ];

    // Cached cost: mean over many hits.
    rows[0].cached = mean(HITS, || {
        black_box(cache_dir(black_box("tour")).unwrap());
    });
    rows[1].cached = mean(HITS, || {
        black_box(service_up(black_box(addr)));
    });
    rows[2].cached = mean(HITS, || {
        black_box(worker_threads());
    });
    rows[3].cached = mean(HITS, || {
        black_box(fib(black_box(90)));
    });

    println!("memokit tour: first (computed) call vs cached call, on this machine\n");
    println!(
        "{:<36} {:>12} {:>12} {:>10}   published Python figures",
        "case", "computed", "cached", "speedup"
    );
    for r in &rows {
        println!(
            "{:<36} {:>12} {:>12} {:>9.0}×   {}",
            r.case,
            fmt(r.computed),
            fmt(r.cached),
            r.computed.as_secs_f64() / r.cached.as_secs_f64(),
            r.published
        );
    }
    println!("\n(computed: mean of 20 calls with the cache cleared; cached: mean of {HITS} hits)");
    println!(
        "service_up({addr}) = {}, worker_threads() = {}",
        service_up(addr),
        worker_threads()
    );

    println!("\nstatistics");
    let stats: [(&str, Stats); 4] = [
        ("cache_dir", cache_dir_memokit().stats()),
        ("service_up", service_up_memokit().stats()),
        ("worker_threads", worker_threads_memokit().stats()),
        ("fib", fib_memokit().stats()),
    ];
    println!(
        "{:<16} {:>10} {:>8} {:>8} {:>8} {:>14}",
        "function", "hits", "misses", "inserts", "expired", "compute time"
    );
    for (name, s) in stats {
        println!(
            "{:<16} {:>10} {:>8} {:>8} {:>8} {:>14}",
            name,
            s.hits,
            s.misses,
            s.inserts,
            s.expirations,
            fmt(s.compute_time)
        );
    }
    drop(listener);

    // Which of these caches pay off? `cargo run --release --example report` explains the verdicts.
    println!("\n{}", memokit::report());
    Ok(())
}
