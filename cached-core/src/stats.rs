//! Statistics of every cache, and the switch that turns them off.
//!
//! Hits are on the fast path, so they are counted without a read-modify-write
//! and without a cache line shared between threads: each thread owns one
//! slot per cache and bumps it with a plain load and store; a snapshot sums
//! the slots. Everything else is counted on slow paths with atomic adds.
//!
//! Counts are exact. A slot belongs to one live thread at a time; when its
//! thread exits, the slot (and its count) passes to the next new thread,
//! which keeps adding to it. Nothing is folded or lost at thread exit.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use parking_lot::Mutex;

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
    /// Total time spent running the function on misses, as timed around the
    /// call (so it includes the cost of reading the clock, about 20 ns).
    pub compute_time: Duration,
    /// The median time of one miss's computation, timed like
    /// `compute_time` and accurate to 1/8 either way. Unlike the mean, a
    /// few slow calls (a preempted thread) do not move it.
    pub median_compute: Duration,
}

impl Stats {
    /// `hits / (hits + misses)`, or 0 before the first call.
    pub fn hit_rate(&self) -> f64 {
        let calls = self.calls();
        if calls == 0 {
            0.0
        } else {
            self.hits as f64 / calls as f64
        }
    }

    /// `hits + misses`: the completed calls.
    pub fn calls(&self) -> u64 {
        self.hits + self.misses
    }

    /// `compute_time / misses`, or zero before the first miss.
    pub fn mean_compute(&self) -> Duration {
        match u32::try_from(self.misses) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.compute_time / n,
            Err(_) => Duration::from_secs_f64(self.compute_time.as_secs_f64() / self.misses as f64),
        }
    }
}

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the statistics of every cache on or off (they start on).
///
/// While they are off, nothing is counted: not hits, misses, inserts,
/// evictions, expirations nor compute time; a hit then costs one relaxed
/// load of this switch instead of its count. Counts taken before stay.
/// Meant for measuring what statistics cost, or for a program that never
/// reads them; [`report`](crate::report()) says when they were off.
///
/// ```
/// use memokit::cached;
///
/// #[cached]
/// fn double(x: u64) -> u64 { x * 2 }
///
/// memokit::stats::set_enabled(false);
/// double(1);
/// double(1);
/// assert_eq!(double_memokit().stats().hits, 0);
///
/// memokit::stats::set_enabled(true);
/// double(1);
/// assert_eq!(double_memokit().stats().hits, 1);
/// ```
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Whether statistics are being counted; see [`set_enabled`].
pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Live counters of one cache.
pub(crate) struct Counters {
    hits: PerThread,
    /// The hit count at the last reset: a thread's slot is written only by
    /// that thread, so a reset cannot zero it and subtracts instead.
    hits_at_reset: AtomicU64,
    misses: AtomicU64,
    inserts: AtomicU64,
    evictions: AtomicU64,
    expirations: AtomicU64,
    compute_nanos: AtomicU64,
    compute_times: Histogram,
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            hits: PerThread::new(),
            hits_at_reset: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            inserts: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            expirations: AtomicU64::new(0),
            compute_nanos: AtomicU64::new(0),
            compute_times: Histogram::new(),
        }
    }

    /// Counts a hit in this thread's own slot: no shared line, no RMW.
    #[inline]
    pub(crate) fn hit(&self) {
        if ENABLED.load(Ordering::Relaxed) {
            self.hits.add_one();
        }
    }

    pub(crate) fn miss(&self, compute_time: Duration) {
        if !is_enabled() {
            return;
        }
        let nanos = u64::try_from(compute_time.as_nanos()).unwrap_or(u64::MAX);
        self.misses.fetch_add(1, Ordering::Relaxed);
        self.compute_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.compute_times.record(nanos);
    }

    pub(crate) fn inserted(&self) {
        add(&self.inserts, 1);
    }

    pub(crate) fn evicted(&self, n: u64) {
        add(&self.evictions, n);
    }

    pub(crate) fn expired(&self, n: u64) {
        add(&self.expirations, n);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            hits: self.hits.sum().saturating_sub(load(&self.hits_at_reset)),
            misses: load(&self.misses),
            inserts: load(&self.inserts),
            evictions: load(&self.evictions),
            expirations: load(&self.expirations),
            compute_time: Duration::from_nanos(load(&self.compute_nanos)),
            median_compute: Duration::from_nanos(self.compute_times.median()),
        }
    }

    pub(crate) fn reset(&self) {
        self.hits_at_reset.store(self.hits.sum(), Ordering::Relaxed);
        for c in [
            &self.misses,
            &self.inserts,
            &self.evictions,
            &self.expirations,
            &self.compute_nanos,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.compute_times.clear();
    }
}

fn add(counter: &AtomicU64, n: u64) {
    if n > 0 && is_enabled() {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A slot on its own 128-byte line, so two threads never share one (128,
/// not 64: x86 prefetches lines in pairs).
#[repr(align(128))]
#[derive(Default)]
struct Slot(AtomicU64);

/// Slots in the first bucket; bucket `b` holds `FIRST << b`.
const FIRST: usize = 4;
/// Enough buckets for a billion threads alive at once.
const BUCKETS: usize = 28;

/// A counter with one single-writer slot per live thread.
///
/// Slots are found by the thread's [`Position`] in buckets of doubling
/// size, allocated the first time a thread of their range counts, so a
/// cache used by few threads holds few slots.
struct PerThread {
    buckets: [OnceLock<Box<[Slot]>>; BUCKETS],
    /// Hits of a thread that is exiting and gave its index back already
    /// (a cached function called from a thread-local's destructor).
    exiting: AtomicU64,
}

/// Where a thread's slot is in every [`PerThread`]: bucket and offset.
/// A bucket of `UNASSIGNED` or `EXITING` (both out of range) means the
/// thread has no slot.
type Position = (usize, usize);

/// The position of a thread index.
fn locate(index: usize) -> Position {
    let bucket = (index / FIRST + 1).ilog2() as usize;
    (bucket, index - FIRST * ((1 << bucket) - 1))
}

impl PerThread {
    fn new() -> Self {
        PerThread {
            buckets: Default::default(),
            exiting: AtomicU64::new(0),
        }
    }

    #[inline]
    fn add_one(&self) {
        match self.slot(POSITION.with(Cell::get)) {
            // Only this thread writes the slot: load + store cannot lose a count.
            Some(slot) => slot.store(slot.load(Ordering::Relaxed) + 1, Ordering::Relaxed),
            None => self.add_one_slow(),
        }
    }

    #[inline]
    fn slot(&self, (bucket, offset): Position) -> Option<&AtomicU64> {
        let slots = self.buckets.get(bucket)?.get()?;
        slots.get(offset).map(|s| &s.0)
    }

    #[cold]
    fn add_one_slow(&self) {
        let (bucket, offset) = match POSITION.with(Cell::get) {
            (UNASSIGNED, _) => assign_position(),
            position => position,
        };
        if bucket == EXITING {
            self.exiting.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let slots = self.buckets[bucket]
            .get_or_init(|| (0..FIRST << bucket).map(|_| Slot::default()).collect());
        let slot = &slots[offset].0;
        slot.store(slot.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    fn sum(&self) -> u64 {
        let slots = self.buckets.iter().filter_map(OnceLock::get).flatten();
        slots.map(|s| s.0.load(Ordering::Relaxed)).sum::<u64>()
            + self.exiting.load(Ordering::Relaxed)
    }
}

/// This thread has no index yet.
const UNASSIGNED: usize = usize::MAX;
/// This thread is exiting and has given its index back.
const EXITING: usize = usize::MAX - 1;

thread_local! {
    /// The thread's slot position in every cache; no destructor, so reading
    /// it is one thread-local load, valid even while the thread exits.
    static POSITION: Cell<Position> = const { Cell::new((UNASSIGNED, 0)) };
    /// Gives the thread's index back when it exits.
    static RELEASE: Release = const { Release(Cell::new(UNASSIGNED)) };
}

/// Indices of exited threads, handed out smallest first so indices stay
/// dense, and the next fresh index.
static FREE: Mutex<(BinaryHeap<Reverse<usize>>, usize)> = Mutex::new((BinaryHeap::new(), 0));

#[cold]
fn assign_position() -> Position {
    let index = {
        let mut free = FREE.lock();
        match free.0.pop() {
            Some(Reverse(index)) => index,
            None => {
                free.1 += 1;
                free.1 - 1
            }
        }
    };
    let position = match RELEASE.try_with(|r| r.0.set(index)) {
        Ok(()) => locate(index),
        // The thread is past its thread-local destructors: it cannot give
        // the index back, so it must not take one.
        Err(_) => {
            FREE.lock().0.push(Reverse(index));
            (EXITING, 0)
        }
    };
    POSITION.with(|p| p.set(position));
    position
}

struct Release(Cell<usize>);

impl Drop for Release {
    fn drop(&mut self) {
        // The lock orders this thread's last slot writes before the next
        // owner's first read of them.
        POSITION.with(|p| p.set((EXITING, 0)));
        FREE.lock().0.push(Reverse(self.0.get()));
    }
}

/// Sub-buckets per power of two: bucket width is 1/4 of its lower bound.
const SUB_BITS: u32 = 2;
const SUB: usize = 1 << SUB_BITS;
/// Times up to 2^40 ns (18 minutes) get their own buckets; longer ones
/// share the last.
const MAX_BITS: u32 = 40;
const HISTOGRAM_BUCKETS: usize = SUB + (MAX_BITS - SUB_BITS) as usize * SUB;

/// Compute times on a log-linear scale, for their median. Updated on misses
/// only; allocated on the first one.
struct Histogram {
    counts: OnceLock<Box<[AtomicU64]>>,
}

fn histogram_bucket(nanos: u64) -> usize {
    if nanos < SUB as u64 {
        return nanos as usize;
    }
    let bits = nanos.ilog2().min(MAX_BITS - 1);
    let nanos = nanos.min((1 << MAX_BITS) - 1);
    let sub = (nanos >> (bits - SUB_BITS)) as usize & (SUB - 1);
    SUB + (bits - SUB_BITS) as usize * SUB + sub
}

/// The middle of a bucket's range, in nanoseconds.
fn histogram_midpoint(bucket: usize) -> u64 {
    if bucket < SUB {
        return bucket as u64;
    }
    let bits = ((bucket - SUB) / SUB) as u32 + SUB_BITS;
    let sub = ((bucket - SUB) % SUB) as u64;
    let width = 1u64 << (bits - SUB_BITS);
    (1 << bits) + sub * width + width / 2
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            counts: OnceLock::new(),
        }
    }

    fn record(&self, nanos: u64) {
        let counts = self
            .counts
            .get_or_init(|| (0..HISTOGRAM_BUCKETS).map(|_| AtomicU64::new(0)).collect());
        counts[histogram_bucket(nanos)].fetch_add(1, Ordering::Relaxed);
    }

    fn median(&self) -> u64 {
        let Some(counts) = self.counts.get() else {
            return 0;
        };
        let counts: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        let half = counts.iter().sum::<u64>().div_ceil(2);
        let mut seen = 0;
        for (bucket, &n) in counts.iter().enumerate() {
            seen += n;
            if n > 0 && seen >= half {
                return histogram_midpoint(bucket);
            }
        }
        0
    }

    fn clear(&self) {
        for c in self.counts.get().into_iter().flatten() {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_indices() {
        let mut expected = (0, 0);
        for index in 0..10_000 {
            assert_eq!(locate(index), expected, "index {index}");
            expected.1 += 1;
            if expected.1 == FIRST << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
        assert_eq!(locate(FIRST * ((1 << BUCKETS) - 1) - 1).0, BUCKETS - 1);
    }

    #[test]
    fn histogram_buckets_are_ordered_and_tight() {
        let mut last = 0;
        for nanos in (0..100_000).chain([1 << 39, u64::MAX]) {
            let bucket = histogram_bucket(nanos);
            assert!(bucket >= last && bucket < HISTOGRAM_BUCKETS);
            last = bucket;
            let mid = histogram_midpoint(bucket);
            if nanos < 1 << 39 {
                assert!(mid.abs_diff(nanos) * 8 <= nanos.max(1), "{nanos} -> {mid}");
            }
        }
    }

    #[test]
    fn median_ignores_outliers() {
        let h = Histogram::new();
        assert_eq!(h.median(), 0);
        for _ in 0..99 {
            h.record(1_000);
        }
        h.record(5_000_000_000);
        assert!(h.median().abs_diff(1_000) <= 125);
        h.clear();
        assert_eq!(h.median(), 0);
    }

    #[test]
    fn hits_from_many_threads_are_exact() {
        let counters = Counters::new();
        for _round in 0..20 {
            std::thread::scope(|s| {
                for _ in 0..4 {
                    s.spawn(|| (0..1_000).for_each(|_| counters.hit()));
                }
            });
        }
        assert_eq!(counters.snapshot().hits, 80_000);
        counters.reset();
        counters.hit();
        assert_eq!(counters.snapshot().hits, 1);
    }
}
