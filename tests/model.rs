//! Model-based property tests: random operation sequences against a plain
//! `HashMap` model, for a permanent, a TTL and a bounded cache. After every
//! step the cache's answers, its length and its statistics are checked
//! against the model.

use memokit::{cached, ManualClock, Stats};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The key it was computed for, and a run number (computed values) or a
/// number at or above `INSERTED` (values inserted by hand).
type V = (u32, u64);

const INSERTED: u64 = 1 << 40;

#[derive(Clone, Debug)]
enum Op {
    Call(u32),
    Insert(u32, V),
    Invalidate(u32),
    Clear,
    Peek(u32),
    Contains(u32),
    Advance(Duration),
    Len,
}

const TTL: Duration = Duration::from_secs(1);
const CAPACITY: usize = 8;

fn ops(keys: u32, advance: bool) -> impl Strategy<Value = Vec<Op>> {
    let k = 0..keys;
    let dur = prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(TTL - Duration::from_nanos(1)),
        Just(TTL),
        Just(TTL + Duration::from_nanos(1)),
        Just(TTL / 2),
        (0u64..3_000_000_000).prop_map(Duration::from_nanos),
    ];
    let adv_weight = if advance { 3 } else { 0 };
    // An inserted value may carry another key's number, so a cache that
    // mixed up keys would show it.
    let op = prop_oneof![
        6 => k.clone().prop_map(Op::Call),
        2 => (k.clone(), k.clone(), any::<u32>())
            .prop_map(|(k, o, n)| Op::Insert(k, (o, INSERTED + u64::from(n)))),
        2 => k.clone().prop_map(Op::Invalidate),
        1 => Just(Op::Clear),
        2 => k.clone().prop_map(Op::Peek),
        1 => k.prop_map(Op::Contains),
        adv_weight => dur.prop_map(Op::Advance),
        1 => Just(Op::Len),
    ];
    prop::collection::vec(op, 0..64)
}

fn config() -> Config {
    Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One cached function and its control API. The companion's key-function
/// type cannot be named outside the generated code, so each operation is a
/// non-capturing closure (a plain `fn`) that calls the companion.
#[derive(Clone, Copy)]
struct Subject {
    call: fn(u32) -> V,
    runs: &'static AtomicU64,
    insert: fn(u32, V),
    invalidate: fn(u32) -> bool,
    peek: fn(u32) -> Option<V>,
    contains: fn(u32) -> bool,
    clear: fn(),
    len: fn() -> usize,
    stats: fn() -> Stats,
    reset_stats: fn(),
}

macro_rules! subject {
    ($f:ident, $companion:ident, $runs:ident) => {
        Subject {
            call: $f,
            runs: &$runs,
            insert: |k, v| $companion().insert(k, v),
            invalidate: |k| $companion().invalidate(k),
            peek: |k| $companion().peek(k),
            contains: |k| $companion().contains(k),
            clear: || $companion().clear(),
            len: || $companion().len(),
            stats: || $companion().stats(),
            reset_stats: || $companion().reset_stats(),
        }
    };
}

static PERM_RUNS: AtomicU64 = AtomicU64::new(0);
#[cached]
fn perm(k: u32) -> V {
    (k, PERM_RUNS.fetch_add(1, Ordering::SeqCst) + 1)
}

static TTL_RUNS: AtomicU64 = AtomicU64::new(0);
#[cached(ttl = "1s")]
fn expiring(k: u32) -> V {
    (k, TTL_RUNS.fetch_add(1, Ordering::SeqCst) + 1)
}

static BOUNDED_RUNS: AtomicU64 = AtomicU64::new(0);
#[cached(capacity = 8)]
fn bounded(k: u32) -> V {
    (k, BOUNDED_RUNS.fetch_add(1, Ordering::SeqCst) + 1)
}

static DET_RUNS: AtomicU64 = AtomicU64::new(0);
#[cached(capacity = 8)]
fn bounded_det(k: u32) -> V {
    (k, DET_RUNS.fetch_add(1, Ordering::SeqCst) + 1)
}

/// Calls the function; returns its value and whether it ran (exactly once).
fn call(s: &Subject, k: u32) -> Result<(V, bool), TestCaseError> {
    let before = s.runs.load(Ordering::SeqCst);
    let got = (s.call)(k);
    let after = s.runs.load(Ordering::SeqCst);
    prop_assert!(
        after - before <= 1,
        "call({}) ran {} times",
        k,
        after - before
    );
    let ran = after == before + 1;
    if ran {
        prop_assert_eq!(got, (k, after), "call({}) must return what it computed", k);
    }
    Ok((got, ran))
}

/// Exact model for the permanent and the TTL cache: key -> (value, deadline
/// in model nanoseconds). An entry is live strictly before its deadline.
fn exact_case(
    s: &Subject,
    ops: &[Op],
    keys: u32,
    clock: Option<&ManualClock>,
) -> Result<(), TestCaseError> {
    (s.clear)();
    (s.reset_stats)();
    let ttl = clock.is_some();
    let ttl_ns = TTL.as_nanos() as u64;
    let mut now: u64 = 0;
    let mut model: HashMap<u32, (V, u64)> = HashMap::new();
    let mut want = Stats::default();
    let live = |m: &HashMap<u32, (V, u64)>, k: u32, now: u64| {
        m.get(&k).filter(|e| !ttl || now < e.1).map(|e| e.0)
    };
    for op in ops {
        match *op {
            Op::Call(k) => {
                let (got, ran) = call(s, k)?;
                match live(&model, k, now) {
                    Some(v) => {
                        prop_assert!(!ran, "hit on {} recomputed", k);
                        prop_assert_eq!(got, v, "hit on {} must return the stored value", k);
                        want.hits += 1;
                    }
                    None => {
                        prop_assert!(ran, "miss on {} did not compute", k);
                        model.insert(k, (got, now + ttl_ns));
                        want.misses += 1;
                        want.inserts += 1;
                    }
                }
            }
            Op::Insert(k, v) => {
                (s.insert)(k, v);
                model.insert(k, (v, now + ttl_ns));
                want.inserts += 1;
            }
            Op::Invalidate(k) => {
                let expected = live(&model, k, now).is_some();
                prop_assert_eq!((s.invalidate)(k), expected, "invalidate({})", k);
                model.remove(&k);
            }
            Op::Clear => {
                (s.clear)();
                model.clear();
            }
            Op::Peek(k) => prop_assert_eq!((s.peek)(k), live(&model, k, now), "peek({})", k),
            Op::Contains(k) => prop_assert_eq!(
                (s.contains)(k),
                live(&model, k, now).is_some(),
                "contains({})",
                k
            ),
            Op::Advance(d) => {
                if let Some(c) = clock {
                    c.advance(d);
                    now += d.as_nanos() as u64;
                }
            }
            Op::Len => {}
        }
        let expected_len = (0..keys)
            .filter(|&k| live(&model, k, now).is_some())
            .count();
        prop_assert_eq!((s.len)(), expected_len, "len after {:?}", op);
        let got = (s.stats)();
        prop_assert_eq!(
            (got.hits, got.misses, got.inserts, got.evictions),
            (want.hits, want.misses, want.inserts, 0),
            "stats (hits, misses, inserts, evictions) after {:?}",
            op
        );
    }
    Ok(())
}

#[test]
fn permanent_cache_matches_a_hashmap() {
    let s = subject!(perm, perm_memokit, PERM_RUNS);
    TestRunner::new(config())
        .run(&ops(10, false), |ops| exact_case(&s, &ops, 10, None))
        .unwrap();
}

#[test]
fn ttl_cache_matches_a_hashmap_with_deadlines() {
    let s = subject!(expiring, expiring_memokit, TTL_RUNS);
    let clock = ManualClock::new();
    expiring_memokit().set_clock(clock.clone());
    TestRunner::new(config())
        .run(&ops(10, true), |ops| exact_case(&s, &ops, 10, Some(&clock)))
        .unwrap();
}

/// What one step of a bounded run showed: the value a call returned (with
/// computed run numbers counted from the run's start) and whether it ran,
/// and the entries present after the step.
type Step = (Option<(V, bool)>, BTreeMap<u32, V>);

/// Bounded cache. The model does not know which entry the policy evicts,
/// so it reads the cache's contents after every step (`peek` of every key)
/// and checks how they may have changed: only `invalidate` and `clear`
/// remove entries, except that storing a new key in a full cache evicts
/// exactly one other entry. Every present entry holds the last value stored
/// for its key, a call hits exactly when its key is present, and `len` and
/// the statistics agree. Returns the steps, so that two runs can be compared.
fn bounded_case(s: &Subject, ops: &[Op], keys: u32) -> Result<Vec<Step>, TestCaseError> {
    (s.clear)();
    (s.reset_stats)();
    let base = s.runs.load(Ordering::SeqCst);
    let renumber = |v: V| if v.1 < INSERTED { (v.0, v.1 - base) } else { v };
    let mut last: HashMap<u32, V> = HashMap::new();
    let mut present: BTreeMap<u32, V> = BTreeMap::new();
    let mut want = Stats::default();
    let mut steps = Vec::new();
    for op in ops {
        let mut called = None;
        // The key this step stores, if it was not present before.
        let mut stored_new = None;
        // The key this step may remove.
        let mut removed = None;
        match *op {
            Op::Call(k) => {
                let (got, ran) = call(s, k)?;
                match present.get(&k) {
                    Some(&v) => {
                        prop_assert!(!ran, "hit on present key {} recomputed", k);
                        prop_assert_eq!(got, v, "hit on {}", k);
                        want.hits += 1;
                    }
                    None => {
                        prop_assert!(ran, "call({}) of an absent key did not compute", k);
                        last.insert(k, got);
                        stored_new = Some(k);
                        want.misses += 1;
                        want.inserts += 1;
                    }
                }
                called = Some((renumber(got), ran));
            }
            Op::Insert(k, v) => {
                (s.insert)(k, v);
                last.insert(k, v);
                if !present.contains_key(&k) {
                    stored_new = Some(k);
                }
                want.inserts += 1;
            }
            Op::Invalidate(k) => {
                let expected = present.contains_key(&k);
                prop_assert_eq!((s.invalidate)(k), expected, "invalidate({})", k);
                last.remove(&k);
                removed = Some(k);
            }
            Op::Clear => {
                (s.clear)();
                last.clear();
            }
            Op::Peek(k) => {
                prop_assert_eq!((s.peek)(k), present.get(&k).copied(), "peek({})", k);
            }
            Op::Contains(k) => {
                prop_assert_eq!((s.contains)(k), present.contains_key(&k), "contains({})", k);
            }
            Op::Advance(_) | Op::Len => {}
        }

        let mut now = BTreeMap::new();
        for k in 0..keys {
            if let Some(v) = (s.peek)(k) {
                prop_assert_eq!(Some(&v), last.get(&k), "peek({}) after {:?}", k, op);
                now.insert(k, v);
            }
            prop_assert_eq!((s.contains)(k), now.contains_key(&k), "contains({})", k);
        }
        prop_assert_eq!((s.len)(), now.len(), "len after {:?}", op);
        prop_assert!(now.len() <= CAPACITY, "len {} over capacity", now.len());

        let vanished: Vec<u32> = present
            .keys()
            .copied()
            .filter(|k| !now.contains_key(k) && Some(*k) != removed)
            .collect();
        if matches!(op, Op::Clear) {
            prop_assert!(now.is_empty(), "entries left after clear: {:?}", now);
        } else if let Some(k) = stored_new {
            prop_assert!(
                now.contains_key(&k),
                "{} absent right after it was stored",
                k
            );
            if present.len() == CAPACITY {
                prop_assert_eq!(vanished.len(), 1, "storing {} in a full cache", k);
                want.evictions += 1;
            } else {
                prop_assert!(vanished.is_empty(), "{:?} evicted below capacity", vanished);
            }
        } else {
            prop_assert!(
                vanished.is_empty(),
                "{:?} vanished after {:?}",
                vanished,
                op
            );
            let appeared: Vec<_> = now.keys().filter(|k| !present.contains_key(k)).collect();
            prop_assert!(
                appeared.is_empty(),
                "{:?} appeared after {:?}",
                appeared,
                op
            );
        }
        if let Some(k) = removed {
            prop_assert!(!now.contains_key(&k), "{} present after invalidate", k);
        }

        let got = (s.stats)();
        prop_assert_eq!(
            (got.hits, got.misses, got.inserts, got.evictions),
            (want.hits, want.misses, want.inserts, want.evictions),
            "stats (hits, misses, inserts, evictions) after {:?}",
            op
        );
        present = now;
        steps.push((
            called,
            present.iter().map(|(&k, &v)| (k, renumber(v))).collect(),
        ));
    }
    Ok(steps)
}

#[test]
fn bounded_cache_stays_bounded_and_never_serves_a_wrong_value() {
    let s = subject!(bounded, bounded_memokit, BOUNDED_RUNS);
    TestRunner::new(config())
        .run(&ops(20, false), |ops| {
            bounded_case(&s, &ops, 20).map(|_| ())
        })
        .unwrap();
}

#[test]
fn bounded_cache_is_deterministic_on_one_thread() {
    let s = subject!(bounded_det, bounded_det_memokit, DET_RUNS);
    TestRunner::new(config())
        .run(&ops(20, false), |ops| {
            let first = bounded_case(&s, &ops, 20)?;
            let second = bounded_case(&s, &ops, 20)?;
            prop_assert_eq!(first, second);
            Ok(())
        })
        .unwrap();
}
