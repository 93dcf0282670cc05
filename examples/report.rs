//! Is each cache worth it? Four cached functions with known workloads, then
//! the profile report that judges them.
//!
//! ```text
//! cargo run --release --example report
//! ```
//!
//! The method: profile, identify, cache, verify. This example is the
//! *verify* step: each function below follows (or breaks) the rules of
//! thumb, and the report says which cache pays off.

use std::thread;
use std::time::{Duration, Instant};

use memokit::cached;

/// Expensive and asked again and again: the case caching is for.
#[cached]
fn exchange_rate(currency: &str) -> f64 {
    thread::sleep(Duration::from_millis(2)); // a remote call
    match currency {
        "EUR" => 1.08,
        "GBP" => 1.27,
        _ => 1.0,
    }
}

/// A deliberately bad cache: `x + 1` takes less than a nanosecond, and a
/// hit (hash the key, lock a shard, find the entry, clone the value) costs
/// more than that. The same trap catches a hand-written cache whose lock
/// costs more than the work it saves.
#[cached]
fn add_one(x: u64) -> u64 {
    x + 1
}

/// Costly, but every call has a new request id: a bounded cache that almost
/// never hits (it is *cold*).
#[cached(capacity = 1_000)]
fn render_request(id: u64) -> String {
    busy(Duration::from_micros(20));
    format!("<p>request {id}</p>")
}

/// Costly, and every line is new: a permanent cache that only grows.
#[cached]
fn parse_log_line(line: String) -> usize {
    busy(Duration::from_micros(5));
    line.split_whitespace().count()
}

/// Works the CPU for `d`, as a computation would.
fn busy(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn main() {
    for _ in 0..50 {
        for currency in ["EUR", "GBP", "JPY"] {
            exchange_rate(currency);
        }
    }
    for _ in 0..1_000 {
        for x in 0..100 {
            add_one(x);
        }
    }
    for id in 0..5_000 {
        render_request(id);
    }
    for i in 0..5_000 {
        parse_log_line(format!("GET /items/{i} 200"));
    }

    println!("{}", memokit::report());
}
