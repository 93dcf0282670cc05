//! The profile report read by a program with known workloads.
//!
//! Each test uses its own functions, so tests running in parallel do not
//! disturb each other's rows. No test asserts a speed beyond robust
//! orderings: a 2 ms function is surely worth caching, `x + 1` surely not.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use memokit::{cached, HitCostSource, ManualClock, Mode, Report, Row, Verdict};

/// Busy-waits `d`: unlike `sleep`, never much longer than asked.
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn row<'a>(report: &'a Report, name: &str) -> &'a Row {
    report
        .row(name)
        .unwrap_or_else(|| panic!("no row for `{name}` in\n{report}"))
}

#[cached]
fn square(x: u64) -> u64 {
    x * x
}

#[test]
fn counts_are_exact() {
    for i in 0..1_000 {
        assert_eq!(square(i % 10), (i % 10) * (i % 10));
    }
    let report = memokit::report();
    let row = row(&report, "square");
    assert_eq!((row.hits, row.misses, row.entries), (990, 10, 10));
    assert_eq!(row.hit_rate, 0.99);
    assert_eq!(row.mode, Mode::Permanent);
    assert_eq!((row.name, row.path.as_str()), ("square", "report::square"));
    assert!(
        row.location.starts_with("tests/report.rs:"),
        "{}",
        row.location
    );
    assert_eq!(row.hit_cost_source, HitCostSource::OwnEntry);
}

#[cached]
fn shared_by_threads(x: u64) -> u64 {
    x + 1
}

#[test]
fn counts_are_exact_across_threads() {
    const THREADS: u64 = 8;
    const CALLS: u64 = 5_000;
    thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                for i in 0..CALLS {
                    shared_by_threads((i + t) % 50);
                }
            });
        }
    });
    // Read right after the scope: counts of threads that just exited are in.
    let stats = shared_by_threads_memokit().stats();
    assert_eq!(stats.misses, 50);
    assert_eq!(stats.hits, THREADS * CALLS - 50);
}

#[cached]
fn outlived_by_its_callers(x: u64) -> u64 {
    x
}

#[test]
fn counts_survive_threads_that_come_and_go() {
    // Many short-lived threads: exited threads' slots pass to new ones.
    for round in 0..25 {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                thread::spawn(move || {
                    for i in 0..100 {
                        outlived_by_its_callers((round * 4 + t + i) % 10);
                    }
                })
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
    }
    let report = memokit::report();
    let row = row(&report, "outlived_by_its_callers");
    assert_eq!((row.hits, row.misses), (10_000 - 10, 10));
}

#[cached]
fn slow_square(x: u64) -> u64 {
    thread::sleep(Duration::from_millis(2));
    x * x
}

#[test]
fn an_expensive_function_saves_time() {
    for _ in 0..10 {
        for x in 0..5 {
            slow_square(x);
        }
    }
    let report = memokit::report();
    let row = row(&report, "slow_square");
    assert_eq!((row.hits, row.misses), (45, 5));
    assert!(row.mean_compute >= Duration::from_millis(2), "{row:?}");
    assert!(row.median_compute >= Duration::from_micros(1750), "{row:?}");
    assert!(row.hit_cost < row.mean_compute);
    assert!(row.time_saved_ns > 0, "{row:?}");
    assert_eq!(row.verdict, Verdict::WorthIt);
}

#[cached]
fn add_one(x: u64) -> u64 {
    x + 1
}

#[test]
fn a_trivial_function_is_not_worth_caching() {
    for _ in 0..100 {
        for x in 0..100 {
            add_one(x);
        }
    }
    let report = memokit::report();
    let row = row(&report, "add_one");
    assert_eq!((row.hits, row.misses), (9_900, 100));
    let Verdict::NotWorthIt { compute, hit } = row.verdict else {
        panic!("`x + 1` judged {:?}\n{report}", row.verdict);
    };
    assert_eq!((compute, hit), (row.median_compute, row.hit_cost));
    assert!(row
        .verdict
        .to_string()
        .starts_with("not worth it: computes in"));
}

#[cached(capacity = 50)]
fn unique_requests(id: u64) -> String {
    spin(Duration::from_micros(20));
    id.to_string()
}

#[test]
fn unique_inputs_make_a_cold_cache() {
    for id in 0..200 {
        unique_requests(id);
    }
    let report = memokit::report();
    let row = row(&report, "unique_requests");
    assert_eq!((row.hits, row.misses), (0, 200));
    assert_eq!((row.entries, row.evictions), (50, 150));
    assert_eq!(row.mode, Mode::Capacity(50));
    assert_eq!(
        row.verdict,
        Verdict::Cold {
            hit_rate: 0.0,
            calls: 200
        }
    );
}

#[cached]
fn parse_line(line: String) -> usize {
    spin(Duration::from_micros(20));
    line.len()
}

#[test]
fn a_permanent_cache_of_unique_inputs_grows_without_bound() {
    for i in 0..1_200 {
        parse_line(format!("line {i}"));
        if i % 3 == 0 {
            parse_line(format!("line {i}"));
        }
    }
    let report = memokit::report();
    let row = row(&report, "parse_line");
    assert_eq!((row.hits, row.misses, row.entries), (400, 1_200, 1_200));
    assert!(matches!(
        row.verdict,
        Verdict::UnboundedGrowth { entries: 1_200, .. }
    ));
    assert!(row.verdict.to_string().contains("add `capacity` or `ttl`"));
}

#[cached]
fn called_once(x: u64) -> u64 {
    spin(Duration::from_micros(50));
    x
}

#[cached]
fn never_called(x: u64) -> u64 {
    x
}

#[test]
fn too_few_calls_and_empty_caches() {
    called_once(1);
    assert!(never_called_memokit().is_empty()); // registers the cache
    let report = memokit::report();
    let once = row(&report, "called_once");
    assert_eq!(once.verdict, Verdict::TooFewCalls { calls: 1 });
    let never = row(&report, "never_called");
    assert_eq!(never.verdict, Verdict::TooFewCalls { calls: 0 });
    assert_eq!(never.hit_cost_source, HitCostSource::Reference);
    assert!(never.hit_cost > Duration::ZERO);
}

#[cached(ttl = "1s")]
fn expiring(x: u64) -> u64 {
    spin(Duration::from_micros(20));
    x
}

#[test]
fn expirations_are_reported() {
    let clock = ManualClock::new();
    expiring_memokit().set_clock(clock.clone());
    for x in 0..10 {
        expiring(x);
        expiring(x);
    }
    clock.advance(Duration::from_secs(2));
    let report = memokit::report();
    let row = row(&report, "expiring");
    assert_eq!(row.mode, Mode::Ttl(Duration::from_secs(1)));
    assert_eq!((row.hits, row.misses), (10, 10));
    assert_eq!((row.entries, row.expirations), (0, 10));
}

#[cached]
fn reset_me(x: u64) -> u64 {
    x
}

#[test]
fn counts_restart_from_zero_after_a_reset() {
    for _ in 0..3 {
        reset_me(1);
    }
    reset_me_memokit().reset_stats();
    for _ in 0..5 {
        reset_me(1);
    }
    let report = memokit::report();
    let row = row(&report, "reset_me");
    assert_eq!((row.hits, row.misses), (5, 0));
}

#[cached]
fn shown_in_the_table(x: u64) -> u64 {
    spin(Duration::from_micros(20));
    x
}

#[test]
fn the_table_is_aligned() {
    shown_in_the_table(1);
    shown_in_the_table(1);
    let text = memokit::report().to_string();
    let lines: Vec<&str> = text.lines().collect();
    let column = |line: &str, word: &str| line.find(word).map(|i| line[..i].chars().count());
    let header = column(lines[0], "verdict").expect("a header");
    let rows = lines
        .iter()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("report::"));
    let mut seen = 0;
    for line in rows {
        let starts = ["worth it", "not worth it", "cold", "unbounded", "too few"];
        let at = starts.iter().filter_map(|w| column(line, w)).min();
        assert_eq!(at, Some(header), "misaligned:\n{text}");
        seen += 1;
    }
    assert!(seen >= 1, "{text}");
    assert!(text.contains("report::shown_in_the_table"));
}

/// While set, every `Hash`, `Eq`, `Clone` and `Drop` of [`Tripwire`] and
/// [`Heavy`] panics: what runs while it is set is no user code.
static ARMED: AtomicBool = AtomicBool::new(false);
/// Calls of those traits, armed or not.
static USER_CALLS: AtomicU64 = AtomicU64::new(0);

fn user_code(what: &str) {
    USER_CALLS.fetch_add(1, Ordering::SeqCst);
    assert!(
        !ARMED.load(Ordering::SeqCst),
        "the report ran the user's {what}"
    );
}

/// A key whose `Hash`, `Eq` and `Clone` are counted and trip the wire.
struct Tripwire(u64);

impl Hash for Tripwire {
    fn hash<H: Hasher>(&self, state: &mut H) {
        user_code("Hash");
        self.0.hash(state);
    }
}

impl PartialEq for Tripwire {
    fn eq(&self, other: &Self) -> bool {
        user_code("Eq");
        self.0 == other.0
    }
}

impl Eq for Tripwire {}

impl Clone for Tripwire {
    fn clone(&self) -> Self {
        user_code("Clone of a key");
        Tripwire(self.0)
    }
}

/// An 8 MiB value whose `Clone` and `Drop` are counted and trip the wire.
struct Heavy(Vec<u8>);

impl Clone for Heavy {
    fn clone(&self) -> Self {
        user_code("Clone of a value");
        Heavy(self.0.clone())
    }
}

impl Drop for Heavy {
    fn drop(&mut self) {
        if ARMED.load(Ordering::SeqCst) {
            user_code("Drop of a value");
        }
    }
}

#[cached]
fn heavy(key: Tripwire) -> Heavy {
    Heavy(vec![key.0 as u8; 8 << 20])
}

#[cached(capacity = 4, ttl = "1h")]
fn heavy_bounded(key: Tripwire) -> Heavy {
    Heavy(vec![key.0 as u8; 8 << 20])
}

/// A report times hits without running any of the program's code: an
/// 8 MiB value is not cloned (so the report costs what it costs for a
/// `u64`), and keys and values whose traits panic do not make it panic.
#[test]
fn the_report_runs_no_user_code() {
    for k in 0..3 {
        heavy(Tripwire(k));
        heavy_bounded(Tripwire(k));
        heavy_bounded(Tripwire(k));
    }
    let before = USER_CALLS.load(Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    let report = std::panic::catch_unwind(memokit::report);
    ARMED.store(false, Ordering::SeqCst);
    let report = report.expect("the report does not panic");
    assert_eq!(
        USER_CALLS.load(Ordering::SeqCst),
        before,
        "no user code ran"
    );
    for name in ["heavy", "heavy_bounded"] {
        let row = row(&report, name);
        assert_eq!(row.hit_cost_source, HitCostSource::OwnEntry, "{name}");
        assert_eq!(row.entries, 3, "{name}");
    }
    assert_eq!(row(&report, "heavy_bounded").hits, 3);
}
