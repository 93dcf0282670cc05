//! The locks the current thread holds, so that re-entering one panics with
//! a message instead of deadlocking.
//!
//! User code runs under a shard's lock in two places only: a key's `Eq`
//! (finding a key needs it) and a value's `Clone` on a hit (a shared read).
//! Either may call the cache again. A nested read of a lock the thread
//! already reads needs no second lock (the first keeps writers out); a
//! write, or a read while the thread writes, can never be granted, and
//! would wait for the thread itself.
//!
//! Only accesses through the underlying lock are recorded here (a
//! lock-free read shows in the thread's reader slot), a few per thread:
//! deeper nestings go unrecorded, and only lose the check.

use std::cell::Cell;

/// How a thread holds a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// A recorded access; forgotten when dropped.
pub(crate) struct Holding {
    address: usize,
    access: Access,
}

impl Holding {
    /// Records that this thread holds the lock at `address`.
    #[inline]
    pub(crate) fn enter(address: usize, access: Access) -> Holding {
        enter(address, access);
        Holding { address, access }
    }
}

impl Drop for Holding {
    #[inline]
    fn drop(&mut self) {
        leave(self.address, self.access);
    }
}

/// Most locks recorded at once; deeper nestings go unrecorded.
const DEPTH: usize = 8;

/// Lock addresses (aligned, so bit 0 is free: set for a write), innermost
/// last; kept in the thread's record. A lock is recorded at most once: a
/// thread that holds one reads it again without recording, and never
/// writes it.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) struct Held {
    locks: [Cell<usize>; DEPTH],
    len: Cell<usize>,
}

impl Held {
    /// Nothing held.
    pub(crate) const fn new() -> Self {
        Held {
            locks: [const { Cell::new(0) }; DEPTH],
            len: Cell::new(0),
        }
    }
}

#[cfg(not(loom))]
mod imp {
    use super::{Access, Held, DEPTH};
    use crate::sync::this_thread;

    fn with<R>(f: impl FnOnce(&Held) -> R) -> R {
        this_thread::with(|this| f(&this.held))
    }

    fn entry(address: usize, access: Access) -> usize {
        debug_assert_eq!(address & 1, 0);
        address | usize::from(access == Access::Write)
    }

    /// Records that this thread holds the lock at `address` (unless it
    /// already holds `DEPTH` others).
    #[inline]
    pub(crate) fn enter(address: usize, access: Access) {
        let entry = entry(address, access);
        with(|held| {
            let len = held.len.get();
            if len < DEPTH {
                held.locks[len].set(entry);
                held.len.set(len + 1);
            }
        });
    }

    /// Forgets what [`enter`] recorded.
    #[inline]
    pub(crate) fn leave(address: usize, access: Access) {
        let entry = entry(address, access);
        with(|held| {
            let len = held.len.get();
            if len == 1 && held.locks[0].get() == entry {
                held.len.set(0);
                return;
            }
            let locks = &held.locks[..len];
            // Guards usually end innermost first, but need not.
            if let Some(at) = locks.iter().rposition(|e| e.get() == entry) {
                for i in at..len - 1 {
                    locks[i].set(locks[i + 1].get());
                }
                held.len.set(len - 1);
            }
        });
    }

    /// How this thread holds the lock at `address`, if it does.
    #[inline]
    pub(crate) fn holds(address: usize) -> Option<Access> {
        with(|held| {
            held.locks[..held.len.get()]
                .iter()
                .rev()
                .find(|e| e.get() & !1 == address)
                .map(|e| {
                    if e.get() & 1 == 1 {
                        Access::Write
                    } else {
                        Access::Read
                    }
                })
        })
    }

    /// Whether this thread holds a lock whose address is in `range`.
    #[inline]
    pub(crate) fn holds_within(range: std::ops::Range<usize>) -> bool {
        with(|held| {
            held.locks[..held.len.get()]
                .iter()
                .any(|e| range.contains(&(e.get() & !1)))
        })
    }
}

/// Under loom, models run on threads whose thread-locals are not modelled;
/// the checks are off.
#[cfg(loom)]
mod imp {
    use super::Access;

    pub(crate) fn enter(_address: usize, _access: Access) {}

    pub(crate) fn leave(_address: usize, _access: Access) {}

    pub(crate) fn holds(_address: usize) -> Option<Access> {
        None
    }

    pub(crate) fn holds_within(_range: std::ops::Range<usize>) -> bool {
        false
    }
}

pub(crate) use imp::{enter, holds, holds_within, leave};

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn accesses_are_recorded_until_dropped_in_any_order() {
        let (a, b) = (0x1000, 0x2000);
        assert_eq!(holds(a), None);
        let read_a = Holding::enter(a, Access::Read);
        let write_b = Holding::enter(b, Access::Write);
        assert_eq!(holds(a), Some(Access::Read));
        assert_eq!(holds(b), Some(Access::Write));
        drop(read_a);
        assert_eq!(holds(a), None);
        assert_eq!(holds(b), Some(Access::Write));
        assert!(holds_within(0x1800..0x2001));
        assert!(!holds_within(0x2001..0x3000));
        drop(write_b);
        assert_eq!(holds(b), None);
        assert!(!holds_within(0..usize::MAX));
    }

    #[test]
    fn nestings_past_the_depth_are_not_recorded() {
        let many: Vec<_> = (1..=20)
            .map(|i| Holding::enter(i * 16, Access::Read))
            .collect();
        assert_eq!(holds(16), Some(Access::Read));
        assert_eq!(holds(20 * 16), None);
        drop(many);
        assert_eq!(holds(16), None);
    }
}
