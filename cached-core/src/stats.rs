//! Statistics: hits counted without a shared cache line, the rest on slow paths.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// A snapshot of one cache's counters.
///
/// `hits + misses` is the number of completed calls: a *hit* is answered
/// without running the function (from a stored entry, or from a concurrent
/// caller's computation of the same key); a *miss* runs the function.
///
/// ```
/// use memokit::cached;
///
/// #[cached]
/// fn square(x: u64) -> u64 { x * x }
///
/// square(3);
/// square(3);
/// let stats = square_memokit().stats();
/// assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 1));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls answered without running the function.
    pub hits: u64,
    /// Calls that ran the function.
    pub misses: u64,
    /// Values stored (computed or inserted by hand).
    pub inserts: u64,
    /// Entries removed to respect `capacity`.
    pub evictions: u64,
    /// Entries removed because their `ttl` passed.
    pub expirations: u64,
    /// Total time spent running the function on misses.
    pub compute_time: Duration,
}

impl Stats {
    /// `hits / (hits + misses)`, or 0 before the first call.
    pub fn hit_rate(&self) -> f64 {
        let calls = self.hits + self.misses;
        if calls == 0 {
            0.0
        } else {
            self.hits as f64 / calls as f64
        }
    }
}

const STRIPES: usize = 16;

#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

/// Live counters of one cache.
pub(crate) struct Counters {
    hits: [Padded; STRIPES],
    misses: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
    compute_nanos: AtomicU64,
}

fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE.with(|s| {
        let mut i = s.get();
        if i == usize::MAX {
            i = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
            s.set(i);
        }
        i
    })
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            hits: Default::default(),
            misses: AtomicU64::new(0),
            inserts: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            expirations: AtomicU64::new(0),
            compute_nanos: AtomicU64::new(0),
        }
    }

    /// Counts a hit on this thread's stripe: threads do not share the line.
    #[inline]
    pub(crate) fn hit(&self) {
        self.hits[stripe()].0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn miss(&self, compute_time: Duration) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(compute_time.as_nanos()).unwrap_or(u64::MAX);
        self.compute_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn inserted(&self) {
        self.inserts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn evicted(&self, n: u64) {
        if n > 0 {
            self.evictions.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub(crate) fn expired(&self, n: u64) {
        if n > 0 {
            self.expirations.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            hits: self.hits.iter().map(|h| h.0.load(Ordering::Relaxed)).sum(),
            misses: self.misses.load(Ordering::Relaxed),
            inserts: self.inserts.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            expirations: self.expirations.load(Ordering::Relaxed),
            compute_time: Duration::from_nanos(self.compute_nanos.load(Ordering::Relaxed)),
        }
    }

    pub(crate) fn reset(&self) {
        for h in &self.hits {
            h.0.store(0, Ordering::Relaxed);
        }
        for c in [
            &self.misses,
            &self.inserts,
            &self.evictions,
            &self.expirations,
            &self.compute_nanos,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
