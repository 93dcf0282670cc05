//! What the Redis tier costs when things go wrong, and across processes:
//! one run, pinned, on a unix socket.
//!
//! ```text
//! taskset -c 0 cargo run --release --manifest-path compare/Cargo.toml --bin redis-tier
//! ```
//!
//! - the first call while the server is paused (SIGSTOP), then a call once
//!   the breaker is open, against computing the same value uncached;
//! - a process started while the server is down: how long after the
//!   server's return its values are stored in Redis again;
//! - four processes missing one slow key at once: how many computed it,
//!   memokit and `cached`'s `redis_store`;
//! - how long an `invalidate` in one process takes to reach another's memory.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cached::{ConcurrentCached, RedisCache};
use memokit::cached;
use memokit_compare::redis_server;

static COMPUTED: AtomicU64 = AtomicU64::new(0);

#[cached(redis)]
fn tiered(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    k.wrapping_mul(31)
}

fn plain(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    std::hint::black_box(k.wrapping_mul(31))
}

#[cached(redis)]
fn slow(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(200));
    k
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn spawn(role: &str, url: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([role, url])
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap()
}

fn child(role: &str, url: &str) {
    let out = &mut std::io::stdout();
    match role {
        "hot-memokit" => {
            memokit::redis::connect(url).unwrap();
            let _ = tiered(0); // connected before the race
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            let before = COMPUTED.load(Ordering::Relaxed);
            slow(7);
            writeln!(out, "{}", COMPUTED.load(Ordering::Relaxed) - before).unwrap();
        }
        "hot-cached" => {
            let cache: RedisCache<u64, u64> = RedisCache::builder("bench")
                .connection_string(url)
                .build()
                .unwrap();
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
            let mut computed = 0;
            if cache.cache_get(&7).unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(200));
                computed += 1;
                cache.cache_set(7, 7).unwrap();
            }
            writeln!(out, "{computed}").unwrap();
        }
        "listen" => {
            memokit::redis::connect(url).unwrap();
            tiered(1);
            while !memokit::redis::stats().subscribed {
                std::thread::sleep(Duration::from_millis(1));
            }
            writeln!(out, "ready").unwrap();
            out.flush().unwrap();
            // Yielding, not spinning: the server shares the CPU.
            while tiered_memokit().peek(1).is_some() {
                std::thread::yield_now();
            }
            writeln!(out, "{}", now_nanos()).unwrap();
        }
        "late" => {
            // Started while the server is down: reports when a call is
            // answered by Redis (a read counted, no error) again.
            memokit::redis::connect(url).unwrap();
            writeln!(out, "started").unwrap();
            out.flush().unwrap();
            for k in 1_000_000.. {
                let before = tiered_memokit().stats();
                tiered(k);
                let after = tiered_memokit().stats();
                if after.tier_reads > before.tier_reads && after.tier_errors == before.tier_errors {
                    writeln!(out, "{}", now_nanos()).unwrap();
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        _ => panic!("unknown role {role}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 3 {
        return child(&args[1], &args[2]);
    }
    println!("CPU: 2-core AMD EPYC (shared machine); client and server on CPU 0; unix socket");
    let mut server = redis_server::start(&["pinned"]).expect("redis-server is installed");
    let url = server.url();
    memokit::redis::connect(&url).unwrap();
    tiered(0);

    // 1. Outage: the first call pays the timeout, then the breaker skips Redis.
    server.pause(true);
    let started = Instant::now();
    tiered(1);
    println!(
        "server paused: first call {:.1?} (timeout 200 ms)",
        started.elapsed()
    );
    let mut k = 10;
    while tiered_memokit().stats().tier_errors < 5 {
        k += 1;
        tiered(k);
    }
    let n = 100_000u64;
    let started = Instant::now();
    for i in 0..n {
        tiered(1_000_000 + i);
    }
    let breaker = started.elapsed() / n as u32;
    let started = Instant::now();
    for i in 0..n {
        plain(1_000_000 + i);
    }
    let compute = started.elapsed() / n as u32;
    println!(
        "breaker open: a miss costs {breaker:.1?}, computing uncached {compute:.1?}: {:.1?} more",
        breaker.saturating_sub(compute)
    );
    server.pause(false);

    // 2. Invalidation latency, memokit.
    std::thread::sleep(Duration::from_millis(1500)); // past the cool-down
    let mut listener = spawn("listen", &url);
    let mut lines = BufReader::new(listener.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    std::thread::sleep(Duration::from_millis(20));
    let sent = now_nanos();
    tiered_memokit().invalidate(1);
    let seen: u128 = lines.next().unwrap().unwrap().parse().unwrap();
    listener.wait().unwrap();
    println!(
        "invalidate reached another process's memory in {:.1?}",
        Duration::from_nanos((seen - sent) as u64)
    );

    // 3. Four processes missing one slow key at once.
    for (role, url) in [
        ("hot-memokit", url.clone()),
        ("hot-cached", format!("redis+{}", server.url())),
    ] {
        let mut children: Vec<_> = (0..4).map(|_| spawn(role, &url)).collect();
        std::thread::sleep(Duration::from_millis(300));
        for c in &mut children {
            writeln!(c.stdin.as_mut().unwrap(), "go").unwrap();
        }
        let computed: u64 = children
            .into_iter()
            .map(|c| {
                String::from_utf8(c.wait_with_output().unwrap().stdout)
                    .unwrap()
                    .trim()
                    .parse::<u64>()
                    .unwrap()
            })
            .sum();
        println!("{role}: 4 processes missing one key computed it {computed} time(s)");
    }

    // 4. A process started while the server is down.
    server.kill();
    let mut late = spawn("late", &url);
    let mut lines = BufReader::new(late.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "started");
    std::thread::sleep(Duration::from_millis(500));
    let back = now_nanos();
    server.restart();
    let used: u128 = lines.next().unwrap().unwrap().parse().unwrap();
    late.wait().unwrap();
    println!(
        "started while the server was down: stores in Redis {:.1?} after its return (cool-down 1 s)",
        Duration::from_nanos((used - back) as u64)
    );
}
