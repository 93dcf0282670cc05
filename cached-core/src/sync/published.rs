//! A pointer published to lock-free readers and retracted by writers.
//!
//! The protocol of [`ShardLock`](crate::shard::lock)'s single-entry path,
//! apart from the shard so that loom can check it:
//!
//! * a reader announces this pointer's address in its thread's slot
//!   ([`readers`](crate::sync::readers)), runs [`barrier::light_for`], loads the
//!   pointer and reads the target only if it is not null; then withdraws;
//! * a writer *retracts* before it may move, change or free the target:
//!   stores null, runs [`barrier::heavy`] and waits until no slot announces
//!   this pointer.
//!
//! By the barrier pair, a reader either loads the null or is seen by the
//! writer, who waits for its withdrawal (whose release orders its reads
//! before the writer's changes). Retracting a null pointer costs nothing,
//! so writers pay the heavy barrier only after a publication.

use std::ptr;

use crate::sync::barrier;
use crate::sync::readers::{ReaderSlots, Slot};
use crate::sync::{AtomicPtr, Ordering};

/// See the module documentation.
pub(crate) struct Published<T> {
    target: AtomicPtr<T>,
    /// [`barrier::mode`], beside the pointer so a hit reads both from one
    /// cache line.
    mode: u8,
    registry: &'static ReaderSlots,
}

impl<T> Published<T> {
    /// Nothing published, readers announcing in the process-wide registry.
    pub(crate) fn new() -> Self {
        Self::with_registry(crate::sync::readers::global())
    }

    /// Nothing published, readers announcing in `registry`.
    pub(crate) fn with_registry(registry: &'static ReaderSlots) -> Self {
        barrier::init();
        Published {
            target: AtomicPtr::new(ptr::null_mut()),
            mode: barrier::mode(),
            registry,
        }
    }

    /// Runs `read` on the published target, if any; `None` also when this
    /// thread has no reader slot yet (see [`readers::claimed`]).
    ///
    /// [`readers::claimed`]: crate::sync::readers::claimed
    #[inline(always)]
    pub(crate) fn read<R>(&self, read: impl FnOnce(&T) -> Option<R>) -> Option<R> {
        self.read_as(crate::sync::readers::claimed(), read)
    }

    /// [`read`](Self::read) on behalf of the thread owning `slot`; `None`
    /// without a slot, or when the thread is already reading through it.
    #[inline(always)]
    pub(crate) fn read_as<R>(
        &self,
        slot: Option<&Slot>,
        read: impl FnOnce(&T) -> Option<R>,
    ) -> Option<R> {
        let _announced = slot?.announce(self.address())?;
        barrier::light_for(self.mode);
        // Acquire: pairs with the release in `publish`.
        let target = self.target.load(Ordering::Acquire);
        // SAFETY: not null, so published and not retracted before our
        // announcement was visible: `publish`'s contract keeps the target
        // valid and unchanged until the retraction, which waits for us.
        read(unsafe { target.as_ref()? })
    }

    /// Makes `target` readable (null: nothing).
    ///
    /// # Safety
    /// Until [`retract`](Self::retract) next returns, `target` must stay
    /// valid for shared reads and nothing may mutate it (atomics and cells
    /// apart), and no other thread may call `publish` or `retract`.
    pub(crate) unsafe fn publish(&self, target: *const T) {
        self.target.store(target.cast_mut(), Ordering::Release);
    }

    /// Withdraws the target and waits until no reader uses it; afterwards
    /// the caller may change or free it. Callers must be serialised (by a
    /// lock) with each other and with [`publish`](Self::publish).
    pub(crate) fn retract(&self) {
        if self.target.load(Ordering::Relaxed).is_null() {
            return;
        }
        self.target.store(ptr::null_mut(), Ordering::Relaxed);
        barrier::heavy();
        self.registry.wait_for_readers(self.address());
    }

    pub(crate) fn address(&self) -> usize {
        ptr::from_ref(self).addr()
    }
}
