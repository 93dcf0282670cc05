//! Model checks of the lock-free read protocol with loom, which runs each
//! test under every interleaving (and every allowed stale read) of its
//! threads, and fails on a data race on a cell it tracks:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p memokit-core --lib --release loom_tests
//! ```
//!
//! Under loom the asymmetric barrier pair is modelled by `fence(SeqCst)`
//! on both sides: the guarantee `membarrier` gives the real pair.

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

use crate::sync::biased::BiasedLock;
use crate::sync::published::Published;
use crate::sync::readers::ReaderSlots;

fn registry() -> &'static ReaderSlots {
    // Leaked: locks keep `&'static` registries. A few bytes per execution.
    Box::leak(Box::new(ReaderSlots::new()))
}

/// A lock whose bias is on: one slow read turns it on under loom.
fn biased_lock(registry: &'static ReaderSlots) -> Arc<BiasedLock<[u64; 2]>> {
    let lock = Arc::new(BiasedLock::with_registry([0, 0], "loom", registry));
    let slot = registry.claim();
    lock.read_as(Some(slot), |_| ());
    registry.release(slot);
    assert!(lock.is_biased());
    lock
}

#[test]
fn a_lock_free_read_never_overlaps_a_write() {
    loom::model(|| {
        let registry = registry();
        let lock = biased_lock(registry);
        let reader = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                let slot = registry.claim();
                let seen = lock.read_as(Some(slot), |v| *v);
                registry.release(slot);
                // Either before the write or after it, never half of it.
                assert!(seen == [0, 0] || seen == [1, 1], "{seen:?}");
            })
        };
        {
            let mut data = lock.write();
            data[0] = 1;
            data[1] = 1;
        }
        reader.join().unwrap();
    });
}

#[test]
fn a_reader_turning_the_bias_back_on_still_excludes_writers() {
    loom::model(|| {
        let registry = registry();
        let lock = biased_lock(registry);
        let reader = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                let slot = registry.claim();
                // A read after a write takes the lock and turns the bias
                // back on; the next may then read lock-free while the
                // second write revokes it again.
                for _ in 0..2 {
                    let seen = lock.read_as(Some(slot), |v| *v);
                    assert_eq!(seen[0], seen[1]);
                }
                registry.release(slot);
            })
        };
        for value in 1..=2 {
            let mut data = lock.write();
            data[0] = value;
            data[1] = value;
        }
        reader.join().unwrap();
        assert_eq!(lock.read_as(None, |v| *v), [2, 2]);
    });
}

/// The single-entry path: a target published, retracted and changed.
#[test]
fn a_published_target_is_never_read_while_it_changes() {
    loom::model(|| {
        let registry = registry();
        let published = Arc::new(Published::with_registry(registry));
        let target = Arc::new(UnsafeCell::new(7u64));
        // SAFETY: `target` outlives both threads and is changed only after
        // `retract`; publish and retract both run on this thread.
        unsafe { published.publish(Arc::as_ptr(&target)) };
        let reader = {
            let published = Arc::clone(&published);
            thread::spawn(move || {
                let slot = registry.claim();
                // loom tracks the cell: it reports a race if this read
                // overlaps the write below.
                let seen = published.read_as(Some(slot), |cell: &UnsafeCell<u64>| {
                    // SAFETY: what is under test.
                    Some(cell.with(|p| unsafe { *p }))
                });
                registry.release(slot);
                assert!(seen.is_none() || seen == Some(7), "{seen:?}");
            })
        };
        published.retract();
        // SAFETY: retracted, so no reader holds the target.
        target.with_mut(|p| unsafe { *p = 8 });
        reader.join().unwrap();
    });
}
