//! Statistics of every cache, and the switch that turns them off.
//!
//! Hits, misses, inserts and compute time are counted on every call, so
//! without a read-modify-write and without a cache line shared between
//! threads: each thread owns one slot per cache and bumps it with plain
//! loads and stores; a snapshot sums the slots. Evictions and expirations,
//! rarer, are atomic adds, and so is the compute-time histogram.
//!
//! Counts are exact. A slot belongs to one live thread at a time; when its
//! thread exits, the slot (and its count) passes to the next new thread,
//! which keeps adding to it. Nothing is folded or lost at thread exit.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use parking_lot::Mutex;

use crate::sync::padded::CachePadded;
use crate::sync::this_thread;
use crate::time::stopwatch::to_nanos;

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
    /// With `refresh`: computations that refreshed an entry due for it,
    /// successful or not (each is also a miss of the caller that ran it).
    pub refreshes: u64,
    /// Of the [`refreshes`](Self::refreshes), those that returned an `Err`,
    /// panicked, or (an `async fn`'s) were dropped before they finished:
    /// the entry was kept until its `ttl`, and the next call that finds it
    /// due tries again.
    pub failed_refreshes: u64,
    /// Hits that were served an entry due for a refresh while another
    /// caller ran that refresh (also counted in [`hits`](Self::hits)).
    pub refresh_hits: u64,
    /// Total time spent running the function on misses, as timed around the
    /// call (so it includes the cost of reading the clock, a few ns).
    ///
    /// Reading the clock twice costs as much as a third of a miss's
    /// bookkeeping, so only a sample of misses is timed: each thread times
    /// its first [`ALWAYS_TIMED`] misses of a cache, then one miss in
    /// [`TIMED_ONE_IN`] chosen at random, and the timed total is scaled by
    /// misses over timed misses. Exact while there are few misses, an
    /// unbiased estimate after.
    pub compute_time: Duration,
    /// The median time of one miss's computation, over the timed misses
    /// (see `compute_time`), accurate to 1/8 either way. Unlike the mean, a
    /// few slow calls (a preempted thread) do not move it.
    pub median_compute: Duration,
    /// Of `hits`, those read from the function's tier (`disk`): calls that
    /// missed in memory and found the value stored by an earlier run.
    pub tier_hits: u64,
    /// Reads of the tier: one per miss in memory while the tier is in use.
    pub tier_reads: u64,
    /// Failures of the tier (unusable store, failed read or write, an entry
    /// that does not decode), none of which failed a call; see the README's
    /// "Beyond one process".
    pub tier_errors: u64,
    /// Total time spent reading the tier, hits and misses.
    pub tier_read_time: Duration,
}

/// A thread times every one of its first `ALWAYS_TIMED` misses of a cache;
/// see [`Stats::compute_time`].
pub const ALWAYS_TIMED: u64 = 64;
/// After the first [`ALWAYS_TIMED`], one miss in `TIMED_ONE_IN` is timed;
/// see [`Stats::compute_time`].
pub const TIMED_ONE_IN: u32 = 8;

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

    /// `tier_read_time / tier_reads`, or zero before the first read: what
    /// a hit read from the tier costs.
    pub fn mean_tier_read(&self) -> Duration {
        match u32::try_from(self.tier_reads) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.tier_read_time / n,
            Err(_) => {
                Duration::from_secs_f64(self.tier_read_time.as_secs_f64() / self.tier_reads as f64)
            }
        }
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
/// load of this switch instead of its count, and a miss does not read the
/// clock. Counts taken before stay.
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
    /// Hits, misses, inserts and compute ticks.
    per_thread: PerThread,
    /// The per-thread sums at the last reset: a thread's slot is written
    /// only by that thread, so a reset cannot zero it and subtracts instead.
    at_reset: [AtomicU64; FIELDS],
    evictions: AtomicU64,
    expirations: AtomicU64,
    refreshes: AtomicU64,
    failed_refreshes: AtomicU64,
    refresh_hits: AtomicU64,
    compute_times: Histogram,
    /// The tier's counters: a miss in memory is slow already, so these are
    /// plain atomic adds.
    tier: [AtomicU64; TIER_FIELDS],
}

const TIER_HITS: usize = 0;
const TIER_READS: usize = 1;
const TIER_ERRORS: usize = 2;
const TIER_READ_NANOS: usize = 3;
const TIER_FIELDS: usize = 4;

/// The fields of a per-thread [`CounterSlot`].
const HITS: usize = 0;
const MISSES: usize = 1;
const INSERTS: usize = 2;
/// Ticks of the timed misses only.
const COMPUTE_TICKS: usize = 3;
const TIMED_MISSES: usize = 4;
const FIELDS: usize = 5;

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            per_thread: PerThread::new(),
            at_reset: Default::default(),
            evictions: AtomicU64::new(0),
            expirations: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            failed_refreshes: AtomicU64::new(0),
            refresh_hits: AtomicU64::new(0),
            compute_times: Histogram::new(),
            tier: Default::default(),
        }
    }

    /// Counts a hit in this thread's own slot: no shared line, no RMW.
    #[inline]
    pub(crate) fn hit(&self) {
        if !self.try_hit() {
            self.per_thread.add_slow(|slot| bump(&slot[HITS], 1));
        }
    }

    /// [`hit`](Self::hit) if this thread's slot exists: true when counted
    /// (or statistics are off). Has no call, for the hit paths.
    #[inline]
    pub(crate) fn try_hit(&self) -> bool {
        if !ENABLED.load(Ordering::Relaxed) {
            return true;
        }
        match self.per_thread.mine() {
            Some(slot) => {
                bump(&slot[HITS], 1);
                true
            }
            None => false,
        }
    }

    /// Whether the computation this thread is about to run should be
    /// timed (see [`Stats::compute_time`]); never while statistics are off.
    pub(crate) fn should_time(&self) -> bool {
        if !is_enabled() {
            return false;
        }
        let misses = self
            .per_thread
            .mine()
            .map_or(0, |slot| slot[MISSES].load(Ordering::Relaxed));
        misses < ALWAYS_TIMED || one_in(TIMED_ONE_IN)
    }

    /// Counts a miss whose computation took `ticks` of the
    /// [`stopwatch`](crate::time::stopwatch), if it was timed.
    pub(crate) fn miss(&self, ticks: Option<u64>) {
        if !is_enabled() {
            return;
        }
        self.per_thread.add(|slot| {
            bump(&slot[MISSES], 1);
            if let Some(ticks) = ticks {
                bump(&slot[TIMED_MISSES], 1);
                bump(&slot[COMPUTE_TICKS], ticks);
            }
        });
        if let Some(ticks) = ticks {
            self.compute_times.record(ticks);
        }
    }

    pub(crate) fn inserted(&self) {
        if is_enabled() {
            self.per_thread.add(|slot| bump(&slot[INSERTS], 1));
        }
    }

    pub(crate) fn evicted(&self, n: u64) {
        add(&self.evictions, n);
    }

    pub(crate) fn expired(&self, n: u64) {
        add(&self.expirations, n);
    }

    /// A value read from the tier.
    #[cfg_attr(not(feature = "tier"), allow(dead_code))]
    pub(crate) fn tier_hit(&self) {
        add(&self.tier[TIER_HITS], 1);
    }

    /// A read of the tier that took `took`.
    #[cfg_attr(not(feature = "tier"), allow(dead_code))]
    pub(crate) fn tier_read(&self, took: Duration) {
        add(&self.tier[TIER_READS], 1);
        add(
            &self.tier[TIER_READ_NANOS],
            u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
        );
    }

    /// A failure of the tier.
    #[cfg_attr(not(feature = "tier"), allow(dead_code))]
    pub(crate) fn tier_error(&self) {
        add(&self.tier[TIER_ERRORS], 1);
    }

    /// Counts a refresh; `stored`: it returned a value that was stored.
    pub(crate) fn refreshed(&self, stored: bool) {
        add(&self.refreshes, 1);
        add(&self.failed_refreshes, u64::from(!stored));
    }

    /// Counts a hit served while its entry's refresh ran (the hit itself is
    /// counted apart).
    pub(crate) fn refresh_hit(&self) {
        add(&self.refresh_hits, 1);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let counts = self.since_reset();
        Stats {
            hits: counts[HITS],
            misses: counts[MISSES],
            inserts: counts[INSERTS],
            evictions: load(&self.evictions),
            expirations: load(&self.expirations),
            refreshes: load(&self.refreshes),
            failed_refreshes: load(&self.failed_refreshes),
            refresh_hits: load(&self.refresh_hits),
            compute_time: Duration::from_nanos(to_nanos(estimated_ticks(&counts))),
            median_compute: Duration::from_nanos(to_nanos(self.compute_times.median())),
            tier_hits: load(&self.tier[TIER_HITS]),
            tier_reads: load(&self.tier[TIER_READS]),
            tier_errors: load(&self.tier[TIER_ERRORS]),
            tier_read_time: Duration::from_nanos(load(&self.tier[TIER_READ_NANOS])),
        }
    }

    /// The per-thread fields summed, less their sums at the last reset.
    fn since_reset(&self) -> [u64; FIELDS] {
        let mut counts = self.per_thread.sums();
        for (count, at_reset) in counts.iter_mut().zip(&self.at_reset) {
            *count = count.saturating_sub(at_reset.load(Ordering::Relaxed));
        }
        counts
    }

    pub(crate) fn reset(&self) {
        let sums = self.per_thread.sums();
        for (at_reset, sum) in self.at_reset.iter().zip(sums) {
            at_reset.store(sum, Ordering::Relaxed);
        }
        self.evictions.store(0, Ordering::Relaxed);
        self.expirations.store(0, Ordering::Relaxed);
        for counter in [&self.refreshes, &self.failed_refreshes, &self.refresh_hits] {
            counter.store(0, Ordering::Relaxed);
        }
        self.compute_times.clear();
        for counter in &self.tier {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

fn add(counter: &AtomicU64, n: u64) {
    if n > 0 && is_enabled() {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// The ticks of every miss: those of the timed ones, scaled.
fn estimated_ticks(counts: &[u64; FIELDS]) -> u64 {
    let (timed, misses) = (counts[TIMED_MISSES], counts[MISSES]);
    if timed == 0 {
        return 0;
    }
    // A snapshot racing a miss may see its timed count before its count
    // (fields are bumped, and summed, one at a time): never scale below 1.
    let scaled =
        u128::from(counts[COMPUTE_TICKS]) * u128::from(misses.max(timed)) / u128::from(timed);
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

/// True about once in `n` calls on this thread, at random (a xorshift
/// generator per thread: no shared state, no pattern in the calls).
fn one_in(n: u32) -> bool {
    this_thread::with(|this| {
        let state = &this.random;
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        state.set(x);
        x % n == 0
    })
}

/// Adds `n` to a counter only this thread writes: load + store cannot lose
/// a count.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

/// A thread's counters on their own 128 bytes, so two threads never share
/// a line.
type CounterSlot = CachePadded<[AtomicU64; FIELDS]>;

/// Slots in the first bucket; each further bucket holds twice as many.
const FIRST: usize = 4;
/// Enough buckets for a billion threads alive at once.
const BUCKETS: usize = 28;
/// Length of the bucket array: a power of two, so a hit masks the bucket
/// instead of checking it; bucket 0 and those above `BUCKETS` stay empty.
const BUCKET_ARRAY: usize = 32;

/// Counters with one single-writer slot per live thread.
///
/// Slots are found by the thread's [`Position`] in buckets of doubling
/// size, allocated the first time a thread of their range counts, so a
/// cache used by few threads holds few slots.
struct PerThread {
    /// Bucket `b`: null, or `bucket_len(b)` slots from `Box<[CounterSlot]>`;
    /// bucket 0 stays null.
    buckets: [AtomicPtr<CounterSlot>; BUCKET_ARRAY],
    /// Counts of threads that are exiting and gave their index back already
    /// (a cached function called from a thread-local's destructor); these
    /// are shared, so they are added atomically.
    exiting: CounterSlot,
}

/// Where a thread's slot is in every [`PerThread`]: bucket and offset,
/// with `offset < bucket_len(bucket)`, kept in the thread's record. A
/// bucket of `UNASSIGNED` or `EXITING` (never allocated) means the thread
/// has no slot.
type Position = (usize, usize);

/// The position of a thread index.
fn locate(index: usize) -> Position {
    let bucket = (index / FIRST + 1).ilog2() as usize;
    (bucket + 1, index - FIRST * ((1 << bucket) - 1))
}

/// Bucket `b` (from 1) holds `FIRST << (b - 1)` slots.
fn bucket_len(bucket: usize) -> usize {
    FIRST << (bucket - 1)
}

/// This thread's position.
#[inline(always)]
fn position() -> Position {
    this_thread::with(|this| this.counters_at.get())
}

fn set_position(position: Position) {
    this_thread::with(|this| this.counters_at.set(position));
}

impl PerThread {
    fn new() -> Self {
        PerThread {
            buckets: Default::default(),
            exiting: CounterSlot::default(),
        }
    }

    /// Runs `count` on this thread's slot, which only this thread writes.
    #[inline]
    fn add(&self, count: impl Fn(&[AtomicU64; FIELDS])) {
        match self.mine() {
            Some(slot) => count(slot),
            None => self.add_slow(count),
        }
    }

    /// This thread's slot, if it has one here yet.
    #[inline]
    fn mine(&self) -> Option<&[AtomicU64; FIELDS]> {
        self.slot(position())
    }

    /// Two loads and no bounds check: this runs on every hit.
    #[inline]
    fn slot(&self, (bucket, offset): Position) -> Option<&[AtomicU64; FIELDS]> {
        // Acquire: pairs with the release publishing the zeroed slots.
        let slots = self.buckets[bucket % BUCKET_ARRAY].load(Ordering::Acquire);
        if slots.is_null() {
            return None;
        }
        debug_assert!(offset < bucket_len(bucket));
        // SAFETY: a non-null bucket holds `bucket_len(bucket)` slots, freed
        // only with `self`, and a position's offset is below that length.
        Some(unsafe { &(*slots.add(offset)).0 })
    }

    #[cold]
    fn add_slow(&self, count: impl Fn(&[AtomicU64; FIELDS])) {
        let (bucket, _) = match position() {
            (UNASSIGNED, _) => assign_position(),
            position => position,
        };
        if bucket == EXITING {
            // Shared: count into a private copy, then add it atomically.
            let own = CounterSlot::default();
            count(&own.0);
            for (shared, n) in self.exiting.0.iter().zip(&own.0) {
                shared.fetch_add(n.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            return;
        }
        self.allocate(bucket);
        self.add(count);
    }

    /// Makes bucket `bucket` hold its slots, unless a racing thread did.
    fn allocate(&self, bucket: usize) {
        let fresh: Box<[CounterSlot]> = (0..bucket_len(bucket))
            .map(|_| CounterSlot::default())
            .collect();
        let fresh = Box::into_raw(fresh).cast::<CounterSlot>();
        let raced = self.buckets[bucket]
            .compare_exchange(
                std::ptr::null_mut(),
                fresh,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err();
        if raced {
            // SAFETY: made just above from a boxed slice of this length,
            // and never published.
            drop(unsafe { Self::boxed(fresh, bucket) });
        }
    }

    /// The slots of a bucket pointer as the box they came from.
    ///
    /// # Safety
    /// `slots` came from `Box::into_raw` of `bucket_len(bucket)` slots, and
    /// nothing else will use it.
    unsafe fn boxed(slots: *mut CounterSlot, bucket: usize) -> Box<[CounterSlot]> {
        let slice = std::ptr::slice_from_raw_parts_mut(slots, bucket_len(bucket));
        // SAFETY: see the function's contract.
        unsafe { Box::from_raw(slice) }
    }

    /// The allocated buckets' slots.
    fn slots(&self) -> impl Iterator<Item = &CounterSlot> {
        self.buckets.iter().enumerate().flat_map(|(bucket, slots)| {
            let slots = slots.load(Ordering::Acquire);
            if slots.is_null() {
                return [].iter();
            }
            // SAFETY: as in `slot`.
            unsafe { std::slice::from_raw_parts(slots, bucket_len(bucket)) }.iter()
        })
    }

    /// Every field summed over the slots.
    fn sums(&self) -> [u64; FIELDS] {
        let mut sums = [0; FIELDS];
        for slot in self.slots().chain([&self.exiting]) {
            for (sum, c) in sums.iter_mut().zip(&slot.0) {
                *sum += c.load(Ordering::Relaxed);
            }
        }
        sums
    }
}

impl Drop for PerThread {
    fn drop(&mut self) {
        for (bucket, slots) in self.buckets.iter_mut().enumerate() {
            let slots = *slots.get_mut();
            if !slots.is_null() {
                // SAFETY: published by `allocate`, and `&mut self` means no
                // thread is counting any more.
                drop(unsafe { Self::boxed(slots, bucket) });
            }
        }
    }
}

/// This thread has no index yet: the record's first value, a bucket that
/// is never allocated.
const UNASSIGNED: usize = 0;
/// This thread is exiting and has given its index back.
const EXITING: usize = BUCKET_ARRAY - 1;
const _: () = assert!(BUCKETS < EXITING);

thread_local! {
    /// Gives the thread's index back when it exits.
    static RELEASE: Release = const { Release(Cell::new(usize::MAX)) };
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
    set_position(position);
    position
}

struct Release(Cell<usize>);

impl Drop for Release {
    fn drop(&mut self) {
        // The lock orders this thread's last slot writes before the next
        // owner's first read of them.
        set_position((EXITING, 0));
        FREE.lock().0.push(Reverse(self.0.get()));
    }
}

/// Sub-buckets per power of two: bucket width is 1/4 of its lower bound.
const SUB_BITS: u32 = 2;
const SUB: usize = 1 << SUB_BITS;
/// Times up to 2^40 ticks (six minutes at 3 GHz) get their own buckets;
/// longer ones share the last.
const MAX_BITS: u32 = 40;
const HISTOGRAM_BUCKETS: usize = SUB + (MAX_BITS - SUB_BITS) as usize * SUB;

/// Compute times in ticks on a log-linear scale, for their median.
/// Updated on misses only; allocated on the first one.
struct Histogram {
    counts: OnceLock<Box<[AtomicU64]>>,
}

fn histogram_bucket(ticks: u64) -> usize {
    if ticks < SUB as u64 {
        return ticks as usize;
    }
    let bits = ticks.ilog2().min(MAX_BITS - 1);
    let ticks = ticks.min((1 << MAX_BITS) - 1);
    let sub = (ticks >> (bits - SUB_BITS)) as usize & (SUB - 1);
    SUB + (bits - SUB_BITS) as usize * SUB + sub
}

/// The middle of a bucket's range, in ticks.
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

    fn record(&self, ticks: u64) {
        let counts = self
            .counts
            .get_or_init(|| (0..HISTOGRAM_BUCKETS).map(|_| AtomicU64::new(0)).collect());
        counts[histogram_bucket(ticks)].fetch_add(1, Ordering::Relaxed);
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
        let mut expected = (1, 0);
        for index in 0..10_000 {
            assert_eq!(locate(index), expected, "index {index}");
            expected.1 += 1;
            if expected.1 == bucket_len(expected.0) {
                expected = (expected.0 + 1, 0);
            }
        }
        assert_eq!(locate(FIRST * ((1 << BUCKETS) - 1) - 1).0, BUCKETS);
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

    #[test]
    fn misses_inserts_and_compute_time_from_many_threads_are_exact() {
        let counters = Counters::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1_000 {
                        counters.miss(Some(3));
                        counters.inserted();
                    }
                });
            }
        });
        let stats = counters.snapshot();
        assert_eq!((stats.misses, stats.inserts), (4_000, 4_000));
        assert_eq!(estimated_ticks(&counters.since_reset()), 12_000);
        counters.reset();
        counters.miss(Some(5));
        let stats = counters.snapshot();
        assert_eq!((stats.misses, stats.inserts), (1, 0));
        assert_eq!(estimated_ticks(&counters.since_reset()), 5);
    }

    /// Untimed misses count as misses, and the timed ones stand for them.
    #[test]
    fn compute_time_scales_the_timed_misses_to_all() {
        let counters = Counters::new();
        for _ in 0..10 {
            counters.miss(Some(100));
        }
        for _ in 0..30 {
            counters.miss(None);
        }
        let counts = counters.since_reset();
        assert_eq!((counts[MISSES], counts[TIMED_MISSES]), (40, 10));
        assert_eq!(estimated_ticks(&counts), 4_000);
        assert_eq!(counters.snapshot().misses, 40);
        assert_eq!(estimated_ticks(&[0; FIELDS]), 0);
    }

    /// A thread times its first misses of a cache, then about one in
    /// `TIMED_ONE_IN`.
    #[test]
    fn misses_are_timed_at_first_then_sampled() {
        let counters = Counters::new();
        for _ in 0..ALWAYS_TIMED {
            assert!(counters.should_time());
            counters.miss(Some(1));
        }
        let timed = (0..8_000)
            .filter(|_| {
                let timed = counters.should_time();
                counters.miss(timed.then_some(1));
                timed
            })
            .count();
        let expected = 8_000 / TIMED_ONE_IN as usize;
        assert!(timed.abs_diff(expected) < expected / 5, "{timed} timed");
        let counts = counters.since_reset();
        assert_eq!(counts[TIMED_MISSES], ALWAYS_TIMED + timed as u64);
    }
}
