//! Calls that wait on each other across threads: the thread whose wait
//! would close the cycle panics, naming the functions, and the others go on.

use memokit::cached;

mod support;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, LazyLock};
use std::thread;
use std::time::Duration;
use support::{panic_message as message, within_watchdog};

/// Calls `call(k)` for each `k` on its own thread; the value or the panic
/// message of each.
fn on_threads(n: usize, call: fn(usize) -> usize) -> Vec<Result<usize, String>> {
    within_watchdog(move || {
        let handles: Vec<_> = (0..n).map(|k| thread::spawn(move || call(k))).collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(message))
            .collect()
    })
    .expect("the scenario itself does not panic")
}

fn panics(outcomes: &[Result<usize, String>]) -> Vec<&String> {
    outcomes.iter().filter_map(|o| o.as_ref().err()).collect()
}

static PAIR_BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(2));
static PAIR_CROSS: [AtomicBool; 2] = [AtomicBool::new(true), AtomicBool::new(true)];
static PAIR_RUNS: AtomicUsize = AtomicUsize::new(0);

/// The first computation of each key, once both are running, needs the
/// other key; later ones need nothing. Same value either way.
#[cached]
fn pair(k: usize) -> usize {
    PAIR_RUNS.fetch_add(1, Ordering::SeqCst);
    if PAIR_CROSS[k].swap(false, Ordering::SeqCst) {
        PAIR_BARRIER.wait();
        pair(1 - k);
    }
    k * 10 + 1
}

#[test]
fn two_threads_waiting_for_each_other_panic_in_one_not_hang() {
    let outcomes = on_threads(2, pair);
    let panics = panics(&outcomes);
    assert_eq!(
        panics.len(),
        1,
        "exactly one thread closes the cycle: {outcomes:?}"
    );
    assert_eq!(
        *panics[0],
        "memokit: `pair` would deadlock: this thread computes `pair` and waits for `pair` \
         computed by another thread, which waits for `pair` computed by this thread \
         (a cycle of calls with the same arguments across threads)"
    );
    // The other thread got its value: it computed the key the panicking
    // thread gave up, without the cycle.
    let values: Vec<usize> = outcomes.iter().filter_map(|o| o.clone().ok()).collect();
    assert!(values == [1] || values == [11], "{outcomes:?}");
    // Both keys work afterwards and hold the right values.
    assert_eq!(pair(0), 1);
    assert_eq!(pair(1), 11);
    assert_eq!(pair_memokit().len(), 2);
    // Two computations that met at the barrier, the retried one, no more.
    assert_eq!(PAIR_RUNS.load(Ordering::SeqCst), 3);
}

static TRIO_BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(3));
static TRIO_CROSS: [AtomicBool; 3] = [
    AtomicBool::new(true),
    AtomicBool::new(true),
    AtomicBool::new(true),
];

/// 0 needs 1, 1 needs 2, 2 needs 0, the first time, once all three run.
#[cached]
fn trio(k: usize) -> usize {
    if TRIO_CROSS[k].swap(false, Ordering::SeqCst) {
        TRIO_BARRIER.wait();
        trio((k + 1) % 3);
    }
    k * 10 + 1
}

#[test]
fn a_cycle_of_three_threads_panics_in_one() {
    let outcomes = on_threads(3, trio);
    let panics = panics(&outcomes);
    assert_eq!(
        panics.len(),
        1,
        "exactly one thread closes the cycle: {outcomes:?}"
    );
    assert_eq!(
        *panics[0],
        "memokit: `trio` would deadlock: this thread computes `trio` and waits for `trio` \
         computed by another thread, which waits for `trio` computed by another thread, \
         which waits for `trio` computed by this thread \
         (a cycle of calls with the same arguments across threads)"
    );
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 2);
    for k in 0..3 {
        assert_eq!(trio(k), k * 10 + 1);
    }
}

static PING_PONG_BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(2));
static PING_CROSS: AtomicBool = AtomicBool::new(true);
static PONG_CROSS: AtomicBool = AtomicBool::new(true);

#[cached]
fn ping(x: usize) -> usize {
    if PING_CROSS.swap(false, Ordering::SeqCst) {
        PING_PONG_BARRIER.wait();
        pong(x + 1);
    }
    x + 100
}

#[cached]
fn pong(x: usize) -> usize {
    if PONG_CROSS.swap(false, Ordering::SeqCst) {
        PING_PONG_BARRIER.wait();
        ping(x - 1);
    }
    x + 200
}

#[test]
fn a_cycle_through_two_functions_names_both() {
    // `ping(0)` on one thread needs `pong(1)`, which the other computes
    // and which needs `ping(0)`.
    let outcomes = on_threads(2, |k| if k == 0 { ping(0) } else { pong(1) });
    let panics = panics(&outcomes);
    assert_eq!(
        panics.len(),
        1,
        "exactly one thread closes the cycle: {outcomes:?}"
    );
    let expected = [
        "memokit: `pong` would deadlock: this thread computes `ping` and waits for `pong` \
         computed by another thread, which waits for `ping` computed by this thread \
         (a cycle of calls with the same arguments across threads)",
        "memokit: `ping` would deadlock: this thread computes `pong` and waits for `ping` \
         computed by another thread, which waits for `pong` computed by this thread \
         (a cycle of calls with the same arguments across threads)",
    ];
    assert!(expected.contains(&panics[0].as_str()), "{}", panics[0]);
    assert_eq!(ping(0), 100);
    assert_eq!(pong(1), 201);
}

static CHAIN_BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(3));
static LEAF_RUNS: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn leaf(x: usize) -> usize {
    LEAF_RUNS.fetch_add(1, Ordering::SeqCst);
    CHAIN_BARRIER.wait();
    thread::sleep(Duration::from_millis(200));
    x + 1
}

#[cached]
fn middle(x: usize) -> usize {
    CHAIN_BARRIER.wait();
    leaf(x) + 10
}

#[test]
fn waiting_on_a_slow_computation_is_no_cycle() {
    // One thread computes `leaf` slowly; another computes `middle`, which
    // waits for it; a third waits for `middle`. A chain, not a cycle.
    let outcomes = on_threads(3, |k| match k {
        0 => leaf(1),
        1 => middle(1),
        _ => {
            CHAIN_BARRIER.wait();
            middle(1)
        }
    });
    assert_eq!(outcomes, [Ok(2), Ok(12), Ok(12)]);
    assert_eq!(LEAF_RUNS.load(Ordering::SeqCst), 1);
}

static HANDOFF_BARRIER: LazyLock<Barrier> = LazyLock::new(|| Barrier::new(2));

#[cached]
fn inner(x: usize) -> usize {
    HANDOFF_BARRIER.wait();
    // Let the other thread block waiting for this value.
    thread::sleep(Duration::from_millis(20));
    x * 2
}

#[cached]
fn outer(x: usize) -> usize {
    HANDOFF_BARRIER.wait();
    inner(x) + 1
}

#[test]
fn a_thread_may_wait_for_the_thread_it_just_woke() {
    // One thread leads `inner(k)` while the other, inside `outer(k)`, waits
    // for it; right after finishing, the first waits for `outer(k)`, whose
    // leader may not have left its wait yet. That is no cycle.
    for k in 0..20 {
        let outcomes = within_watchdog(move || {
            let a = thread::spawn(move || outer(k));
            let b = thread::spawn(move || {
                let inner = inner(k);
                (inner, outer(k))
            });
            (a.join().map_err(message), b.join().map_err(message))
        })
        .expect("the scenario itself does not panic");
        assert_eq!(
            outcomes,
            (Ok(k * 2 + 1), Ok((k * 2, k * 2 + 1))),
            "round {k}"
        );
    }
}
