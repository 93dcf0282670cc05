//! One contestant's calls, for `scripts/instructions.sh` to count under
//! callgrind: `instructions <subject> <calls>` makes `calls` calls through a
//! non-inlined function pointer (hits on 1,024 hot keys, or misses on fresh
//! ones), after warming the cache. Counting twice with different `calls`
//! and dividing the difference gives instructions per call, start-up and
//! warm-up cancelled; the `baseline` subject (the function alone, through
//! the same pointer) is the loop's share. With `INSTRUCTIONS_MANUAL_CLOCK`
//! set, memokit's TTL caches read a `ManualClock` instead of the system's.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{LazyLock, OnceLock};

use memokit_compare::contestants::{mk, peer, work, work_str};

const HOT: u64 = 1_024;

static STR_KEYS: LazyLock<Vec<String>> =
    LazyLock::new(|| (0..HOT).map(|i| format!("host-{i:05}.example")).collect());

fn str_key(x: u64) -> &'static str {
    &STR_KEYS[(x % HOT) as usize]
}

fn mk_str(x: u64) -> u64 {
    mk::by_str(str_key(x))
}

fn peer_str(x: u64) -> u64 {
    peer::by_str(str_key(x))
}

fn once_lock(_: u64) -> u64 {
    static VALUE: OnceLock<u64> = OnceLock::new();
    *VALUE.get_or_init(|| work(42))
}

/// An immutable map filled once: the floor for a keyed lookup.
fn immutable_map(x: u64) -> u64 {
    static MAP: LazyLock<HashMap<u64, u64, foldhash::fast::FixedState>> =
        LazyLock::new(|| (0..HOT).map(|k| (k, work(k))).collect());
    MAP[&x]
}

fn baseline(x: u64) -> u64 {
    work(x)
}

fn str_baseline(x: u64) -> u64 {
    work_str(str_key(x))
}

fn subject(name: &str) -> Option<fn(u64) -> u64> {
    Some(match name {
        "baseline" => baseline,
        "str-baseline" => str_baseline,
        "memokit-keyed" => mk::keyed,
        #[cfg(feature = "tiers")]
        "memokit-keyed-disk" => mk::keyed_disk,
        "memokit-no-arg" => |_| mk::no_arg(),
        "memokit-ttl" => mk::ttl,
        "memokit-refresh" => mk::refresh,
        "memokit-bounded" => mk::bounded,
        "memokit-str" => mk_str,
        "cached-keyed" => peer::keyed,
        "cached-no-arg" => |_| peer::no_arg(),
        "cached-ttl" => peer::ttl,
        "cached-bounded" => peer::bounded,
        "cached-str" => peer_str,
        "oncelock" => once_lock,
        "immutable-map" => immutable_map,
        _ => return None,
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(name), Some(calls)) = (args.next(), args.next()) else {
        eprintln!("usage: instructions <subject> <calls> [miss]");
        std::process::exit(2);
    };
    let miss = args.next().as_deref() == Some("miss");
    let dir = std::env::temp_dir().join(format!("memokit-instructions-{}", std::process::id()));
    #[cfg(feature = "tiers")]
    memokit::disk::open(dir.join("disk.redb")).expect("a temporary file");
    let calls: u64 = calls.parse().expect("a number of calls");
    let f = black_box(subject(&name).unwrap_or_else(|| panic!("unknown subject {name}")));
    let _ = STR_KEYS.len();
    if std::env::var_os("INSTRUCTIONS_MANUAL_CLOCK").is_some() {
        // Every TTL hit then reads this clock: the count no longer depends
        // on whether the clock thread vouched for its coarse time, which
        // under callgrind's slowdown comes and goes with the machine's load.
        let clock = memokit::ManualClock::new();
        mk::ttl_memokit().set_clock(clock.clone());
        mk::refresh_memokit().set_clock(clock);
    }
    for k in 0..HOT {
        f(k);
    }
    let mut sum = 0u64;
    for i in 0..calls {
        // Misses take keys never seen; hits cycle over the hot ones.
        let key = if miss { HOT + i } else { i & (HOT - 1) };
        sum = sum.wrapping_add(f(black_box(key)));
    }
    black_box(sum);
    let _ = std::fs::remove_dir_all(dir);
}
