//! Two processes sharing one cached value through Redis.
//!
//! ```text
//! redis-server --port 6379 --save '' &
//! MEMOKIT_REDIS_URL=redis://127.0.0.1:6379/ cargo run --release --features redis --example shared
//! ```
//!
//! The first process computes `quote("EUR")` (a slow call) and stores it
//! in Redis; it then starts a second process of this program, which finds
//! the value in Redis instead of computing it, and invalidates it there;
//! the first one's memory hears of it through pub/sub.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use memokit::cached;

static COMPUTED: AtomicU32 = AtomicU32::new(0);

/// A slow call to a rates API, shared by every process for ten minutes.
#[cached(ttl = "10m", redis)]
fn quote(currency: &str) -> Result<f64, String> {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(300));
    match currency {
        "EUR" => Ok(1.08),
        _ => Err(format!("no rate for {currency}")),
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = f();
    (value, started.elapsed())
}

fn main() {
    if std::env::var("MEMOKIT_REDIS_URL").is_err() {
        eprintln!(
            "Set MEMOKIT_REDIS_URL to a Redis server, e.g.\n  redis-server --port 6379 --save '' &\n  \
             MEMOKIT_REDIS_URL=redis://127.0.0.1:6379/ cargo run --release --features redis --example shared"
        );
        std::process::exit(2);
    }
    let second = std::env::args().any(|a| a == "--second");
    let me = if second {
        "second process"
    } else {
        "first process"
    };
    if !second {
        // A fresh start for the demonstration.
        quote_memokit().clear();
    }
    let (rate, took) = timed(|| quote("EUR"));
    let stats = quote_memokit().stats();
    println!(
        "{me}: quote(\"EUR\") = {rate:?} in {took:.1?} (computed here: {}, read from Redis: {})",
        COMPUTED.load(Ordering::Relaxed),
        stats.tier_hits
    );
    if second {
        quote_memokit().invalidate("EUR");
        println!("{me}: invalidated quote(\"EUR\") for every process");
        return;
    }
    let status = Command::new(std::env::current_exe().unwrap())
        .arg("--second")
        .status()
        .expect("the second process starts");
    assert!(status.success());
    // The second process's invalidation reached this one's memory.
    let started = Instant::now();
    while quote_memokit().peek("EUR").is_some() && started.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "{me}: after the second process's invalidate, in memory here: {:?}",
        quote_memokit().peek("EUR")
    );
    let redis = memokit::redis::stats();
    println!(
        "{me}: {} round trips to Redis, {:.1?} each on average",
        redis.round_trips,
        redis.mean_round_trip()
    );
}
