//! A reader-writer lock whose readers, while no one writes, write nothing
//! shared and execute no atomic read-modify-write.
//!
//! A plain `RwLock` read costs two atomic read-modify-writes on the lock
//! word, a cache line every reading thread writes: reads are serialised on
//! that line and get slower as threads are added. Here, while the lock is
//! *biased*, a reader instead announces itself in its own thread's slot
//! ([`readers`](crate::sync::readers)), re-checks the bias and reads; the writer
//! who wants the data first clears the bias and waits until no slot
//! announces this lock. This is BRAVO (Dice and Kogan, "BRAVO: Biased
//! Locking for Reader-Writer Locks", USENIX ATC 2019), with the reader's
//! store-load fence moved to the writer by an asymmetric barrier
//! ([`barrier`](crate::sync::barrier)), and per-thread slots instead of a hashed
//! table, so that a reader's announcement is a plain store.
//!
//! Writers take the underlying lock as usual. Clearing the bias (a
//! *revocation*) costs a heavy barrier and a scan of the slots, so after one
//! the lock stays unbiased, readers taking the underlying lock, until enough
//! reads have happened without a write to pay for it: a cache being filled
//! seldom revokes, a cache being hit stays biased.
//!
//! # Invariants
//! 1. `data` is mutated only through a [`WriteGuard`], which holds `lock`
//!    exclusively and was created after the bias was clear and no slot
//!    announced this lock.
//! 2. `bias` becomes non-zero only while `lock` is held (shared, by a slow
//!    reader), so never while a [`WriteGuard`] exists.
//! 3. A fast reader reads `data` only between announcing itself (a store to
//!    its slot, then [`barrier::light_for`]) and withdrawing (a release
//!    store of 0), and only if it saw `bias` set after announcing. A writer clears
//!    `bias`, runs [`barrier::heavy`], then waits for every slot announcing
//!    this lock. By the barrier pair, either the writer sees the
//!    announcement (and waits for the withdrawal, whose release orders the
//!    reads before the write) or the reader sees the cleared bias (and takes
//!    the slow path). So no read overlaps a write.
//! 4. A fast reader sees every earlier write: the bias it acquired was set
//!    by a slow reader that held `lock` after the writer released it.
//! 5. A thread reads at most one lock at a time through its slot; a nested
//!    read (a `Clone` or `Eq` that reads another cache) takes the slow path.
//! 6. A nested read of a lock the thread already reads takes nothing: the
//!    outer read keeps writers out (taking the lock again could wait for a
//!    writer that waits for this thread). A write, or a read while writing,
//!    by a thread that holds the lock panics: it could only wait for itself
//!    ([`held`](crate::sync::held); the cache checks before it writes).

use std::mem::ManuallyDrop;
use std::time::Instant;

use crate::sync::barrier;
use crate::sync::held::{self, Access, Holding};
use crate::sync::readers::{Announced, ReaderSlots, Slot};
use crate::sync::{AtomicU32, AtomicU8, ConstPtr, MutPtr, Ordering, UnsafeCell};

#[cfg(not(loom))]
type RawLock = parking_lot::RwLock<()>;
#[cfg(loom)]
type RawLock = loom::sync::RwLock<()>;

#[cfg(not(loom))]
type RawWriteGuard<'a> = parking_lot::RwLockWriteGuard<'a, ()>;
#[cfg(loom)]
type RawWriteGuard<'a> = loom::sync::RwLockWriteGuard<'a, ()>;

#[cfg(not(loom))]
type RawReadGuard<'a> = parking_lot::RwLockReadGuard<'a, ()>;
#[cfg(loom)]
type RawReadGuard<'a> = loom::sync::RwLockReadGuard<'a, ()>;

/// Slow reads required before the bias comes back, at least (under loom,
/// one, so the models reach the biased state quickly).
const MIN_REBIAS: u32 = if cfg!(loom) { 1 } else { 64 };
/// And at most, however costly the last revocation was.
const MAX_REBIAS: u32 = 1 << 16;
/// Roughly what a slow read costs more than a fast one: a revocation that
/// took `n` ns is paid for after `n / SLOW_READ_EXTRA_NS` slow reads.
const SLOW_READ_EXTRA_NS: u128 = 8;

/// See the module documentation.
pub(crate) struct BiasedLock<T> {
    /// Non-zero: readers may read without taking `lock` (invariants 2
    /// and 3); the value is the [`barrier::mode`] they use, so a reader
    /// learns both from one load.
    bias: AtomicU8,
    /// Slow reads since the last write or revocation.
    slow_reads: AtomicU32,
    /// `slow_reads` at which a slow reader sets `bias` again.
    rebias_after: AtomicU32,
    lock: RawLock,
    registry: &'static ReaderSlots,
    /// The function whose cache this protects, for the re-entrance panics.
    name: &'static str,
    data: UnsafeCell<T>,
}

// SAFETY: like `RwLock<T>`: the lock hands out `&T` to several threads at
// once (so `T: Sync`) and `&mut T` to one at a time (so `T: Send`).
unsafe impl<T: Send> Send for BiasedLock<T> {}
unsafe impl<T: Send + Sync> Sync for BiasedLock<T> {}

/// Shared access, of either kind; ends when dropped.
pub(crate) struct ReadGuard<'a, T> {
    // Declared first, so dropped (the access ended) before the holds.
    data: ConstPtr<T>,
    /// A lock-free read (invariant 3).
    _announced: Option<Announced<'a>>,
    /// A read through `lock`. Neither this nor an announcement: a read
    /// inside another of the same thread (invariant 6).
    _locked: Option<LockedRead<'a>>,
}

/// A read through `lock`, recorded in [`held`]; ended out of line, so that
/// ending a lock-free read stays one inlined store.
struct LockedRead<'a>(ManuallyDrop<RawReadGuard<'a>>);

impl Drop for LockedRead<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: taken once, here; `self.0` is not used again.
        end_locked(unsafe { ManuallyDrop::take(&mut self.0) });
    }
}

#[cold]
#[inline(never)]
fn end_locked(locked: RawReadGuard<'_>) {
    held::leave(raw_guard_address(&locked), Access::Read);
}

#[cfg(not(loom))]
fn raw_guard_address(guard: &RawReadGuard<'_>) -> usize {
    std::ptr::from_ref(parking_lot::RwLockReadGuard::rwlock(guard)).addr()
}

/// Under loom the held-lock checks are off.
#[cfg(loom)]
fn raw_guard_address(_guard: &RawReadGuard<'_>) -> usize {
    0
}

impl<T> std::ops::Deref for ReadGuard<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: `_hold` is an announcement made while biased, or `lock`
        // held shared: either way no `WriteGuard` exists while it lives
        // (invariants 1 and 3).
        unsafe { self.data.deref() }
    }
}

/// Exclusive access; the data may be mutated through it.
pub(crate) struct WriteGuard<'a, T> {
    data: MutPtr<T>,
    _lock: RawWriteGuard<'a>,
    _holding: Holding,
}

impl<T> BiasedLock<T> {
    /// A lock whose lock-free readers announce themselves in the slots of
    /// the process-wide registry; `name` is the function whose cache it
    /// protects.
    pub(crate) fn new(data: T, name: &'static str) -> Self {
        Self::with_registry(data, name, crate::sync::readers::global())
    }

    /// A lock whose lock-free readers use the slots of `registry`.
    pub(crate) fn with_registry(
        data: T,
        name: &'static str,
        registry: &'static ReaderSlots,
    ) -> Self {
        barrier::init();
        BiasedLock {
            bias: AtomicU8::new(0),
            slow_reads: AtomicU32::new(0),
            rebias_after: AtomicU32::new(MIN_REBIAS),
            lock: RawLock::new(()),
            registry,
            name,
            data: UnsafeCell::new(data),
        }
    }

    /// Runs `read` with shared access to the data.
    #[cfg(all(test, not(loom)))]
    #[inline(always)]
    pub(crate) fn read<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        self.read_as(crate::sync::readers::current(), read)
    }

    /// Shared access to the data until the guard is dropped. For hot
    /// paths: code using the guard is inlined where a closure may not be.
    #[inline(always)]
    pub(crate) fn read_guard(&self) -> ReadGuard<'_, T> {
        // A thread without a reader slot takes the lock, which claims one
        // for its next reads: the lock-free path tests for a slot once.
        self.guard_as(crate::sync::readers::claimed())
    }

    /// [`read`](Self::read) on behalf of the thread owning `slot` (`None`:
    /// the thread has none and takes the lock). `read` runs at one place
    /// whichever way the access was obtained, so it is inlined there.
    #[cfg(test)]
    #[inline(always)]
    pub(crate) fn read_as<R>(&self, slot: Option<&Slot>, read: impl FnOnce(&T) -> R) -> R {
        read(&self.guard_as(slot))
    }

    #[inline(always)]
    fn guard_as<'a>(&'a self, slot: Option<&'a Slot>) -> ReadGuard<'a, T> {
        match self.announce(slot) {
            Some(announced) => ReadGuard {
                data: self.data.get(),
                _announced: Some(announced),
                _locked: None,
            },
            None => {
                // One word back from the call, so the guard stays in
                // registers; and locked before the access starts.
                let locked = self.lock_for_read(slot);
                ReadGuard {
                    data: self.data.get(),
                    _announced: None,
                    _locked: locked,
                }
            }
        }
    }

    #[inline(always)]
    fn announce<'s>(&self, slot: Option<&'s Slot>) -> Option<Announced<'s>> {
        let mode = self.bias.load(Ordering::Relaxed);
        if mode == 0 {
            return None;
        }
        let announced = slot?.announce(self.address())?; // invariant 5
        barrier::light_for(mode);
        // Acquire: pairs with the release that set the bias (invariant 4).
        (self.bias.load(Ordering::Acquire) != 0).then_some(announced)
    }

    /// Takes `lock` shared for a read, or nothing if this thread already
    /// reads this lock (invariant 6).
    fn lock_for_read(&self, slot: Option<&Slot>) -> Option<LockedRead<'_>> {
        if slot.is_none() {
            // For the next read (a thread without a slot reads nothing
            // lock-free, so this read is not nested in one).
            crate::sync::readers::current();
        }
        let reading = slot.is_some_and(|s| s.reading.load(Ordering::Relaxed) == self.address());
        match held::holds(self.raw_address()) {
            _ if reading => return None,
            Some(Access::Read) => return None,
            Some(Access::Write) => self.reentered(),
            None => {}
        }
        let shared = self.lock_shared();
        held::enter(self.raw_address(), Access::Read);
        // A load and a store rather than an atomic add: concurrent slow
        // readers may lose counts, which only delays the bias a little.
        let reads = self.slow_reads.load(Ordering::Relaxed).saturating_add(1);
        self.slow_reads.store(reads, Ordering::Relaxed);
        if reads >= self.rebias_after.load(Ordering::Relaxed) {
            // Release: a fast reader acquiring the bias sees every write
            // before this read (invariant 4). `lock` is held: invariant 2.
            self.bias.store(barrier::mode(), Ordering::Release);
        }
        Some(LockedRead(ManuallyDrop::new(shared)))
    }

    /// Shared access without taking anything.
    ///
    /// # Safety
    /// Until the guard is dropped, the caller must keep every writer from
    /// mutating the data (as a read of this thread that encloses this one
    /// does, or an announcement that writers wait for before mutating).
    pub(crate) unsafe fn read_unguarded(&self) -> ReadGuard<'_, T> {
        ReadGuard {
            data: self.data.get(),
            _announced: None,
            _locked: None,
        }
    }

    /// The panic of a thread that would wait for itself.
    #[cold]
    #[inline(never)]
    pub(crate) fn reentered(&self) -> ! {
        panic!(
            "memokit: `{}` would deadlock: a key's `Eq` or a value's `Clone` changed its \
             cache (`insert`, `invalidate`, `clear`) while this thread was reading it, or \
             used it while this thread was changing it. A value's `Clone` may call the \
             function and read its cache (`peek`, `len`) but not change it; a key's `Eq` \
             should not use it",
            self.name
        )
    }

    /// Whether this thread reads or writes the lock, so that writing it
    /// would wait for itself.
    fn held_here(&self) -> bool {
        let address = self.address();
        held::holds(self.raw_address()).is_some() || reads_within(address..address + 1)
    }

    /// Exclusive access, waiting for readers of both kinds to finish.
    ///
    /// The caller must have made sure that this thread does not hold the
    /// lock (invariant 6): the cache checks every one of its shards at once
    /// before it writes. Debug builds check again here.
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        if cfg!(debug_assertions) && self.held_here() {
            self.reentered();
        }
        let exclusive = self.lock_exclusive();
        let holding = Holding::enter(self.raw_address(), Access::Write);
        self.slow_reads.store(0, Ordering::Relaxed);
        if self.bias.load(Ordering::Relaxed) != 0 {
            self.revoke();
        }
        WriteGuard {
            data: self.data.get_mut(),
            _lock: exclusive,
            _holding: holding,
        }
    }

    /// Clears the bias and waits out the lock-free readers (invariant 3).
    #[cold]
    fn revoke(&self) {
        let started = Instant::now();
        self.bias.store(0, Ordering::Relaxed);
        barrier::heavy();
        self.registry.wait_for_readers(self.address());
        let cost = started.elapsed().as_nanos() / SLOW_READ_EXTRA_NS;
        let rebias = u32::try_from(cost).unwrap_or(MAX_REBIAS);
        self.rebias_after
            .store(rebias.clamp(MIN_REBIAS, MAX_REBIAS), Ordering::Relaxed);
    }

    /// Whether lock-free reads are on (for tests).
    #[cfg(test)]
    pub(crate) fn is_biased(&self) -> bool {
        self.bias.load(Ordering::Relaxed) != 0
    }

    fn address(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    /// The address [`held`] records this lock under.
    fn raw_address(&self) -> usize {
        std::ptr::from_ref(&self.lock).addr()
    }

    #[cfg(not(loom))]
    fn lock_shared(&self) -> RawReadGuard<'_> {
        self.lock.read()
    }

    #[cfg(loom)]
    fn lock_shared(&self) -> RawReadGuard<'_> {
        self.lock.read().unwrap()
    }

    #[cfg(not(loom))]
    fn lock_exclusive(&self) -> RawWriteGuard<'_> {
        self.lock.write()
    }

    #[cfg(loom)]
    fn lock_exclusive(&self) -> RawWriteGuard<'_> {
        self.lock.write().unwrap()
    }
}

impl<T> std::ops::Deref for WriteGuard<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds `lock` exclusively and the bias was
        // revoked: no other reference to the data exists (invariant 1).
        unsafe { self.data.deref() }
    }
}

impl<T> std::ops::DerefMut for WriteGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only one.
        unsafe { self.data.deref() }
    }
}

/// Whether this thread reads, lock-free, whatever lives at an address in
/// `range`.
#[inline]
pub(crate) fn reads_within(range: std::ops::Range<usize>) -> bool {
    crate::sync::readers::claimed()
        .is_some_and(|s| range.contains(&s.reading.load(Ordering::Relaxed)))
}

#[cfg(all(test, not(loom)))]
mod tests {
    /// Miri runs the same interleavings, far fewer of them.
    const ROUNDS: usize = if cfg!(miri) { 200 } else { 20_000 };
    const WRITES: u64 = if cfg!(miri) { 20 } else { 500 };

    use super::*;

    fn registry() -> &'static ReaderSlots {
        Box::leak(Box::new(ReaderSlots::new()))
    }

    #[test]
    fn reads_turn_lock_free_and_a_write_turns_them_back() {
        let registry = registry();
        let lock = BiasedLock::with_registry(1u32, "test", registry);
        let slot = registry.claim();
        assert!(!lock.is_biased());
        for _ in 0..MIN_REBIAS {
            assert_eq!(lock.read_as(Some(slot), |v| *v), 1);
        }
        assert!(lock.is_biased());
        assert_eq!(lock.read_as(Some(slot), |v| *v), 1);
        assert_eq!(slot.reading.load(Ordering::Relaxed), 0);
        *lock.write() = 2;
        assert!(!lock.is_biased());
        assert_eq!(lock.read_as(Some(slot), |v| *v), 2);
    }

    #[test]
    fn a_nested_read_takes_the_lock() {
        let registry = registry();
        let outer = BiasedLock::with_registry(1u32, "test", registry);
        let inner = BiasedLock::with_registry(2u32, "test", registry);
        let slot = registry.claim();
        for _ in 0..MIN_REBIAS {
            outer.read_as(Some(slot), |_| ());
            inner.read_as(Some(slot), |_| ());
        }
        let sum = outer.read_as(Some(slot), |a| {
            assert_eq!(slot.reading.load(Ordering::Relaxed), outer.address());
            a + inner.read_as(Some(slot), |b| *b)
        });
        assert_eq!(sum, 3);
    }

    #[test]
    fn a_panicking_read_withdraws_its_announcement() {
        let registry = registry();
        let lock = BiasedLock::with_registry(1u32, "test", registry);
        let slot = registry.claim();
        for _ in 0..MIN_REBIAS {
            lock.read_as(Some(slot), |_| ());
        }
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.read_as(Some(slot), |_| panic!("in a read"))
        }));
        assert!(caught.is_err());
        assert_eq!(slot.reading.load(Ordering::Relaxed), 0);
        *lock.write() = 5; // would wait forever on a stale announcement
        assert_eq!(lock.read_as(Some(slot), |v| *v), 5);
    }

    #[test]
    fn returned_slots_are_reused() {
        let registry = registry();
        let first = registry.claim();
        let first_address = std::ptr::from_ref(first);
        registry.release(first);
        let second = registry.claim();
        assert_eq!(first_address, std::ptr::from_ref(second));
        let third = registry.claim();
        assert_ne!(std::ptr::from_ref(second), std::ptr::from_ref(third));
        assert_eq!(registry.slots().count(), 2);
    }

    #[test]
    fn threads_read_while_one_writes() {
        let lock = BiasedLock::new([0u64; 8], "test");
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for _ in 0..ROUNDS {
                        lock.read(|v| assert!(v.iter().all(|x| *x == v[0])));
                    }
                });
            }
            s.spawn(|| {
                for i in 1..=WRITES {
                    let mut v = lock.write();
                    for x in v.iter_mut() {
                        *x = i;
                    }
                }
            });
        });
        assert_eq!(lock.read(|v| v[7]), WRITES);
    }
}
