//! `async fn`: the same options and guarantees as for sync functions, across
//! tasks, on tokio and on a non-tokio executor.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use memokit::{cached, ManualClock};

/// Returns `Pending` once (waking itself), so the futures around it get
/// polled in between: a computation that is in flight for a while.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A waker that records whether it was woken.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

fn poll_once<F: Future>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

static TOKIO_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cached]
async fn on_tokio(x: u64) -> u64 {
    TOKIO_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    x * 2
}

#[test]
fn eight_tasks_on_a_multi_thread_runtime_compute_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    on_tokio(21).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 42);
        }
    });
    assert_eq!(TOKIO_CALLS.load(Ordering::SeqCst), 1);
    let stats = on_tokio_memokit().stats();
    assert_eq!((stats.misses, stats.hits), (1, 7));
}

static ONE_THREAD_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cached]
async fn on_one_thread(x: u64) -> u64 {
    ONE_THREAD_CALLS.fetch_add(1, Ordering::SeqCst);
    tokio::task::yield_now().await;
    x + 1
}

/// With a single thread, a waiter that blocked its thread would stop the
/// leader from ever finishing.
#[tokio::test(flavor = "current_thread")]
async fn waiting_tasks_yield_their_thread() {
    let tasks: Vec<_> = (0..8).map(|_| tokio::spawn(on_one_thread(1))).collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 2);
    }
    assert_eq!(ONE_THREAD_CALLS.load(Ordering::SeqCst), 1);
}

static LOCAL_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cached]
async fn on_local_pool(x: u64) -> u64 {
    LOCAL_CALLS.fetch_add(1, Ordering::SeqCst);
    YieldNow(false).await;
    YieldNow(false).await;
    x * 3
}

#[test]
fn single_flight_on_the_futures_executor() {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let results = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..8 {
        let results = Arc::clone(&results);
        pool.spawner()
            .spawn_local(async move {
                let value = on_local_pool(5).await;
                results.lock().unwrap().push(value);
            })
            .unwrap();
    }
    pool.run();
    assert_eq!(*results.lock().unwrap(), vec![15; 8]);
    assert_eq!(LOCAL_CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(on_local_pool_memokit().stats().hits, 7);

    // Several futures of one task, joined, share one computation too.
    let joined = futures::executor::block_on(async {
        let (a, b, c) =
            futures::future::join3(on_local_pool(6), on_local_pool(6), on_local_pool(6)).await;
        [a, b, c]
    });
    assert_eq!(joined, [18; 3]);
    assert_eq!(LOCAL_CALLS.load(Ordering::SeqCst), 2);
}

static STARTED: AtomicUsize = AtomicUsize::new(0);

/// The first computation never finishes; later ones return at once.
#[cached]
async fn first_hangs(x: u64) -> u64 {
    let n = STARTED.fetch_add(1, Ordering::SeqCst) as u64;
    if n == 0 {
        std::future::pending::<()>().await;
    }
    x * 100 + n
}

#[test]
fn dropping_the_computing_future_hands_over_to_a_waiter() {
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(Arc::clone(&flag));

    let mut leader = Box::pin(first_hangs(1));
    assert!(poll_once(leader.as_mut(), &waker).is_pending());
    let mut waiter = Box::pin(first_hangs(1));
    assert!(poll_once(waiter.as_mut(), &waker).is_pending());
    assert!(!flag.take());

    drop(leader);
    assert!(
        flag.take(),
        "the waiter is woken when the leader is dropped"
    );
    assert_eq!(first_hangs_memokit().peek(1), None, "nothing is cached");

    assert_eq!(poll_once(waiter.as_mut(), &waker), Poll::Ready(101));
    assert_eq!(STARTED.load(Ordering::SeqCst), 2);
    assert_eq!(first_hangs_memokit().peek(1), Some(101));
}

static SLOW_STARTED: AtomicUsize = AtomicUsize::new(0);

#[cached]
async fn slow_first(x: u64) -> u64 {
    if SLOW_STARTED.fetch_add(1, Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    x
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_or_timed_out_leader_does_not_strand_its_waiters() {
    let leader = tokio::spawn(slow_first(7));
    while SLOW_STARTED.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let waiters: Vec<_> = (0..4).map(|_| tokio::spawn(slow_first(7))).collect();
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    for waiter in waiters {
        assert_eq!(waiter.await.unwrap(), 7);
    }
    assert_eq!(SLOW_STARTED.load(Ordering::SeqCst), 2);

    // A timeout drops the computing future the same way.
    SLOW_STARTED.store(0, Ordering::SeqCst);
    let timed_out = tokio::time::timeout(Duration::from_millis(10), slow_first(8)).await;
    assert!(timed_out.is_err());
    assert!(!slow_first_memokit().contains(8));
    assert_eq!(slow_first(8).await, 8);
}

static PANIC_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cached]
async fn panics_first(x: u64) -> u64 {
    let n = PANIC_CALLS.fetch_add(1, Ordering::SeqCst);
    YieldNow(false).await;
    if n == 0 {
        panic!("first computation fails");
    }
    x
}

#[test]
fn a_panic_reaches_only_its_caller_and_a_waiter_computes() {
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(Arc::clone(&flag));
    let mut leader = Box::pin(panics_first(3));
    assert!(poll_once(leader.as_mut(), &waker).is_pending());
    let mut waiter = Box::pin(panics_first(3));
    assert!(poll_once(waiter.as_mut(), &waker).is_pending());

    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        let _ = poll_once(leader.as_mut(), &waker);
    }));
    assert!(caught.is_err());
    // Executors drop a task's future once it panicked.
    drop(leader);
    assert!(flag.take());
    assert!(
        poll_once(waiter.as_mut(), &waker).is_pending(),
        "now computing"
    );
    assert_eq!(poll_once(waiter.as_mut(), &waker), Poll::Ready(3));
    assert_eq!(PANIC_CALLS.load(Ordering::SeqCst), 2);
    assert_eq!(panics_first_memokit().peek(3), Some(3));
}

static BOOM_CALLS: AtomicUsize = AtomicUsize::new(0);

#[cached]
async fn boom(x: u64) -> u64 {
    if BOOM_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        panic!("boom");
    }
    x
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_does_not_take_down_its_waiters() {
    let first = tokio::spawn(boom(1));
    while BOOM_CALLS.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let others: Vec<_> = (0..4).map(|_| tokio::spawn(boom(1))).collect();
    assert!(first.await.unwrap_err().is_panic());
    for other in others {
        assert_eq!(other.await.unwrap(), 1);
    }
    assert_eq!(BOOM_CALLS.load(Ordering::SeqCst), 2);
}

static FALLIBLE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, PartialEq)]
struct NotYet;

impl From<std::num::ParseIntError> for NotYet {
    fn from(_: std::num::ParseIntError) -> Self {
        NotYet
    }
}

/// `?` and `return` work in the body, as in any `async fn`.
#[cached]
async fn fallible(s: &str) -> Result<u32, NotYet> {
    if FALLIBLE_CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
        return Err(NotYet);
    }
    let n: u32 = s.parse()?;
    Ok(n)
}

#[test]
fn err_is_not_cached() {
    futures::executor::block_on(async {
        assert_eq!(fallible("4").await, Err(NotYet));
        assert!(!fallible_memokit().contains("4"));
        assert_eq!(fallible("4").await, Ok(4));
        assert_eq!(fallible("4").await, Ok(4));
        assert_eq!(fallible("x").await, Err(NotYet));
    });
    assert_eq!(FALLIBLE_CALLS.load(Ordering::SeqCst), 3);
    assert_eq!(fallible_memokit().len(), 1);
}

#[cached(ttl = "1s", capacity = 100)]
async fn stamped(x: u64) -> u64 {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    x * 1000 + CALLS.fetch_add(1, Ordering::SeqCst) as u64
}

#[test]
fn options_apply_to_async_fn() {
    let clock = ManualClock::new();
    stamped_memokit().set_clock(clock.clone());
    futures::executor::block_on(async {
        let first = stamped(1).await;
        assert_eq!(stamped(1).await, first);
        clock.advance(Duration::from_secs(2));
        assert_ne!(stamped(1).await, first);
    });
    stamped_memokit().insert(9, 9);
    assert_eq!(futures::executor::block_on(stamped(9)), 9);
}

#[cached]
async fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    Box::pin(fib(n - 1)).await + Box::pin(fib(n - 2)).await
}

#[test]
fn recursion_on_other_keys_works() {
    assert_eq!(futures::executor::block_on(fib(80)), 23_416_728_348_467_685);
    assert_eq!(fib_memokit().len(), 81);
}

#[cached]
async fn forever(n: u64) -> u64 {
    Box::pin(forever(n)).await
}

#[test]
fn awaiting_itself_with_the_same_key_panics_instead_of_hanging() {
    let caught = panic::catch_unwind(|| futures::executor::block_on(forever(1)));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("`forever` awaited itself"), "{message}");
    // Nothing is left in flight: the next call panics the same way.
    assert!(panic::catch_unwind(|| futures::executor::block_on(forever(1))).is_err());
}

struct Client {
    region: &'static str,
}

impl Client {
    #[cached(key = (self.region, id))]
    async fn user(&self, id: u32) -> String {
        YieldNow(false).await;
        format!("{}/{id}", self.region)
    }
}

#[test]
fn async_methods_are_keyed_by_their_key() {
    let eu = Client { region: "eu" };
    let us = Client { region: "us" };
    futures::executor::block_on(async {
        assert_eq!(eu.user(1).await, "eu/1");
        assert_eq!(us.user(1).await, "us/1");
    });
    assert_eq!(Client::user_memokit().len(), 2);
    assert_eq!(
        Client::user_memokit().peek((&us, 1)).as_deref(),
        Some("us/1")
    );
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn the_futures_are_send_when_the_body_is() {
    assert_send(&on_tokio(1));
    assert_send(&fallible("1"));
}
