//! Single-flight, isolation between keys, panics: with real threads.

use memokit::cached;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

/// A gate a computation blocks on until the test opens it.
struct Gate(Mutex<bool>, std::sync::Condvar);

impl Gate {
    const fn new() -> Self {
        Gate(Mutex::new(false), std::sync::Condvar::new())
    }
    fn open(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_all();
    }
    fn wait(&self) {
        let mut open = self.0.lock().unwrap();
        while !*open {
            open = self.1.wait(open).unwrap();
        }
    }
}

const LONG: Duration = Duration::from_secs(30);

static SLOW_GATE: Gate = Gate::new();
static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn slow(x: u32) -> u32 {
    SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
    SLOW_GATE.wait();
    x * 2
}

#[test]
fn concurrent_callers_of_one_key_share_one_computation() {
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                slow(21)
            })
        })
        .collect();
    // Let every caller reach the cache, then let the computation finish.
    thread::sleep(Duration::from_millis(50));
    SLOW_GATE.open();
    for h in handles {
        assert_eq!(h.join().unwrap(), 42);
    }
    assert_eq!(SLOW_RUNS.load(Ordering::SeqCst), 1);
    let stats = slow_memokit().stats();
    assert_eq!((stats.misses, stats.hits), (1, threads as u64 - 1));
}

static BLOCKED_GATE: Gate = Gate::new();

#[cached]
fn blocks_on_one(x: u32) -> u32 {
    if x == 1 {
        BLOCKED_GATE.wait();
    }
    x
}

#[test]
fn other_keys_never_wait_for_a_computation() {
    let (started_tx, started_rx) = mpsc::channel();
    let stuck = thread::spawn(move || {
        started_tx.send(()).unwrap();
        blocks_on_one(1)
    });
    started_rx.recv().unwrap();
    thread::sleep(Duration::from_millis(20)); // key 1 is now (very likely) computing
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || done_tx.send(blocks_on_one(2)).unwrap());
    assert_eq!(done_rx.recv_timeout(LONG), Ok(2), "key 2 waited for key 1");
    assert_eq!(blocks_on_one_memokit().peek(2), Some(2));
    BLOCKED_GATE.open();
    assert_eq!(stuck.join().unwrap(), 1);
}

static PANIC_GATE: Gate = Gate::new();
static PANIC_RUNS: AtomicUsize = AtomicUsize::new(0);
static GOOD_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn first_run_panics(x: u32) -> u32 {
    if PANIC_RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
        PANIC_GATE.wait();
        panic!("first computation fails");
    }
    GOOD_RUNS.fetch_add(1, Ordering::SeqCst);
    x + 1
}

#[test]
fn a_panicking_computation_hands_over_to_exactly_one_waiter() {
    let (started_tx, started_rx) = mpsc::channel();
    let leader = thread::spawn(move || {
        started_tx.send(()).unwrap();
        first_run_panics(7)
    });
    started_rx.recv().unwrap();
    thread::sleep(Duration::from_millis(20));
    let waiters: Vec<_> = (0..4)
        .map(|_| thread::spawn(|| first_run_panics(7)))
        .collect();
    thread::sleep(Duration::from_millis(50));
    PANIC_GATE.open();
    let err = leader.join().unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"first computation fails"));
    for w in waiters {
        assert_eq!(w.join().unwrap(), 8, "waiters see the value, not the panic");
    }
    assert_eq!(
        GOOD_RUNS.load(Ordering::SeqCst),
        1,
        "exactly one waiter computed"
    );
    // Nothing is poisoned: the cache answers and accepts new keys.
    assert_eq!(first_run_panics(7), 8);
    assert_eq!(first_run_panics(8), 9);
}

static PER_KEY: Mutex<Vec<u32>> = Mutex::new(Vec::new());

#[cached]
fn record(x: u32) -> u32 {
    PER_KEY.lock().unwrap().push(x);
    x ^ 0x55
}

#[test]
fn under_contention_every_key_is_computed_once() {
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for i in 0..2000u32 {
                    let x = (i * 7 + t) % 500;
                    assert_eq!(record(x), x ^ 0x55);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut seen = PER_KEY.lock().unwrap().clone();
    seen.sort_unstable();
    let unique = seen.len();
    seen.dedup();
    assert_eq!(unique, seen.len(), "a key was computed twice");
    assert_eq!(seen.len(), 500);
    let stats = record_memokit().stats();
    assert_eq!(stats.hits + stats.misses, 8000);
    assert_eq!(stats.misses, 500);
}

#[cached]
fn fib(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

#[test]
fn recursive_functions_from_many_threads() {
    let handles: Vec<_> = (0..4).map(|_| thread::spawn(|| fib(80))).collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 23_416_728_348_467_685);
    }
    assert_eq!(fib_memokit().stats().misses, 81);
}
