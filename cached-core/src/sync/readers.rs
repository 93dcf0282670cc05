//! One announcement slot per thread, for readers that take no lock.
//!
//! A thread reading a [`BiasedLock`](crate::sync::biased::BiasedLock) without
//! locking it writes the lock's address into its own slot, a cache line no
//! other thread writes, and clears it when done. A writer that has to wait
//! for such readers scans every slot ([`ReaderSlots::slots`]).
//!
//! Slots live in a list that only grows; a slot is handed to one thread at
//! a time and returned when the thread exits, so the list is as long as the
//! largest number of threads that were ever reading at once.

// Under loom only the models use slots and the barrier modes, so some
// of this is unused in the library itself.
#![cfg_attr(loom, allow(dead_code))]

use std::ptr;

use crate::sync::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// The announcement of one thread.
#[repr(align(128))]
pub(crate) struct Slot {
    /// Address of the lock this thread reads without locking, or 0.
    /// Written only by the owning thread.
    pub(crate) reading: AtomicUsize,
    owned: AtomicBool,
    /// The next slot in the registry; set before the slot is published.
    next: *const Slot,
}

impl Slot {
    /// Announces a lock-free read of whatever lives at `address`, until
    /// the result is dropped; `None` if this thread is already reading
    /// through its slot (a nested read, which must take a lock instead).
    /// The caller still has to run [`light_for`](crate::sync::barrier::light_for) and
    /// then check that lock-free reading is allowed.
    #[inline(always)]
    pub(crate) fn announce(&self, address: usize) -> Option<Announced<'_>> {
        if self.reading.load(Ordering::Relaxed) != 0 {
            return None;
        }
        self.reading.store(address, Ordering::Relaxed);
        Some(Announced(self))
    }
}

/// A reader's announcement; withdrawn on drop, also when the read panics,
/// so a panicking `Clone` cannot leave writers waiting forever.
pub(crate) struct Announced<'a>(&'a Slot);

impl Drop for Announced<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: orders the reads before a writer that sees the 0.
        self.0.reading.store(0, Ordering::Release);
    }
}

/// Every slot ever handed out.
pub(crate) struct ReaderSlots {
    head: AtomicPtr<Slot>,
}

// SAFETY: the raw `next` pointers point to leaked (never freed while the
// registry is shared) slots made only of atomics.
unsafe impl Send for ReaderSlots {}
unsafe impl Sync for ReaderSlots {}

impl ReaderSlots {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        ReaderSlots {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        ReaderSlots {
            head: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// A slot for the calling thread: a returned one, or a new one.
    pub(crate) fn claim(&self) -> &Slot {
        for slot in self.slots() {
            if !slot.owned.load(Ordering::Relaxed)
                && slot
                    .owned
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return slot;
            }
        }
        let mut head = self.head.load(Ordering::Acquire);
        let slot = Box::leak(Box::new(Slot {
            reading: AtomicUsize::new(0),
            owned: AtomicBool::new(true),
            next: head,
        }));
        // Publish with release so a scanning writer that sees the slot sees
        // its initial fields.
        while let Err(now) =
            self.head
                .compare_exchange(head, slot, Ordering::AcqRel, Ordering::Acquire)
        {
            head = now;
            slot.next = head;
        }
        slot
    }

    /// Hands a slot back; its thread must not be reading.
    pub(crate) fn release(&self, slot: &Slot) {
        debug_assert_eq!(slot.reading.load(Ordering::Relaxed), 0);
        slot.owned.store(false, Ordering::Release);
    }

    /// Returns once no slot announces `address`. The caller has made sure
    /// (by clearing a flag, then [`heavy`](crate::sync::barrier::heavy)) that
    /// readers arriving from now on will not announce it again.
    pub(crate) fn wait_for_readers(&self, address: usize) {
        for slot in self.slots() {
            let mut spins = 0u32;
            // Acquire: pairs with the reader's withdrawal, ordering its
            // reads before the caller's writes.
            while slot.reading.load(Ordering::Acquire) == address {
                crate::sync::backoff(spins);
                spins = spins.saturating_add(1);
            }
        }
    }

    /// Every slot, owned or not.
    pub(crate) fn slots(&self) -> impl Iterator<Item = &Slot> {
        let mut next = self.head.load(Ordering::Acquire).cast_const();
        std::iter::from_fn(move || {
            // SAFETY: slots are leaked on creation and never freed while the
            // registry lives (see `Drop`), and `next` is fixed before a slot
            // is published by the release in `claim`.
            let slot = unsafe { next.as_ref()? };
            next = slot.next;
            Some(slot)
        })
    }
}

/// Only registries made for tests are ever dropped; the global one is a
/// `static`. Frees the slots, which no thread may use any more.
impl Drop for ReaderSlots {
    fn drop(&mut self) {
        let mut next = self.head.load(Ordering::Acquire);
        while !next.is_null() {
            // SAFETY: every slot was made by `Box::leak` in `claim`, and
            // `&mut self` means nobody else holds one.
            let slot = unsafe { Box::from_raw(next) };
            next = slot.next.cast_mut();
        }
    }
}

#[cfg(not(loom))]
pub(crate) use current::{claimed, current, global};

/// Under loom, caches read through their locks: thread-local slots are not
/// modelled, and `loom_tests` checks the protocol with explicit slots.
#[cfg(loom)]
pub(crate) fn current() -> Option<&'static Slot> {
    None
}

/// Under loom, as [`current`].
#[cfg(loom)]
pub(crate) fn claimed() -> Option<&'static Slot> {
    None
}

/// Under loom, a registry made on first use (inside a model).
#[cfg(loom)]
pub(crate) fn global() -> &'static ReaderSlots {
    static GLOBAL: std::sync::OnceLock<&'static ReaderSlots> = std::sync::OnceLock::new();
    GLOBAL.get_or_init(|| Box::leak(Box::new(ReaderSlots::new())))
}

#[cfg(not(loom))]
mod current {
    use std::ptr;

    use super::{ReaderSlots, Slot};
    use crate::sync::this_thread;

    static GLOBAL: ReaderSlots = ReaderSlots::new();

    thread_local! {
        /// Returns the slot when the thread exits.
        static SLOT_RETURNER: SlotReturner = const { SlotReturner };
    }

    /// This thread's slot, kept in its record: null before its first
    /// lock-free read and after the slot was given back.
    #[inline(always)]
    fn mine() -> *const Slot {
        this_thread::with(|this| this.reader_slot.get())
    }

    struct SlotReturner;

    impl Drop for SlotReturner {
        fn drop(&mut self) {
            let slot = this_thread::with(|this| this.reader_slot.replace(ptr::null()));
            // SAFETY: a non-null reader slot is a slot of `GLOBAL`, never freed.
            if let Some(slot) = unsafe { slot.as_ref() } {
                GLOBAL.release(slot);
            }
        }
    }

    /// The registry of every thread's slot.
    pub(crate) fn global() -> &'static ReaderSlots {
        &GLOBAL
    }

    /// The calling thread's slot; `None` while its thread-locals are being
    /// destroyed (such a thread reads through the lock).
    #[inline(always)]
    pub(crate) fn current() -> Option<&'static Slot> {
        let mine = mine();
        // SAFETY: as in `SlotReturner::drop`.
        match unsafe { mine.as_ref() } {
            Some(slot) => Some(slot),
            None => claim(),
        }
    }

    /// The calling thread's slot if it has one already: no call, for
    /// paths that must not save registers (the caller's slow path then
    /// claims one with [`current`]).
    #[inline(always)]
    pub(crate) fn claimed() -> Option<&'static Slot> {
        // SAFETY: as in `SlotReturner::drop`.
        unsafe { mine().as_ref() }
    }

    #[cold]
    fn claim() -> Option<&'static Slot> {
        // Registering the destructor first: if that is no longer possible
        // the thread is exiting and must not take a slot it cannot return.
        SLOT_RETURNER.try_with(|_| ()).ok()?;
        let slot = GLOBAL.claim();
        this_thread::with(|this| this.reader_slot.set(slot));
        Some(slot)
    }
}
