//! Refresh-ahead (`refresh = "8s"` beside `ttl = "10s"`), driven by a
//! `ManualClock`: the caller that finds an entry due recomputes it while
//! every other caller of the key is served the entry without waiting.
//!
//! The computations that must stay in flight block on a [`Gate`] until the
//! test opens it, so "the others returned while the refresh ran" is shown,
//! not timed.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use memokit::{cached, ManualClock};
use support::within_watchdog;

const DUE: Duration = Duration::from_secs(8);

/// Holds computations until opened; counts those that arrived.
struct Gate {
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

impl Gate {
    const fn new() -> Self {
        Gate {
            state: Mutex::new((true, 0)),
            changed: Condvar::new(),
        }
    }

    fn close(&self) {
        self.state.lock().unwrap().0 = false;
    }

    fn open(&self) {
        self.state.lock().unwrap().0 = true;
        self.changed.notify_all();
    }

    /// Called by a computation: waits while the gate is closed.
    fn pass(&self) {
        let mut state = self.state.lock().unwrap();
        state.1 += 1;
        self.changed.notify_all();
        while !state.0 {
            state = self.changed.wait(state).unwrap();
        }
    }

    /// Waits until `n` computations in all have reached the gate.
    fn wait_arrived(&self, n: usize) {
        let mut state = self.state.lock().unwrap();
        while state.1 < n {
            state = self.changed.wait(state).unwrap();
        }
    }

    fn arrived(&self) -> usize {
        self.state.lock().unwrap().1
    }
}

static PLAIN_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "10s", refresh = "8s")]
fn plain(x: u64) -> u64 {
    x * 1000 + PLAIN_RUNS.fetch_add(1, Ordering::SeqCst) + 1
}

#[test]
fn a_due_entry_is_recomputed_by_its_caller_and_both_clocks_restart() {
    let clock = ManualClock::new();
    plain_memokit().set_clock(clock.clone());
    assert_eq!(plain(1), 1001);
    clock.advance(DUE - Duration::from_nanos(1));
    assert_eq!(plain(1), 1001, "not due before `refresh`");
    clock.advance(Duration::from_nanos(1));
    assert_eq!(plain(1), 1002, "the caller that finds it due recomputes it");
    assert_eq!(plain(1), 1002);
    // Stored at 8s: due again at 16s, expired at 18s, not at the first 10s.
    clock.advance(Duration::from_secs(5));
    assert_eq!(plain_memokit().peek(1), Some(1002), "ttl restarted");
    assert_eq!(plain(1), 1002, "refresh restarted");
    let stats = plain_memokit().stats();
    assert_eq!((stats.hits, stats.misses), (3, 2));
    assert_eq!((stats.refreshes, stats.failed_refreshes), (1, 0));
    assert_eq!((stats.refresh_hits, stats.expirations), (0, 0));
}

static IDLE_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "10s", refresh = "8s")]
fn idle(x: u64) -> u64 {
    x + IDLE_RUNS.fetch_add(1, Ordering::SeqCst)
}

#[test]
fn an_entry_nobody_asks_for_expires_at_its_ttl() {
    let clock = ManualClock::new();
    idle_memokit().set_clock(clock.clone());
    for x in 0..10 {
        idle(x * 100);
    }
    clock.advance(Duration::from_secs(9));
    assert_eq!(idle_memokit().len(), 10, "due entries are still live");
    assert_eq!(idle_memokit().peek(0), Some(0), "peek refreshes nothing");
    clock.advance(Duration::from_secs(1));
    assert_eq!(idle_memokit().peek(0), None);
    assert_eq!(idle_memokit().len(), 0);
    assert_eq!(idle(0), 10, "an expired entry is computed again, as a miss");
    let stats = idle_memokit().stats();
    assert_eq!(
        (stats.expirations, stats.refreshes, stats.misses),
        (10, 0, 11)
    );
    assert_eq!(IDLE_RUNS.load(Ordering::SeqCst), 11);
}

static CROWD_GATE: Gate = Gate::new();
static CROWD_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "10s", refresh = "8s")]
fn crowd(x: u64) -> u64 {
    let run = CROWD_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    CROWD_GATE.pass();
    x + run
}

#[test]
fn eight_threads_on_a_due_entry_start_one_refresh_and_only_its_caller_waits() {
    let returned = within_watchdog(|| {
        let clock = ManualClock::new();
        crowd_memokit().set_clock(clock.clone());
        assert_eq!(crowd(10), 11);
        clock.advance(DUE);
        CROWD_GATE.close();
        let start = Arc::new(Barrier::new(8));
        let (done, results) = mpsc::channel();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (start, done) = (Arc::clone(&start), done.clone());
                thread::spawn(move || {
                    start.wait();
                    done.send(crowd(10)).unwrap();
                })
            })
            .collect();
        // Seven callers return while the refresh is held at the gate.
        let others: Vec<u64> = (0..7).map(|_| results.recv().unwrap()).collect();
        assert_eq!(
            CROWD_GATE.arrived(),
            2,
            "one refresh, begun before they returned"
        );
        CROWD_GATE.open();
        let refresher = results.recv().unwrap();
        for thread in threads {
            thread.join().unwrap();
        }
        (others, refresher)
    });
    let (others, refresher) = returned.unwrap();
    assert_eq!(others, vec![11; 7], "served the current entry");
    assert_eq!(refresher, 12, "the refresher gets its fresh value");
    assert_eq!(crowd(10), 12);
    assert_eq!(CROWD_RUNS.load(Ordering::SeqCst), 2);
    let stats = crowd_memokit().stats();
    assert_eq!((stats.refreshes, stats.refresh_hits), (1, 7));
    assert_eq!((stats.hits, stats.misses), (8, 2));
}

static TASK_RUNS: AtomicU64 = AtomicU64::new(0);
static TASK_GATE: tokio::sync::Notify = tokio::sync::Notify::const_new();
static TASK_HOLD: AtomicBool = AtomicBool::new(false);

#[cached(ttl = "10s", refresh = "8s")]
async fn fetched(x: u64) -> u64 {
    let run = TASK_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    if TASK_HOLD.load(Ordering::SeqCst) {
        TASK_GATE.notified().await;
    }
    x + run
}

#[test]
fn sixty_four_tasks_on_a_due_entry_start_one_refresh_and_only_its_task_waits() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let (others, refresher) = runtime.block_on(async {
        let clock = ManualClock::new();
        fetched_memokit().set_clock(clock.clone());
        assert_eq!(fetched(5).await, 6);
        clock.advance(DUE);
        TASK_HOLD.store(true, Ordering::SeqCst);
        let (done, mut results) = tokio::sync::mpsc::unbounded_channel();
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let done = done.clone();
                tokio::spawn(async move { done.send(fetched(5).await).unwrap() })
            })
            .collect();
        let mut others = Vec::new();
        for _ in 0..63 {
            others.push(results.recv().await.unwrap());
        }
        assert_eq!(
            TASK_RUNS.load(Ordering::SeqCst),
            2,
            "one refresh, still held"
        );
        TASK_GATE.notify_one();
        let refresher = results.recv().await.unwrap();
        for task in tasks {
            task.await.unwrap();
        }
        (others, refresher)
    });
    assert_eq!(others, vec![6; 63]);
    assert_eq!(refresher, 7);
    assert_eq!(TASK_RUNS.load(Ordering::SeqCst), 2);
    let stats = fetched_memokit().stats();
    assert_eq!((stats.refreshes, stats.refresh_hits), (1, 63));
}

static FLAKY_FAILS: AtomicBool = AtomicBool::new(false);
static FLAKY_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "10s", refresh = "8s")]
fn flaky(x: u64) -> Result<u64, String> {
    let run = FLAKY_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    if FLAKY_FAILS.load(Ordering::SeqCst) {
        return Err(format!("run {run} failed"));
    }
    Ok(x + run)
}

#[test]
fn a_failed_refresh_keeps_the_entry_until_ttl_and_the_next_due_call_tries_again() {
    let clock = ManualClock::new();
    flaky_memokit().set_clock(clock.clone());
    assert_eq!(flaky(10), Ok(11));
    clock.advance(DUE);
    FLAKY_FAILS.store(true, Ordering::SeqCst);
    assert_eq!(flaky(10), Ok(11), "the refresher is served the kept entry");
    assert_eq!(
        flaky(10),
        Ok(11),
        "and so is the next caller, which tried again"
    );
    assert_eq!(FLAKY_RUNS.load(Ordering::SeqCst), 3);
    FLAKY_FAILS.store(false, Ordering::SeqCst);
    assert_eq!(flaky(10), Ok(14), "a later refresh succeeds");
    let stats = flaky_memokit().stats();
    assert_eq!((stats.refreshes, stats.failed_refreshes), (3, 2));
    // Failing until the ttl of the last stored value: then it expires.
    FLAKY_FAILS.store(true, Ordering::SeqCst);
    clock.advance(DUE);
    assert_eq!(flaky(10), Ok(14));
    clock.advance(Duration::from_secs(2));
    assert_eq!(flaky_memokit().peek(10), None, "expired at ttl");
    assert_eq!(
        flaky(10),
        Err("run 6 failed".to_owned()),
        "a miss returns its Err"
    );
}

static FRAGILE_PANICS: AtomicBool = AtomicBool::new(false);
static FRAGILE_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "10s", refresh = "8s")]
fn fragile(x: u64) -> u64 {
    let run = FRAGILE_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    assert!(!FRAGILE_PANICS.load(Ordering::SeqCst), "run {run} panicked");
    x + run
}

#[test]
fn a_panicking_refresh_keeps_the_entry_and_only_its_caller_sees_the_panic() {
    let clock = ManualClock::new();
    fragile_memokit().set_clock(clock.clone());
    assert_eq!(fragile(10), 11);
    clock.advance(DUE);
    FRAGILE_PANICS.store(true, Ordering::SeqCst);
    let panicked = panic::catch_unwind(AssertUnwindSafe(|| fragile(10)));
    assert!(panicked.is_err(), "the refresher sees its panic");
    assert_eq!(fragile_memokit().peek(10), Some(11), "the entry is kept");
    FRAGILE_PANICS.store(false, Ordering::SeqCst);
    assert_eq!(fragile(10), 13, "the next due call tries again");
    let stats = fragile_memokit().stats();
    assert_eq!((stats.refreshes, stats.failed_refreshes), (2, 1));
}

static FORGOTTEN_GATE: Gate = Gate::new();
static FORGOTTEN_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "10s", refresh = "8s")]
fn forgotten(x: u64) -> u64 {
    let run = FORGOTTEN_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    if x > 0 {
        FORGOTTEN_GATE.pass();
    }
    x + run
}

#[test]
fn invalidate_and_insert_during_a_refresh_win_over_its_value() {
    let outcome = within_watchdog(|| {
        let clock = ManualClock::new();
        let cache = forgotten_memokit();
        cache.set_clock(clock.clone());
        assert_eq!(forgotten(10), 11);
        assert_eq!(forgotten(20), 22);
        clock.advance(DUE);
        FORGOTTEN_GATE.close();
        let first = thread::spawn(|| forgotten(10));
        FORGOTTEN_GATE.wait_arrived(3);
        assert!(cache.invalidate(10), "the due entry was live");
        let second = thread::spawn(|| forgotten(20));
        FORGOTTEN_GATE.wait_arrived(4);
        cache.insert(20, 2000);
        FORGOTTEN_GATE.open();
        (first.join().unwrap(), second.join().unwrap())
    });
    let (first, second) = outcome.unwrap();
    assert_eq!((first, second), (13, 24), "each refresher gets its value");
    let cache = forgotten_memokit();
    assert_eq!(cache.peek(10), None, "not stored over the invalidation");
    assert_eq!(cache.peek(20), Some(2000), "nor over the insert");
}

static BOUNDED_GATE: Gate = Gate::new();
static BOUNDED_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(capacity = 1, ttl = "10s", refresh = "8s")]
fn bounded(x: u64) -> u64 {
    let run = BOUNDED_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
    if x == 1 {
        BOUNDED_GATE.pass();
    }
    x * 100 + run
}

#[test]
fn an_entry_evicted_while_it_is_refreshed_comes_back_with_the_refreshed_value() {
    let outcome = within_watchdog(|| {
        let clock = ManualClock::new();
        let cache = bounded_memokit();
        cache.set_clock(clock.clone());
        assert_eq!(bounded(1), 101);
        clock.advance(DUE);
        BOUNDED_GATE.close();
        let refresher = thread::spawn(|| bounded(1));
        BOUNDED_GATE.wait_arrived(2);
        assert_eq!(bounded(2), 203, "a miss of another key evicts the entry");
        assert_eq!(cache.peek(1), None);
        assert_eq!(cache.len(), 1);
        // A caller of the evicted key misses: it joins the refresh in
        // flight (or, started late, hits what it stored).
        let joiner = thread::spawn(|| bounded(1));
        BOUNDED_GATE.open();
        (refresher.join().unwrap(), joiner.join().unwrap())
    });
    let (refreshed, joined) = outcome.unwrap();
    assert_eq!(refreshed, 102);
    let cache = bounded_memokit();
    assert_eq!(cache.peek(1), Some(102), "stored again, evicting the other");
    assert_eq!(joined, 102, "the joining caller got the refreshed value");
    assert_eq!(cache.len(), 1);
    assert_eq!(BOUNDED_RUNS.load(Ordering::SeqCst), 3);
    let stats = bounded_memokit().stats();
    assert_eq!((stats.refreshes, stats.evictions), (1, 2));
}

static SOLO_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "1s", refresh = "800ms")]
fn solo() -> u64 {
    SOLO_RUNS.fetch_add(1, Ordering::SeqCst) + 1
}

#[test]
fn a_function_without_arguments_refreshes_its_single_entry() {
    let clock = ManualClock::new();
    solo_memokit().set_clock(clock.clone());
    assert_eq!(solo(), 1);
    clock.advance(Duration::from_millis(799));
    assert_eq!(solo(), 1);
    clock.advance(Duration::from_millis(1));
    assert_eq!(solo(), 2);
    clock.advance(Duration::from_millis(799));
    assert_eq!(solo(), 2);
    clock.advance(Duration::from_millis(201));
    assert_eq!(solo(), 3, "expired at ttl: a miss");
    let stats = solo_memokit().stats();
    assert_eq!((stats.refreshes, stats.expirations), (1, 1));
}

struct Service {
    id: u32,
}

impl Service {
    #[cached(key = (self.id, page), capacity = 100, ttl = "1m", refresh = "50s")]
    fn page(&self, page: u32) -> String {
        format!(
            "{}:{page}:{}",
            self.id,
            METHOD_RUNS.fetch_add(1, Ordering::SeqCst)
        )
    }
}

static METHOD_RUNS: AtomicU64 = AtomicU64::new(0);

#[cached(ttl = "1m", refresh = "50s")]
fn parsed<T: std::str::FromStr + Clone + Send + Sync + 'static>(text: &str) -> Option<T> {
    GENERIC_RUNS.fetch_add(1, Ordering::SeqCst);
    text.parse().ok()
}

static GENERIC_RUNS: AtomicU64 = AtomicU64::new(0);

const TTL: Duration = Duration::from_secs(60);
const REFRESH: Duration = Duration::from_secs(50);

#[cached(ttl = TTL, refresh = REFRESH)]
fn constant_durations(x: u64) -> u64 {
    x + CONST_RUNS.fetch_add(1, Ordering::SeqCst)
}

static CONST_RUNS: AtomicU64 = AtomicU64::new(0);

#[test]
fn refresh_combines_with_methods_keys_capacity_generics_and_constants() {
    let clock = ManualClock::new();
    Service::page_memokit().set_clock(clock.clone());
    let service = Service { id: 7 };
    assert_eq!(service.page(1), "7:1:0");
    clock.advance(REFRESH);
    assert_eq!(service.page(1), "7:1:1");
    assert_eq!(Service::page_memokit().stats().refreshes, 1);

    let clock = ManualClock::new();
    parsed_memokit::<u8>().set_clock(clock.clone());
    assert_eq!(parsed::<u8>("7"), Some(7));
    clock.advance(REFRESH);
    assert_eq!(parsed::<u8>("7"), Some(7));
    assert_eq!(GENERIC_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(parsed_memokit::<u8>().stats().refreshes, 1);

    let clock = ManualClock::new();
    constant_durations_memokit().set_clock(clock.clone());
    assert_eq!(constant_durations(1), 1);
    clock.advance(REFRESH);
    assert_eq!(constant_durations(1), 2);
    clock.advance(TTL - Duration::from_nanos(1));
    assert_eq!(constant_durations_memokit().peek(1), Some(2));
    clock.advance(Duration::from_nanos(1));
    assert_eq!(constant_durations_memokit().peek(1), None);
}

static REPORTED_FAILS: AtomicBool = AtomicBool::new(false);

#[cached(ttl = "10s", refresh = "8s")]
fn reported(x: u64) -> Result<u64, String> {
    if REPORTED_FAILS.load(Ordering::SeqCst) {
        return Err("down".to_owned());
    }
    Ok(x)
}

#[test]
fn the_report_shows_refreshes_failures_and_hits_meanwhile() {
    let clock = ManualClock::new();
    reported_memokit().set_clock(clock.clone());
    reported(1).unwrap();
    clock.advance(DUE);
    reported(1).unwrap();
    clock.advance(DUE);
    REPORTED_FAILS.store(true, Ordering::SeqCst);
    reported(1).unwrap();
    let report = memokit::report();
    let row = report.row("reported").expect("a row");
    assert_eq!(row.refresh, Some(DUE));
    assert_eq!(
        (row.refreshes, row.failed_refreshes, row.refresh_hits),
        (2, 1, 0)
    );
    let table = report.to_string();
    let line = table.lines().find(|l| l.contains("reported")).unwrap();
    assert!(line.contains("ttl 10s, refresh 8s"), "{line}");
    assert!(line.contains("2, 1 failed, 0 hits meanwhile"), "{line}");
    println!("{table}");
}
