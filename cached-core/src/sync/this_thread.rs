//! The calling thread's one record: every per-thread value the runtime
//! keeps, in a single thread-local, so that a hit reaches the two it needs
//! (its reader slot and where its counters are) through one thread-local
//! access.
//!
//! The record has no destructor and a constant initial value, so reaching
//! it is an offset from the thread pointer, with no lazy initialisation and
//! no "already destroyed" state: it stays valid while the thread's other
//! thread-locals are destroyed. What must happen at thread exit (returning
//! the reader slot, the counters' index) is registered separately, and
//! only on the slow path that first claims them.

use std::cell::Cell;

use crate::sync::held::Held;
use crate::sync::readers::Slot;

/// Each field belongs to one module, which alone reads and writes it.
pub(crate) struct ThisThread {
    /// [`readers`](crate::sync::readers): this thread's reader slot; null
    /// before its first lock-free read and after it gave the slot back.
    pub(crate) reader_slot: Cell<*const Slot>,
    /// [`stats`](crate::stats): where this thread's counters are in every
    /// cache's per-thread counters, as a bucket and an offset; bucket 0
    /// (never allocated) until the thread first counts.
    pub(crate) counters_at: Cell<(usize, usize)>,
    /// [`flight`](crate::flight): this thread's owner id for same-key
    /// recursion checks; 0 until first needed.
    pub(crate) owner: Cell<u64>,
    /// [`stats`](crate::stats): the state of this thread's random numbers,
    /// which pick the misses to time.
    pub(crate) random: Cell<u32>,
    /// [`held`](crate::sync::held): the locks this thread holds.
    pub(crate) held: Held,
}

thread_local! {
    static THIS_THREAD: ThisThread = const {
        ThisThread {
            reader_slot: Cell::new(std::ptr::null()),
            counters_at: Cell::new((0, 0)),
            owner: Cell::new(0),
            random: Cell::new(0x9E37_79B9),
            held: Held::new(),
        }
    };
}

/// Runs `f` on the calling thread's record.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&ThisThread) -> R) -> R {
    THIS_THREAD.with(f)
}
