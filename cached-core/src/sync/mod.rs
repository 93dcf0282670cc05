//! Synchronisation: the biased reader-writer lock whose reads write
//! nothing shared ([`biased`]), the per-thread reader slots it and the
//! published pointer use ([`readers`], [`published`]), the asymmetric
//! barrier ([`barrier`]), the record of held locks ([`held`]), and the
//! thread's one thread-local record that holds it, its reader slot and
//! the per-thread values of the layers above ([`this_thread`]).
//!
//! This module itself is the one shim that owns `cfg(loom)`: atomics and
//! cells, swapped for loom's models so the lock protocol in [`biased`] can
//! be checked exhaustively.

pub(crate) mod barrier;
pub(crate) mod biased;
pub(crate) mod held;
#[cfg(all(test, loom))]
mod loom_tests;
pub(crate) mod padded;
pub(crate) mod published;
pub(crate) mod readers;
pub(crate) mod this_thread;

#[cfg(loom)]
pub(crate) use loom::cell::{ConstPtr, MutPtr, UnsafeCell};
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
};
pub(crate) use std::sync::atomic::Ordering;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
};

#[cfg(not(loom))]
pub(crate) use cell::{ConstPtr, MutPtr, UnsafeCell};

/// Waits a little in a spin loop: a pause at first, then the scheduler.
/// Under loom every wait yields, so the model lets the other threads run.
#[inline]
pub(crate) fn backoff(spins: u32) {
    #[cfg(loom)]
    {
        let _ = spins;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    if spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// `std::cell::UnsafeCell` with loom's interface: pointers whose `deref`
/// is where the caller promises the access is exclusive or shared.
#[cfg(not(loom))]
mod cell {
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    pub(crate) struct ConstPtr<T>(*const T);

    pub(crate) struct MutPtr<T>(*mut T);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        #[inline]
        pub(crate) fn get(&self) -> ConstPtr<T> {
            ConstPtr(self.0.get())
        }

        #[inline]
        pub(crate) fn get_mut(&self) -> MutPtr<T> {
            MutPtr(self.0.get())
        }
    }

    impl<T> ConstPtr<T> {
        /// # Safety
        /// No `&mut T` to the cell's value may exist while the result lives.
        #[inline]
        pub(crate) unsafe fn deref(&self) -> &T {
            // SAFETY: the pointer comes from a live cell; the caller rules
            // out concurrent mutable access.
            unsafe { &*self.0 }
        }
    }

    impl<T> MutPtr<T> {
        /// # Safety
        /// No other reference to the cell's value may exist while the result lives.
        #[allow(clippy::mut_from_ref)]
        #[inline]
        pub(crate) unsafe fn deref(&self) -> &mut T {
            // SAFETY: the pointer comes from a live cell; the caller rules
            // out every other access.
            unsafe { &mut *self.0 }
        }
    }
}
