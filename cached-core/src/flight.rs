//! Single-flight: one caller computes a missing key, concurrent callers of
//! the same key wait for its value. No cache lock is held while waiting or
//! while user code runs.

use parking_lot::{Condvar, Mutex};
use std::thread::{self, ThreadId};

use crate::flight_async::Wakers;

enum State<V> {
    Running,
    /// The leader stored this value; waiters take a clone.
    Value(V),
    /// The leader panicked, returned an uncacheable value, or its entry was
    /// invalidated: each waiter looks again, and one of them computes.
    Retry,
}

/// One computation in progress.
pub(crate) struct Flight<V> {
    owner: ThreadId,
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
    /// A flight led by the current thread.
    pub(crate) fn new() -> Self {
        Flight {
            owner: thread::current().id(),
            state: Mutex::new(State::Running),
            done: Condvar::new(),
            wakers: Wakers::default(),
        }
    }

    /// Waits for the leader. Panics instead of deadlocking when the leader is
    /// this very thread: the function called itself with the same key.
    pub(crate) fn wait(&self, name: &str, clone: impl Fn(&V) -> V) -> Joined<V> {
        if self.owner == thread::current().id() {
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
