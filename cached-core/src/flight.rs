//! Single-flight: one caller computes a missing key, concurrent callers of
//! the same key wait for its value. No cache lock is held while waiting or
//! while user code runs.

use parking_lot::{Condvar, Mutex};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::flight_async::Wakers;

enum State<V> {
    Running,
    /// The leader stored this value; waiters take a clone.
    Value(V),
    /// The leader panicked, returned an uncacheable value, or its entry was
    /// invalidated: each waiter looks again, and one of them computes.
    Retry,
}

/// Identifies a thread for same-key recursion checks. Cheaper than
/// `thread::current().id()` (no reference count to bump), and never reused,
/// unlike the address of a thread-local.
pub(crate) type Owner = u64;

thread_local! {
    static OWNER: Cell<Owner> = const { Cell::new(0) };
}

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// The current thread's [`Owner`] id.
#[inline]
pub(crate) fn current_owner() -> Owner {
    OWNER
        .try_with(|id| match id.get() {
            0 => {
                let fresh = NEXT_OWNER.fetch_add(1, Ordering::Relaxed);
                id.set(fresh);
                fresh
            }
            known => known,
        })
        // A thread past its thread-locals gets a fresh id on every call: it
        // cannot recognise its own flights, but never mistakes another's.
        .unwrap_or_else(|_| NEXT_OWNER.fetch_add(1, Ordering::Relaxed))
}

/// One computation in progress, shared with its waiters. A leader that
/// nobody waits for never allocates one: the first waiter does, under the
/// shard's lock (see `storage::InFlight`).
pub(crate) struct Flight<V> {
    owner: Owner,
    state: Mutex<State<V>>,
    done: Condvar,
    /// Tasks of an `async fn` waiting, beside the threads on `done`.
    wakers: Wakers,
}

/// What a waiter got.
pub(crate) enum Joined<V> {
    Value(V),
    Retry,
}

impl<V> Flight<V> {
    /// A flight led by the thread `owner`.
    pub(crate) fn new(owner: Owner) -> Self {
        Flight {
            owner,
            state: Mutex::new(State::Running),
            done: Condvar::new(),
            wakers: Wakers::default(),
        }
    }

    /// Waits for the leader. Panics instead of deadlocking when the leader is
    /// this very thread: the function called itself with the same key.
    pub(crate) fn wait(&self, name: &str, clone: impl Fn(&V) -> V) -> Joined<V> {
        if self.owner == current_owner() {
            panic!(
                "memokit: `{name}` called itself with the same arguments while computing them; \
                 this recursion can never finish (cache key collision or missing base case?)"
            );
        }
        let mut state = self.state.lock();
        loop {
            match &*state {
                State::Running => self.done.wait(&mut state),
                State::Value(v) => return Joined::Value(clone(v)),
                State::Retry => return Joined::Retry,
            }
        }
    }

    /// Publishes the outcome and wakes every waiter.
    pub(crate) fn finish(&self, value: Option<V>) {
        *self.state.lock() = match value {
            Some(v) => State::Value(v),
            None => State::Retry,
        };
        self.done.notify_all();
        self.wakers.wake_all();
    }

    /// The outcome if the leader has finished, without waiting.
    pub(crate) fn outcome(&self, clone: impl Fn(&V) -> V) -> Option<Joined<V>> {
        match &*self.state.lock() {
            State::Running => None,
            State::Value(v) => Some(Joined::Value(clone(v))),
            State::Retry => Some(Joined::Retry),
        }
    }

    pub(crate) fn wakers(&self) -> &Wakers {
        &self.wakers
    }
}
