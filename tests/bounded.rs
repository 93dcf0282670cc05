//! `#[cached(capacity = N)]`: the hard bound, the eviction policy's exact
//! single-threaded behaviour, its resistance to scans, and its combination
//! with `ttl`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use memokit::{cached, ManualClock};

/// A bounded function whose computations are counted.
macro_rules! counted {
    ($name:ident, $calls:ident, capacity = $cap:tt $(, ttl = $ttl:tt)?) => {
        static $calls: AtomicU64 = AtomicU64::new(0);

        #[cached(capacity = $cap $(, ttl = $ttl)?)]
        fn $name(key: u64) -> u64 {
            $calls.fetch_add(1, Ordering::SeqCst);
            key * 10
        }
    };
}

counted!(four, FOUR, capacity = 4);

/// The policy step by step, at capacity 4 (one shard; the small queue's
/// target is one entry): a hit entry is promoted to the main queue when the
/// small queue's hand reaches it, an entry never hit is evicted, and an
/// evicted key that comes back soon goes straight to the main queue.
#[test]
fn evicts_exactly_as_the_policy_says() {
    let present = |keys: &[u64]| keys.iter().all(|&k| four_memokit().contains(k));
    let absent = |keys: &[u64]| keys.iter().all(|&k| !four_memokit().contains(k));
    for k in [1, 2, 3, 4] {
        four(k);
    }
    four(1); // a hit: 1 will be promoted, not evicted
    four(5); // small queue (oldest first) 1 2 3 4: 1 moves to main, 2 goes
    assert!(present(&[1, 3, 4, 5]) && absent(&[2]));
    four(6); // small 3 4 5: 3 goes
    assert!(present(&[1, 4, 5, 6]) && absent(&[2, 3]));
    four(2); // 2 returns: remembered, it enters the main queue; small 4 5 6: 4 goes
    assert!(present(&[1, 2, 5, 6]) && absent(&[3, 4]));
    four(7); // small 5 6: 5 goes; the main queue (1, 2) is untouched
    four(8); // small 6 7: 6 goes
    assert!(present(&[1, 2, 7, 8]) && absent(&[3, 4, 5, 6]));
    let stats = four_memokit().stats();
    assert_eq!((stats.hits, stats.misses), (1, 9));
    assert_eq!((stats.inserts, stats.evictions), (9, 5));
    assert_eq!(FOUR.load(Ordering::SeqCst), 9);
    assert_eq!(four_memokit().len(), 4);
}

counted!(hundred, HUNDRED, capacity = 100);

/// Keys used a few times survive a scan of keys used once, which would
/// flush an LRU of the same size.
#[test]
fn a_scan_does_not_flush_the_hot_keys() {
    for _ in 0..3 {
        for k in 0..50 {
            hundred(k);
        }
    }
    for k in 1_000..11_000 {
        hundred(k);
    }
    let before = HUNDRED.load(Ordering::SeqCst);
    for k in 0..50 {
        assert_eq!(hundred(k), k * 10);
    }
    assert_eq!(HUNDRED.load(Ordering::SeqCst), before, "every hot key hit");
    assert_eq!(hundred_memokit().len(), 100);
    assert_eq!(hundred_memokit().stats().evictions, 50 + 10_000 - 100);
}

counted!(sharded, SHARDED, capacity = 5000);

/// Large capacities are split over shards; the bound stays hard.
#[test]
fn the_bound_is_hard_across_shards() {
    for k in 0..100_000u64 {
        sharded(k * 7919 % 100_003);
        if k % 10_000 == 0 {
            assert!(sharded_memokit().len() <= 5000);
        }
    }
    let stats = sharded_memokit().stats();
    let len = sharded_memokit().len() as u64;
    assert!(len <= 5000, "{len} entries");
    assert!(len > 4900, "shards together fill about the capacity: {len}");
    assert_eq!(stats.evictions, stats.inserts - len);
}

counted!(shared, SHARED, capacity = 1000);

/// Four threads, overlapping keys: never more than the capacity, and every
/// answer right.
#[test]
fn the_bound_is_hard_under_concurrency() {
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                let mut x = t + 1;
                for _ in 0..20_000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let k = (x >> 33) % 5000;
                    assert_eq!(shared(k), k * 10);
                }
            });
        }
        s.spawn(|| {
            for _ in 0..200 {
                assert!(shared_memokit().len() <= 1000);
                std::thread::yield_now();
            }
        });
    });
    assert!(shared_memokit().len() <= 1000);
    let stats = shared_memokit().stats();
    assert_eq!(stats.hits + stats.misses, 80_000);
    assert_eq!(stats.misses, SHARED.load(Ordering::SeqCst));
}

counted!(expiring, EXPIRING, capacity = 3, ttl = "1s");

/// At capacity, an expired entry goes before any live one, and counts as
/// an expiration, not an eviction, also when no periodic sweep is due.
#[test]
fn expired_entries_go_first() {
    let clock = ManualClock::new();
    expiring_memokit().set_clock(clock.clone());
    expiring(1); // t = 0: lives until 1 s
    clock.advance(Duration::from_millis(900));
    expiring(2); // a periodic sweep runs here and finds nothing
    clock.advance(Duration::from_millis(50));
    expiring(3);
    clock.advance(Duration::from_millis(50)); // 1 s: 1 has expired, no sweep due
    expiring(4);
    for k in [2, 3, 4] {
        assert!(expiring_memokit().contains(k), "{k} is live");
    }
    assert!(!expiring_memokit().contains(1));
    let stats = expiring_memokit().stats();
    assert_eq!((stats.expirations, stats.evictions), (1, 0));
    clock.advance(Duration::from_secs(1)); // 2, 3 and 4 expire
    expiring(5);
    assert_eq!(expiring_memokit().len(), 1);
    let stats = expiring_memokit().stats();
    assert_eq!((stats.expirations, stats.evictions), (4, 0));
    assert_eq!(EXPIRING.load(Ordering::SeqCst), 5);
}

counted!(churning, CHURNING, capacity = 10_000, ttl = "1m");

/// Expired entries are swept without their keys being asked again, so a
/// bounded cache with churning keys holds only its live entries.
#[test]
fn memory_follows_live_entries() {
    let clock = ManualClock::new();
    churning_memokit().set_clock(clock.clone());
    for round in 0..5u64 {
        for k in 0..2000 {
            churning(round * 1_000_000 + k);
        }
        clock.advance(Duration::from_secs(61));
    }
    churning(u64::MAX / 10);
    assert_eq!(churning_memokit().len(), 1);
    let stats = churning_memokit().stats();
    assert_eq!(stats.expirations, 10_000);
    assert_eq!(stats.evictions, 0);
    assert_eq!(CHURNING.load(Ordering::SeqCst), 10_001);
}

counted!(tiny, TINY, capacity = 1);

#[test]
fn capacity_one_keeps_the_latest() {
    tiny(1);
    tiny(1);
    tiny(2);
    assert!(tiny_memokit().contains(2) && !tiny_memokit().contains(1));
    tiny(1);
    assert_eq!(tiny_memokit().len(), 1);
    assert_eq!(TINY.load(Ordering::SeqCst), 3);
    assert_eq!(tiny_memokit().stats().evictions, 2);
}

counted!(updated, UPDATED, capacity = 2);

/// Inserting by hand over an existing key replaces its value in place.
#[test]
fn insert_replaces_in_place() {
    updated(1);
    updated(2);
    updated_memokit().insert(1, 99);
    assert_eq!(updated(1), 99);
    assert_eq!(updated_memokit().len(), 2);
    assert_eq!(updated_memokit().stats().evictions, 0);
    assert!(updated_memokit().invalidate(2));
    updated(3);
    assert!(updated_memokit().contains(1) && updated_memokit().contains(3));
    assert_eq!(UPDATED.load(Ordering::SeqCst), 3);
}

#[cached(capacity = 64)]
fn twin_a(key: u64) -> u64 {
    key + 1
}

#[cached(capacity = 64)]
fn twin_b(key: u64) -> u64 {
    key + 1
}

/// 20,000 calls over 400 keys, skewed so that hits, promotions and ghost
/// returns all happen: the same sequence every time.
fn skewed_calls(mut call: impl FnMut(u64)) {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // The smaller of two draws: low keys are called far more often.
        let key = (x % 400).min((x >> 32) % 400);
        call(key);
    }
}

/// The keys a cache over `0..400` holds, in order.
fn survivors(contains: impl Fn(u64) -> bool) -> Vec<u64> {
    (0..400).filter(|&k| contains(k)).collect()
}

/// Two identical bounded caches fed the same calls on one thread hold the
/// same keys: nothing seeded per cache decides what is evicted.
#[test]
fn identical_caches_evict_identically() {
    skewed_calls(|k| {
        twin_a(k);
    });
    skewed_calls(|k| {
        twin_b(k);
    });
    let a = survivors(|k| twin_a_memokit().contains(k));
    let b = survivors(|k| twin_b_memokit().contains(k));
    assert_eq!(a.len(), 64);
    assert!(twin_a_memokit().stats().evictions > 10_000);
    assert_eq!(a, b);
}

#[cached(capacity = 64)]
fn in_child(key: u64) -> u64 {
    key + 1
}

/// Set in the child processes of [`runs_evict_identically`].
const CHILD: &str = "MEMOKIT_EVICTION_CHILD";

/// In a child process, prints the keys `in_child` holds after the calls;
/// otherwise does nothing.
#[test]
fn eviction_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    skewed_calls(|k| {
        in_child(k);
    });
    let keys = survivors(|k| in_child_memokit().contains(k));
    println!("survivors: {keys:?}");
}

/// Two runs of a program make the same calls and end holding the same
/// keys: nothing seeded per process decides what is evicted.
#[test]
fn runs_evict_identically() {
    let run = || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "eviction_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .expect("the test binary runs again");
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        // The harness prints the test's name on the same line.
        let at = stdout
            .find("survivors: ")
            .unwrap_or_else(|| panic!("no survivors in\n{stdout}"));
        stdout[at..].lines().next().unwrap_or_default().to_owned()
    };
    let (first, second) = (run(), run());
    assert!(first.matches(',').count() == 63, "{first}");
    assert_eq!(first, second);
}
