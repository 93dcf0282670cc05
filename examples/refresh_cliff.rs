//! The latency cliff of a TTL cache, and refresh-ahead removing it.
//!
//! A hot key whose computation takes 1 ms, behind `ttl` alone and behind
//! `ttl` with `refresh`, called by 8 threads that each make a call every
//! 400 µs (a service handling 20,000 requests a second) for 2 s, about 95
//! expiries. With `ttl` alone, every caller that arrives while the expired
//! entry is recomputed waits for it; with `refresh`, the one caller that
//! finds the entry due recomputes it and the others are served at once.
//!
//! ```text
//! cargo run --release --example refresh_cliff             # percentiles
//! cargo run --release --example refresh_cliff -- calls.csv  # and every call
//! ```
//!
//! `scripts/refresh-cliff.py` runs it and draws the calls over time as an
//! SVG. Real clock, real sleeps: figures move from run to run and machine
//! to machine; the shape does not.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use memokit::cached;

const THREADS: usize = 8;
const RUN: Duration = Duration::from_secs(2);
const PACE: Duration = Duration::from_micros(400);
const COMPUTE: Duration = Duration::from_millis(1);

/// A computation that takes 1 ms of wall time (a network round trip).
fn fetch() -> u64 {
    let start = Instant::now();
    while start.elapsed() < COMPUTE {
        thread::sleep(Duration::from_micros(100));
    }
    black_box(42)
}

#[cached(ttl = "20ms")]
fn ttl_alone() -> u64 {
    fetch()
}

#[cached(ttl = "20ms", refresh = "15ms")]
fn ttl_with_refresh() -> u64 {
    fetch()
}

/// One call: when it started (µs since the start) and what it took (ns).
type Call = (u64, u64);

fn run(call: fn() -> u64) -> Vec<Call> {
    call();
    let start = Arc::new(Barrier::new(THREADS));
    let origin = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                let mut calls = Vec::new();
                while origin.elapsed() < RUN {
                    let before = Instant::now();
                    black_box(call());
                    let took = before.elapsed();
                    let at = before.duration_since(origin);
                    calls.push((at.as_micros() as u64, took.as_nanos() as u64));
                    thread::sleep(PACE);
                }
                calls
            })
        })
        .collect();
    let mut calls: Vec<Call> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("a caller panicked"))
        .collect();
    calls.sort_unstable();
    calls
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn human(nanos: u64) -> String {
    match nanos {
        n if n < 10_000 => format!("{n} ns"),
        n if n < 10_000_000 => format!("{:.1} µs", n as f64 / 1e3),
        n => format!("{:.2} ms", n as f64 / 1e6),
    }
}

fn main() {
    let csv = std::env::args().nth(1);
    println!(
        "{THREADS} threads, one call each every {PACE:?}, {RUN:?}; a computation takes {COMPUTE:?}; ttl 20ms"
    );
    println!(
        "{:<22} {:>7} {:>9} {:>9} {:>9} {:>9} {:>12} {:>10}",
        "configuration", "calls", "p50", "p99", "p99.9", "max", "calls ≥ 1 ms", "computed"
    );
    let mut rows = Vec::new();
    for (name, call, stats) in [
        (
            "ttl alone",
            ttl_alone as fn() -> u64,
            (|| ttl_alone_memokit().stats()) as fn() -> memokit::Stats,
        ),
        ("ttl + refresh 15ms", ttl_with_refresh, || {
            ttl_with_refresh_memokit().stats()
        }),
    ] {
        let calls = run(call);
        let mut took: Vec<u64> = calls.iter().map(|&(_, t)| t).collect();
        took.sort_unstable();
        let slow = took.iter().filter(|&&t| t >= 1_000_000).count();
        println!(
            "{name:<22} {:>7} {:>9} {:>9} {:>9} {:>9} {:>12} {:>10}",
            calls.len(),
            human(percentile(&took, 0.5)),
            human(percentile(&took, 0.99)),
            human(percentile(&took, 0.999)),
            human(*took.last().unwrap_or(&0)),
            slow,
            stats().misses,
        );
        rows.push((name, calls));
    }
    if let Some(path) = csv {
        let mut out = String::from("configuration,start_us,latency_ns\n");
        for (name, calls) in &rows {
            for (at, took) in calls {
                out.push_str(&format!("{name},{at},{took}\n"));
            }
        }
        std::fs::write(&path, out).expect("writing the calls");
        println!("every call written to {path}");
    }
}
