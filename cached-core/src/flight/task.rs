//! Single-flight for `async fn`: a waiting task yields instead of blocking
//! its thread, on any executor.
//!
//! A [`Flight`] keeps a list of wakers beside its condition variable; the
//! leader's [`Flight::finish`] wakes every registered task. Waking all of
//! them (not one) means a waiter that is dropped after being woken cannot
//! swallow the wake-up the others need. The leader's future holds the
//! cache's `Leader` guard, so dropping it mid-way (cancellation) or a panic
//! in it ends the flight with nothing stored, and the woken waiters retry.
//!
//! Same-key recursion cannot be recognised by thread: tasks move between
//! threads and share them. Instead, while a leader polls its computation it
//! marks its flight as "being polled on this thread"; a call that would wait
//! on a flight marked so is waiting on the very computation that polls it,
//! and panics instead of hanging.
//!
//! Cycles of waits across tasks are not detected, unlike cycles across
//! threads (see [`Flight::wait`]): task A computes `f(0)` and awaits `f(1)`,
//! which task B computes and which awaits `f(0)`; both stay pending forever.
//! Awaiting is not blocking: a computation may await a flight inside a
//! `select!` or a timeout and go on without it, so a cycle of awaits need not
//! be a deadlock, and there is no executor-independent task identity to
//! build a waits-for graph on. A [`AwaitFlight`] records nothing in the threads'
//! graph, so a cycle that goes through an await is not seen there either,
//! even when the rest of it is threads blocked in sync waits.

use std::cell::RefCell;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::flight::{Flight, Outcome};

/// A task waiting for a flight's outcome.
pub(crate) struct AwaitFlight<V> {
    flight: Arc<Flight<V>>,
    slot: Option<usize>,
    clone: fn(&V) -> V,
}

impl<V> AwaitFlight<V> {
    /// Waits for `flight`, taking a stored value with `clone`.
    ///
    /// # Panics
    /// If `flight` is the computation that is polling this very call: the
    /// function awaited itself with the same arguments.
    pub(crate) fn new(flight: Arc<Flight<V>>, name: &str, clone: fn(&V) -> V) -> Self {
        if is_polled_here(&flight) {
            panic!(
                "memokit: `{name}` awaited itself with the same arguments while computing them; \
                 this recursion can never finish (cache key collision or missing base case?)"
            );
        }
        AwaitFlight {
            flight,
            slot: None,
            clone,
        }
    }
}

impl<V> Future for AwaitFlight<V> {
    type Output = Outcome<V>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<V>> {
        let this = self.get_mut();
        if let Some(outcome) = this.flight.outcome(this.clone) {
            return Poll::Ready(outcome);
        }
        // Registered before looking again: a `finish` in between either
        // sees this waker or has already published its outcome.
        this.flight.wakers().register(&mut this.slot, cx.waker());
        match this.flight.outcome(this.clone) {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }
}

impl<V> Drop for AwaitFlight<V> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.flight.wakers().remove(slot);
        }
    }
}

thread_local! {
    /// The flights whose leaders are polling their computation on this
    /// thread right now, innermost last.
    static POLLING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

fn flight_id<V>(flight: &Arc<Flight<V>>) -> usize {
    Arc::as_ptr(flight) as *const () as usize
}

fn is_polled_here<V>(flight: &Arc<Flight<V>>) -> bool {
    let id = flight_id(flight);
    POLLING
        .try_with(|polling| polling.borrow().contains(&id))
        .unwrap_or(false)
}

/// Runs the leader's computation, marking its flight while it is polled.
pub(crate) async fn lead<V, F: Future<Output = V>>(flight: &Arc<Flight<V>>, compute: F) -> V {
    Leading {
        id: flight_id(flight),
        compute: pin!(compute),
    }
    .await
}

struct Leading<'a, F> {
    id: usize,
    compute: Pin<&'a mut F>,
}

impl<F: Future> Future for Leading<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _mark = Mark::new(self.id);
        self.compute.as_mut().poll(cx)
    }
}

/// The entry in [`POLLING`] of one poll, removed also when the poll panics.
struct Mark;

impl Mark {
    fn new(id: usize) -> Mark {
        POLLING.with(|polling| polling.borrow_mut().push(id));
        Mark
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        let _ = POLLING.try_with(|polling| polling.borrow_mut().pop());
    }
}
