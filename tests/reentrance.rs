//! User code that uses the cache it is stored in: a value's `Clone` and
//! `Drop`, a key's `Hash` and `Eq`. None of it runs under a lock it could
//! need: what can work works, and what would wait for itself (changing a
//! cache from inside a read of it) panics naming the function. Each
//! scenario runs under a watchdog, so a deadlock fails instead of hanging.

use memokit::cached;

mod support;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;
use support::{panic_message as message, within_watchdog};

/// A value whose `Clone` asks its own cache for its length.
#[derive(Debug, PartialEq)]
struct Measured(u32);

impl Clone for Measured {
    fn clone(&self) -> Self {
        let _ = measured_memokit().len();
        Measured(self.0)
    }
}

#[cached]
fn measured(k: u32) -> Measured {
    Measured(k)
}

#[test]
fn a_clone_may_read_its_own_cache_on_misses_and_hits() {
    let outcome = within_watchdog(|| {
        for round in 0..3 {
            for k in 0..50 {
                assert_eq!(measured(k), Measured(k), "round {round}");
            }
        }
        measured_memokit().len()
    });
    assert_eq!(outcome, Ok(50));
}

/// A value whose `Clone` calls its own function with another key.
#[derive(Debug, PartialEq)]
struct Chained(u32);

impl Clone for Chained {
    fn clone(&self) -> Self {
        if self.0 > 0 {
            assert_eq!(chained(self.0 - 1), Chained(self.0 - 1));
        }
        Chained(self.0)
    }
}

#[cached]
fn chained(k: u32) -> Chained {
    Chained(k)
}

#[test]
fn a_clone_may_call_its_own_function() {
    // Misses clone with no lock held, so the clone may even compute.
    let outcome = within_watchdog(|| {
        for k in 0..20 {
            chained(k);
        }
        // Hits clone under a shared read: the nested calls hit too.
        for k in 0..20 {
            chained(k);
        }
        chained_memokit().stats()
    })
    .expect("no panic");
    assert_eq!(outcome.misses, 20);
}

/// A value whose `Drop` asks its own cache for its length.
struct Dropped(u32);

static DROPS: AtomicUsize = AtomicUsize::new(0);

impl Clone for Dropped {
    fn clone(&self) -> Self {
        Dropped(self.0)
    }
}

impl Drop for Dropped {
    fn drop(&mut self) {
        let _ = dropped_memokit().len();
        DROPS.fetch_add(1, Ordering::Relaxed);
    }
}

#[cached(capacity = 8)]
fn dropped(k: u32) -> Dropped {
    Dropped(k)
}

#[test]
fn a_drop_may_use_its_own_cache_when_an_entry_is_evicted_replaced_or_cleared() {
    let outcome = within_watchdog(|| {
        for k in 0..100 {
            drop(dropped(k)); // evicts, once full
        }
        dropped_memokit().insert(99, Dropped(99)); // replaces
        dropped_memokit().invalidate(98);
        dropped_memokit().clear();
        dropped_memokit().len()
    });
    assert_eq!(outcome, Ok(0));
    assert!(DROPS.load(Ordering::Relaxed) >= 200);
}

/// A value whose `Clone` changes its own cache: the clone of a hit runs
/// under a shared read of its shard, where a change would wait for itself;
/// so changing any shard of the cache from there panics, wherever the
/// changed key lives.
#[derive(Debug, PartialEq)]
struct Meddling(u32);

static MEDDLE: AtomicBool = AtomicBool::new(false);

impl Clone for Meddling {
    fn clone(&self) -> Self {
        if MEDDLE.load(Ordering::Relaxed) {
            // Another key, so in any shard: every shard of the cache is
            // off limits while one is read.
            meddling_memokit().invalidate(self.0 + 1);
        }
        Meddling(self.0)
    }
}

#[cached]
fn meddling(k: u32) -> Meddling {
    Meddling(k)
}

#[test]
fn a_clone_that_changes_its_cache_on_a_hit_panics_naming_the_function() {
    meddling(1);
    MEDDLE.store(true, Ordering::Relaxed);
    // A miss clones with no lock held: the change is fine.
    assert_eq!(within_watchdog(|| meddling(2)), Ok(Meddling(2)));
    let panicked = within_watchdog(|| meddling(1)).expect_err("a hit that would deadlock");
    assert!(panicked.contains("`meddling`"), "{panicked}");
    assert!(panicked.contains("would deadlock"), "{panicked}");
    MEDDLE.store(false, Ordering::Relaxed);
    // Nothing was left locked or announced.
    assert_eq!(within_watchdog(|| meddling(1)), Ok(Meddling(1)));
    assert_eq!(
        within_watchdog(|| meddling_memokit().invalidate(1)),
        Ok(true)
    );
}

/// A key whose `Hash` reads the cache: hashing never happens under a lock.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Probing(u32);

impl Hash for Probing {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let _ = probing_memokit().len();
        self.0.hash(state);
    }
}

#[cached(capacity = 16)]
fn probing(k: Probing) -> u32 {
    k.0
}

#[test]
fn a_hash_may_use_its_own_cache() {
    let outcome = within_watchdog(|| {
        for k in 0..200 {
            assert_eq!(probing(Probing(k % 40)), k % 40);
        }
        probing_memokit().invalidate(Probing(3));
        probing_memokit().insert(Probing(1), 7);
        probing_memokit().len()
    });
    assert!(outcome.expect("no panic") <= 16);
}

/// A key whose `Eq` reads the cache. `Eq` runs under the shard's lock: a
/// read inside a hit's read needs no lock and works; inside a write (an
/// `insert` of a stored key) it panics instead of waiting for itself.
#[derive(Clone, Debug)]
struct Comparing(u32);

impl Hash for Comparing {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Comparing {
    fn eq(&self, other: &Self) -> bool {
        let _ = comparing_memokit().len();
        self.0 == other.0
    }
}

impl Eq for Comparing {}

#[cached]
fn comparing(k: Comparing) -> u32 {
    k.0
}

#[test]
fn an_eq_that_uses_its_cache_panics_instead_of_deadlocking() {
    let hits = within_watchdog(|| {
        comparing(Comparing(1));
        comparing(Comparing(1))
    });
    assert_eq!(hits, Ok(1));
    let panicked = within_watchdog(|| comparing_memokit().insert(Comparing(1), 5))
        .expect_err("a write that would deadlock");
    assert!(panicked.contains("`comparing`"), "{panicked}");
    assert_eq!(within_watchdog(|| comparing(Comparing(1))), Ok(1));
}

/// A value whose `Clone` reads its own cache while other threads write to
/// it: a nested read must not queue behind a writer that waits for it.
#[derive(Debug, PartialEq)]
struct Busy(u32);

thread_local! {
    static CLONING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Clone for Busy {
    fn clone(&self) -> Self {
        if !CLONING.replace(true) {
            let _ = busy_memokit().len();
            let _ = busy_memokit().peek(self.0 ^ 1);
            CLONING.set(false);
        }
        Busy(self.0)
    }
}

#[cached]
fn busy(k: u32) -> Busy {
    Busy(k)
}

#[test]
fn nested_reads_do_not_wait_for_writers_that_wait_for_them() {
    let outcome = within_watchdog(|| {
        thread::scope(|s| {
            for t in 0..2u32 {
                s.spawn(move || {
                    for i in 0..20_000u32 {
                        assert_eq!(busy(i % 4), Busy(i % 4));
                        if i % 7 == t {
                            busy_memokit().invalidate((i + t) % 4);
                        }
                    }
                });
            }
        });
    });
    assert_eq!(outcome, Ok(()));
}

/// A function without arguments (one entry, read without the lock) whose
/// value's `Clone` reads the cache while another thread writes.
#[derive(Debug, PartialEq)]
struct Solo(u32);

impl Clone for Solo {
    fn clone(&self) -> Self {
        let _ = solo_memokit().len();
        Solo(self.0)
    }
}

#[cached]
fn solo() -> Solo {
    Solo(7)
}

#[test]
fn the_single_entry_of_a_function_without_arguments_can_be_read_from_its_clone() {
    let outcome = within_watchdog(|| {
        thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..20_000 {
                    assert_eq!(solo(), Solo(7));
                }
            });
            s.spawn(|| {
                for _ in 0..2_000 {
                    solo_memokit().clear();
                    thread::yield_now();
                }
            });
        });
    });
    assert_eq!(outcome, Ok(()));
}

/// A value whose first `Clone` panics, cloned by a leader that has a
/// waiter: the waiter is woken to compute, instead of waiting forever.
#[derive(Debug, PartialEq)]
struct Fragile(u32);

static FRAGILE: AtomicBool = AtomicBool::new(true);
static FRAGILE_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        if FRAGILE.swap(false, Ordering::Relaxed) {
            panic!("the first clone fails");
        }
        Fragile(self.0)
    }
}

#[cached]
fn fragile(k: u32) -> Fragile {
    if FRAGILE_RUNS.fetch_add(1, Ordering::Relaxed) == 0 {
        // Give a second caller the time to start waiting for this one.
        thread::sleep(Duration::from_millis(100));
    }
    Fragile(k)
}

#[test]
fn a_clone_that_panics_while_the_leader_stores_wakes_its_waiters() {
    let outcome = within_watchdog(|| {
        let leader = thread::spawn(|| fragile(1));
        thread::sleep(Duration::from_millis(20));
        let waiter = thread::spawn(|| fragile(1));
        (
            leader.join().map_err(message),
            waiter.join().map_err(message),
        )
    })
    .expect("no panic outside the callers");
    let (leader, waiter) = outcome;
    assert!(leader
        .expect_err("the clone panicked")
        .contains("first clone"));
    assert_eq!(waiter, Ok(Fragile(1)));
    assert_eq!(FRAGILE_RUNS.load(Ordering::Relaxed), 2);
}

/// A value whose `Drop` panics when it is evicted, by a leader that has a
/// waiter: the waiter still gets its value.
#[derive(Clone, Debug, PartialEq)]
struct Brittle(u32);

static BRITTLE: AtomicBool = AtomicBool::new(false);
static BRITTLE_SLOW: AtomicBool = AtomicBool::new(false);

impl Drop for Brittle {
    fn drop(&mut self) {
        if self.0 == 1 && BRITTLE.swap(false, Ordering::Relaxed) {
            panic!("the evicted value's drop fails");
        }
    }
}

#[cached(capacity = 1)]
fn brittle(k: u32) -> Brittle {
    if BRITTLE_SLOW.swap(false, Ordering::Relaxed) {
        // Give a second caller the time to start waiting for this one.
        thread::sleep(Duration::from_millis(100));
    }
    Brittle(k)
}

#[test]
fn a_drop_that_panics_when_the_leader_evicts_still_wakes_its_waiters() {
    drop(brittle(1));
    BRITTLE.store(true, Ordering::Relaxed);
    BRITTLE_SLOW.store(true, Ordering::Relaxed);
    let outcome = within_watchdog(|| {
        let leader = thread::spawn(|| brittle(2).0);
        thread::sleep(Duration::from_millis(20));
        let waiter = thread::spawn(|| brittle(2).0);
        (
            leader.join().map_err(message),
            waiter.join().map_err(message),
        )
    })
    .expect("no panic outside the callers");
    let (leader, waiter) = outcome;
    assert!(leader
        .expect_err("the drop panicked")
        .contains("drop fails"));
    assert_eq!(waiter, Ok(2));
}

/// A value whose `Clone` calls its own function with keys never asked for:
/// on a hit the clone runs under a shared read, where storing would wait for
/// this thread, so those nested misses are computed and not stored.
#[derive(Debug, PartialEq)]
struct Curious(u32);

impl Clone for Curious {
    fn clone(&self) -> Self {
        if self.0 < 1_000 {
            assert_eq!(curious(self.0 + 1_000), Curious(self.0 + 1_000));
        }
        Curious(self.0)
    }
}

#[cached]
fn curious(k: u32) -> Curious {
    Curious(k)
}

#[test]
fn a_clone_may_miss_in_its_own_cache_on_a_hit() {
    let outcome = within_watchdog(|| {
        // The miss of 1 clones with no lock held: its nested miss of 1001
        // is stored.
        assert_eq!(curious(1), Curious(1));
        assert!(curious_memokit().contains(1_001));
        curious_memokit().invalidate(1_001);
        // The hit of 1 clones under a read: 1001 is computed, not stored.
        assert_eq!(curious(1), Curious(1));
        assert!(!curious_memokit().contains(1_001));
        curious_memokit().stats()
    })
    .expect("no panic");
    assert_eq!((outcome.hits, outcome.misses), (1, 3));
}

/// The same `Clone` that reads its cache, in expiring and bounded caches,
/// whose reads sweep or evict.
#[derive(Debug, PartialEq)]
struct Counted(u32);

impl Clone for Counted {
    fn clone(&self) -> Self {
        let _ = expiring_counted_memokit().len();
        let _ = bounded_counted_memokit().len();
        Counted(self.0)
    }
}

#[cached(ttl = "1h")]
fn expiring_counted(k: u32) -> Counted {
    Counted(k)
}

#[cached(capacity = 4)]
fn bounded_counted(k: u32) -> Counted {
    Counted(k)
}

#[test]
fn a_clone_may_read_expiring_and_bounded_caches() {
    let clock = memokit::ManualClock::new();
    expiring_counted_memokit().set_clock(clock.clone());
    let outcome = within_watchdog(move || {
        for round in 0..3u32 {
            for k in 0..20 {
                assert_eq!(expiring_counted(k), Counted(k));
                assert_eq!(bounded_counted(k % 8), Counted(k % 8));
            }
            clock.advance(Duration::from_secs(1800 * u64::from(round)));
        }
        (
            expiring_counted_memokit().len(),
            bounded_counted_memokit().len(),
        )
    });
    let (expiring, bounded) = outcome.expect("no panic");
    assert!(expiring <= 20 && bounded <= 4, "{expiring} {bounded}");
}

/// A key whose `Clone` reads its own cache: the key is cloned only with no
/// lock held (a flight takes the caller's copy, and gives it back to be
/// stored), so misses and hits work.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SelfAware(u32);

static KEY_CLONES: AtomicUsize = AtomicUsize::new(0);

impl Clone for SelfAware {
    fn clone(&self) -> Self {
        KEY_CLONES.fetch_add(1, Ordering::Relaxed);
        let _ = self_aware_memokit().len();
        SelfAware(self.0)
    }
}

#[cached(capacity = 8)]
fn self_aware(k: SelfAware) -> u32 {
    k.0
}

#[test]
fn a_key_clone_may_read_its_own_cache() {
    let outcome = within_watchdog(|| {
        for round in 0..3 {
            for k in 0..16 {
                assert_eq!(self_aware(SelfAware(k)), k, "round {round}");
            }
        }
        (
            self_aware_memokit().len(),
            self_aware_memokit().stats().misses,
        )
    });
    let (len, misses) = outcome.expect("no panic");
    assert_eq!(len, 8);
    // One clone per miss (the owned key, made from the borrowed argument),
    // none under a lock.
    assert_eq!(KEY_CLONES.load(Ordering::Relaxed) as u64, misses);
}
