//! Single-flight: one caller computes a missing key, concurrent callers of
//! the same key wait for its value. No cache lock is held while waiting or
//! while user code runs.
//!
//! A waiter that would deadlock panics instead of blocking: when the leader
//! is the waiting thread itself (same-key recursion), and when the leader is
//! blocked, directly or through other threads, on a flight this thread leads
//! (a cycle of waits across threads). The second check keeps a waits-for
//! graph of the threads blocked in [`Flight::wait`], touched only by a thread
//! about to block: never on a hit, nor on a miss nobody waits for.

pub(crate) mod task;
mod wakers;

use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::sync::this_thread;
use wakers::Wakers;

enum State<V> {
    Running,
    /// The leader stored this value; waiters take a clone, after the lock
    /// (a `Clone` may use the cache, and so this flight).
    Value(Arc<V>),
    /// The leader panicked, returned an uncacheable value, or its entry was
    /// invalidated: each waiter looks again, and one of them computes.
    Retry,
}

/// Identifies a thread for same-key recursion checks. Cheaper than
/// `thread::current().id()` (no reference count to bump), and never reused,
/// unlike the address of a thread-local.
pub(crate) type Owner = u64;

static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// The current thread's [`Owner`] id.
#[inline]
pub(crate) fn current_owner() -> Owner {
    this_thread::with(|this| match this.owner.get() {
        0 => {
            let fresh = NEXT_OWNER.fetch_add(1, Ordering::Relaxed);
            this.owner.set(fresh);
            fresh
        }
        known => known,
    })
}

/// One computation in progress, shared with its waiters. A leader that
/// nobody waits for never allocates one: the first waiter does, under the
/// shard's lock (see `shard::storage::InFlight`).
pub(crate) struct Flight<V> {
    owner: Owner,
    /// Set by [`Flight::finish`] before it publishes the outcome: a waiter
    /// seen waiting for a finished flight is about to wake, not blocked.
    finished: AtomicBool,
    state: Mutex<State<V>>,
    done: Condvar,
    /// Tasks of an `async fn` waiting, beside the threads on `done`.
    wakers: Wakers,
}

/// What a waiter got.
pub(crate) enum Outcome<V> {
    Value(V),
    Retry,
}

impl<V> Flight<V> {
    /// A flight led by the thread `owner`.
    pub(crate) fn new(owner: Owner) -> Self {
        Flight {
            owner,
            finished: AtomicBool::new(false),
            state: Mutex::new(State::Running),
            done: Condvar::new(),
            wakers: Wakers::default(),
        }
    }

    /// Waits for the leader. Panics instead of deadlocking when the leader is
    /// this very thread (the function called itself with the same key), or
    /// when the leader waits, directly or through other threads, for a flight
    /// this thread leads (calls waiting on each other across threads).
    pub(crate) fn wait(self: &Arc<Self>, name: &'static str, clone: impl Fn(&V) -> V) -> Outcome<V>
    where
        V: crate::cache::bounds::CacheValue,
    {
        let me = current_owner();
        if self.owner == me {
            panic!(
                "memokit: `{name}` called itself with the same arguments while computing them; \
                 this recursion can never finish (cache key collision or missing base case?)"
            );
        }
        // A finishing leader is not blocked on anyone: wait without an edge.
        // Declared before `state`, the edge goes after the lock is released.
        let outcome = {
            let _edge = (!self.finished.load(Ordering::Acquire)).then(|| {
                Waiting::enter(me, self.owner, name, Arc::clone(self) as Arc<dyn Pending>)
            });
            let mut state = self.state.lock();
            loop {
                match &*state {
                    State::Running => self.done.wait(&mut state),
                    State::Value(v) => break Some(Arc::clone(v)),
                    State::Retry => break None,
                }
            }
        };
        match outcome {
            Some(value) => Outcome::Value(clone(&value)),
            None => Outcome::Retry,
        }
    }

    /// Publishes the outcome and wakes every waiter.
    pub(crate) fn finish(&self, value: Option<V>) {
        self.finished.store(true, Ordering::Release);
        *self.state.lock() = match value {
            Some(v) => State::Value(Arc::new(v)),
            None => State::Retry,
        };
        self.done.notify_all();
        self.wakers.wake_all();
    }

    /// The outcome if the leader has finished, without waiting.
    pub(crate) fn outcome(&self, clone: impl Fn(&V) -> V) -> Option<Outcome<V>> {
        let value = match &*self.state.lock() {
            State::Running => return None,
            State::Value(v) => Arc::clone(v),
            State::Retry => return Some(Outcome::Retry),
        };
        Some(Outcome::Value(clone(&value)))
    }

    pub(crate) fn wakers(&self) -> &Wakers {
        &self.wakers
    }
}

/// A flight as the waits-for graph sees it.
trait Pending: Send + Sync {
    /// Whether its leader has finished (its waiters are waking).
    fn is_finished(&self) -> bool;
}

impl<V: Send + Sync> Pending for Flight<V> {
    fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }
}

/// One thread blocked in [`Flight::wait`]: the flight it waits for.
struct Edge {
    /// The thread computing that flight.
    leader: Owner,
    /// The function it computes.
    name: &'static str,
    flight: Arc<dyn Pending>,
}

/// The waits-for graph: an edge per blocked thread (a thread blocks in one
/// wait at a time), to the leader of the flight it waits for. Edges are
/// thread to thread, so a leader of several nested flights is one node.
#[derive(Default)]
struct Waits {
    edges: HashMap<Owner, Edge>,
}

static WAITS: Mutex<Option<Waits>> = Mutex::new(None);

impl Waits {
    /// Records that `me` waits for `flight`, a computation of `name` led by
    /// `leader`, unless the leader's chain of waits leads back to `me`: then
    /// records nothing and returns the functions waited for along the
    /// cycle, from `name` to the one `me` computes.
    ///
    /// Edges change only under the graph's lock, and a thread that has an
    /// edge is inside `wait`, so cannot finish the flights it leads: an edge
    /// whose flight is unfinished is a thread that stays blocked. An edge to
    /// a finished flight is a thread waking up, which ends the chain.
    fn enter(
        &mut self,
        me: Owner,
        leader: Owner,
        name: &'static str,
        flight: Arc<dyn Pending>,
    ) -> Result<(), Vec<&'static str>> {
        let mut cycle = vec![name];
        let mut at = leader;
        // Bounded by the edges: a chain longer than that loops without `me`
        // (which the check below keeps from forming, but cheaply ruled out).
        for _ in 0..=self.edges.len() {
            if at == me {
                return Err(cycle);
            }
            match self.edges.get(&at) {
                Some(edge) if !edge.flight.is_finished() => {
                    cycle.push(edge.name);
                    at = edge.leader;
                }
                _ => break,
            }
        }
        // Replaces an edge only when a waiter's `clone` of the value it got
        // waits again: the older edge's flight has finished.
        self.edges.insert(
            me,
            Edge {
                leader,
                name,
                flight,
            },
        );
        Ok(())
    }

    fn leave(&mut self, me: Owner) -> Option<Edge> {
        self.edges.remove(&me)
    }
}

/// A thread's edge in [`WAITS`] while it blocks; removed when it wakes, and
/// when it unwinds.
struct Waiting {
    me: Owner,
}

impl Waiting {
    /// Checks and records atomically, under the graph's one lock: of two
    /// threads closing a cycle at once, the second to lock sees the first's
    /// edge.
    ///
    /// # Panics
    /// If waiting would close a cycle of waits.
    fn enter(me: Owner, leader: Owner, name: &'static str, flight: Arc<dyn Pending>) -> Waiting {
        let entered = WAITS
            .lock()
            .get_or_insert_with(Waits::default)
            .enter(me, leader, name, flight);
        match entered {
            Ok(()) => Waiting { me },
            Err(cycle) => panic!("{}", cycle_message(&cycle)),
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let edge = WAITS.lock().as_mut().and_then(|waits| waits.leave(self.me));
        // Its flight, if this was the last reference, drops after the lock.
        drop(edge);
    }
}

/// The message of a waiter that would close a cycle: `cycle` as returned
/// by [`Waits::enter`], starting with the function waited for.
fn cycle_message(cycle: &[&'static str]) -> String {
    let (first, last) = (cycle[0], cycle[cycle.len() - 1]);
    let mut message = format!(
        "memokit: `{first}` would deadlock: this thread computes `{last}` and waits for \
         `{first}` computed by another thread"
    );
    for (i, name) in cycle.iter().enumerate().skip(1) {
        let by = if i + 1 == cycle.len() {
            "this thread"
        } else {
            "another thread"
        };
        message.push_str(&format!(", which waits for `{name}` computed by {by}"));
    }
    message.push_str(" (a cycle of calls with the same arguments across threads)");
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Done(AtomicBool);

    impl Pending for Done {
        fn is_finished(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }

    fn running() -> Arc<Done> {
        Arc::new(Done(AtomicBool::new(false)))
    }

    #[test]
    fn a_chain_back_to_the_waiter_is_a_cycle() {
        let mut waits = Waits::default();
        // 1 waits for `f` led by 2, 2 for `g` led by 3.
        assert!(waits.enter(1, 2, "f", running()).is_ok());
        assert!(waits.enter(2, 3, "g", running()).is_ok());
        // 3 waiting for `h` led by 1 closes 3 -> 1 -> 2 -> 3.
        assert_eq!(waits.enter(3, 1, "h", running()), Err(vec!["h", "f", "g"]));
        assert!(!waits.edges.contains_key(&3), "nothing recorded");
        // 4 waiting for 1 is no cycle: 1 -> 2 -> 3 ends.
        assert!(waits.enter(4, 1, "h", running()).is_ok());
        // Once 2 stops waiting the chain from 1 ends at 2.
        assert!(waits.leave(2).is_some());
        assert!(waits.enter(3, 1, "h", running()).is_ok());
    }

    #[test]
    fn two_threads_waiting_for_each_other() {
        let mut waits = Waits::default();
        assert!(waits.enter(1, 2, "f", running()).is_ok());
        let cycle = waits.enter(2, 1, "f", running()).unwrap_err();
        assert_eq!(cycle, ["f", "f"]);
        assert_eq!(
            cycle_message(&cycle),
            "memokit: `f` would deadlock: this thread computes `f` and waits for `f` computed \
             by another thread, which waits for `f` computed by this thread (a cycle of calls \
             with the same arguments across threads)"
        );
    }

    #[test]
    fn a_finished_flight_ends_the_chain() {
        let mut waits = Waits::default();
        let flight = running();
        // 1 waited for 2's flight, which has finished: 1 is waking up.
        assert!(waits.enter(1, 2, "f", flight.clone()).is_ok());
        flight.0.store(true, Ordering::Relaxed);
        assert!(waits.enter(2, 1, "g", running()).is_ok());
    }

    #[test]
    fn the_message_names_every_wait_of_a_longer_cycle() {
        assert_eq!(
            cycle_message(&["f", "g", "h"]),
            "memokit: `f` would deadlock: this thread computes `h` and waits for `f` computed \
             by another thread, which waits for `g` computed by another thread, which waits \
             for `h` computed by this thread (a cycle of calls with the same arguments across \
             threads)"
        );
    }
}
