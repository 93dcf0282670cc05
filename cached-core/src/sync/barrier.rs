//! Asymmetric memory barriers: nearly free for readers, costly for writers.
//!
//! A reader announces itself with a plain store and then reads a flag; a
//! writer clears the flag and then reads the announcements. Each side needs
//! a full barrier between its store and its load (otherwise both can miss
//! each other). [`light_for`] and [`heavy`] are such a pair: whenever a `light`
//! and a `heavy` barrier run concurrently, one of them acts as if it came
//! first, so the loads after the other see the stores before it.
//!
//! On Linux `heavy` is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`,
//! which runs a full barrier on every CPU currently running a thread of this
//! process (a thread not running passes through one when it is switched
//! in), so the light barrier only has to stop the compiler from reordering. Elsewhere,
//! or when the kernel refuses, both are `fence(SeqCst)`: still correct,
//! only readers pay a fence. Under Miri and loom both are `fence(SeqCst)`,
//! the model they can check.

// Under loom only the models use slots and the barrier modes, so some
// of this is unused in the library itself.
#![cfg_attr(loom, allow(dead_code))]

#[cfg(not(loom))]
use crate::sync::AtomicU8;
use crate::sync::{fence, Ordering};

const UNKNOWN: u8 = 0;
const SYMMETRIC: u8 = 1;
const ASYMMETRIC: u8 = 2;

/// Decided once, by [`init`], before the first lock that uses these
/// barriers exists; constant afterwards, so readers and writers always
/// agree on which pair they use.
#[cfg(not(loom))]
static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Chooses the barrier pair. Called by every lock constructor, so it has
/// run (and happened-before, through the lock's publication) before any
/// reader or writer of that lock.
pub(crate) fn init() {
    #[cfg(not(loom))]
    if MODE.load(Ordering::Relaxed) == UNKNOWN {
        let mode = if sys::register() {
            ASYMMETRIC
        } else {
            SYMMETRIC
        };
        MODE.store(mode, Ordering::Relaxed);
    }
}

/// The barrier pair in use, never 0: a lock may keep it beside a flag, so
/// that its readers learn both from one load (see [`light_for`]).
#[inline]
pub(crate) fn mode() -> u8 {
    #[cfg(not(loom))]
    return MODE.load(Ordering::Relaxed);
    #[cfg(loom)]
    return SYMMETRIC;
}

#[inline]
fn asymmetric() -> bool {
    mode() == ASYMMETRIC
}

/// The reader's side: orders its earlier stores before its later loads,
/// given a concurrent [`heavy`]. `mode` is [`mode`], which the caller
/// keeps beside the data it reads.
#[inline]
pub(crate) fn light_for(mode: u8) {
    if mode == ASYMMETRIC {
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
    } else {
        fence(Ordering::SeqCst);
    }
}

/// The writer's side, paired with [`light_for`].
pub(crate) fn heavy() {
    fence(Ordering::SeqCst);
    if asymmetric() {
        sys::membarrier_all();
    }
}

#[cfg(all(target_os = "linux", not(miri), not(loom)))]
mod sys {
    const QUERY: libc::c_int = 0;
    const PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
    const REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

    fn membarrier(cmd: libc::c_int) -> libc::c_long {
        // SAFETY: membarrier takes (int cmd, unsigned flags, int cpu_id)
        // and touches no memory of ours; an unknown command fails with
        // EINVAL, an absent syscall with ENOSYS.
        unsafe {
            libc::syscall(
                libc::SYS_membarrier,
                cmd,
                0 as libc::c_uint,
                0 as libc::c_int,
            )
        }
    }

    /// Whether the expedited private barrier is available and registered.
    pub(super) fn register() -> bool {
        let supported = membarrier(QUERY);
        supported >= 0
            && supported & libc::c_long::from(PRIVATE_EXPEDITED) != 0
            && membarrier(REGISTER_PRIVATE_EXPEDITED) == 0
    }

    pub(super) fn membarrier_all() {
        let done = membarrier(PRIVATE_EXPEDITED);
        // Registration succeeded, so this cannot fail; if it ever did, the
        // readers' compiler-only barriers would be unsound: stop here.
        assert!(done == 0, "memokit: membarrier failed after registration");
    }
}

#[cfg(not(all(target_os = "linux", not(miri), not(loom))))]
mod sys {
    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn membarrier_all() {
        unreachable!("the asymmetric mode is only chosen on Linux")
    }
}
