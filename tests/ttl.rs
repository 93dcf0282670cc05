//! Expiry with an injected clock, and one check against the real clock.

use memokit::{cached, ManualClock};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached(ttl = "1s")]
fn refreshed() -> usize {
    RUNS.fetch_add(1, Ordering::SeqCst) + 1
}

#[test]
fn an_entry_is_served_until_its_deadline_and_never_after() {
    let clock = ManualClock::new();
    refreshed_memokit().set_clock(clock.clone());
    assert_eq!(refreshed(), 1);
    clock.advance(Duration::from_millis(999));
    assert_eq!(refreshed(), 1);
    clock.advance(Duration::from_millis(1));
    assert_eq!(refreshed(), 2, "expired at exactly its deadline");
    assert_eq!(refreshed(), 2);
    let stats = refreshed_memokit().stats();
    assert_eq!((stats.hits, stats.misses, stats.expirations), (2, 2, 1));
}

#[cached(ttl = "10s")]
fn churn(x: u32) -> u32 {
    x
}

#[test]
fn expired_entries_are_reclaimed_without_asking_their_key_again() {
    let clock = ManualClock::new();
    churn_memokit().set_clock(clock.clone());
    for x in 0..100 {
        churn(x);
    }
    assert_eq!(churn_memokit().len(), 100);
    clock.advance(Duration::from_secs(10));
    assert_eq!(churn_memokit().len(), 0);
    assert_eq!(churn_memokit().stats().expirations, 100);
    assert_eq!(churn_memokit().peek(3), None);
}

#[cached(ttl = "1m")]
fn swept_in_background(x: u32) -> u32 {
    x
}

#[test]
fn the_clock_thread_sweeps_idle_caches() {
    let clock = ManualClock::new();
    swept_in_background_memokit().set_clock(clock.clone());
    for x in 0..50 {
        swept_in_background(x);
    }
    clock.advance(Duration::from_secs(61));
    // No call touches the cache now; the sweeper runs about once a second.
    let start = Instant::now();
    while swept_in_background_memokit().stats().expirations < 50 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "entries never swept"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(swept_in_background_memokit().stats().expirations, 50);
}

#[cached(ttl = "1h 30m", capacity = 4)]
fn both(x: u32) -> u32 {
    x
}

#[test]
fn ttl_and_capacity_combine() {
    let clock = ManualClock::new();
    both_memokit().set_clock(clock.clone());
    for x in 0..10 {
        both(x);
    }
    assert_eq!(both_memokit().len(), 4);
    assert_eq!(both_memokit().stats().evictions, 6);
    clock.advance(Duration::from_secs(90 * 60));
    assert_eq!(both_memokit().len(), 0);
}

#[test]
#[should_panic(expected = "the clock of `both_twice` is already set")]
fn setting_a_clock_twice_panics_naming_the_function() {
    #[cached(ttl = "1s")]
    fn both_twice() -> u8 {
        0
    }
    both_twice_memokit().set_clock(ManualClock::new());
    both_twice_memokit().set_clock(ManualClock::new());
}

static REAL: AtomicUsize = AtomicUsize::new(0);

#[cached(ttl = "30ms")]
fn real_clock() -> usize {
    REAL.fetch_add(1, Ordering::SeqCst) + 1
}

#[test]
fn the_system_clock_expires_entries() {
    let first = real_clock();
    let stored_at = Instant::now();
    std::thread::sleep(Duration::from_millis(40));
    assert!(stored_at.elapsed() >= Duration::from_millis(30));
    assert_eq!(real_clock(), first + 1);
}

static STARVED: AtomicUsize = AtomicUsize::new(0);

// Longer than the precise window: only the counter's guard expires it
// while the clock thread's coarse time stands still.
#[cached(ttl = "60ms")]
fn while_starved() -> usize {
    STARVED.fetch_add(1, Ordering::SeqCst) + 1
}

#[test]
fn an_entry_expires_while_the_clock_thread_is_starved() {
    let ttl = Duration::from_millis(60);
    let starved = memokit::__private::starve_clock();
    let first = while_starved();
    // The deadline was stamped before this: it is no later than this + ttl.
    let stored_by = Instant::now();
    let watchdog = stored_by + Duration::from_secs(10);
    loop {
        let asked_at = Instant::now();
        if while_starved() != first {
            break;
        }
        assert!(
            asked_at < stored_by + ttl,
            "served {:?} past its deadline (counter guard: {})",
            asked_at - (stored_by + ttl),
            starved.guarded()
        );
        assert!(Instant::now() < watchdog, "never recomputed");
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(starved);
}
