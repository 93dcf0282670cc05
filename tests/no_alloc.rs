//! A hit allocates nothing: keys are looked up by borrowing the arguments
//! (`&str` is never turned into a `String` to find its entry).
//!
//! A counting global allocator, counting only the allocations of the thread
//! under test, makes this deterministic. Its own test binary, so that no
//! other test's allocator is replaced.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use memokit::cached;

struct Counting;

thread_local! {
    /// Allocations made by this thread. Const-initialised and without a
    /// destructor, so reading it inside the allocator never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System`; only counts on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[cached]
fn host_len(host: &str) -> usize {
    host.len()
}

#[cached(ttl = "1h", capacity = 100)]
fn resolve(host: &str, port: u16) -> Result<String, std::io::Error> {
    Ok(format!("{host}:{port}"))
}

#[cached]
fn checksum(name: &str, bytes: &[u8]) -> u64 {
    name.len() as u64 + bytes.iter().map(|&b| u64::from(b)).sum::<u64>()
}

#[cached]
fn config() -> std::sync::Arc<str> {
    "fast".into()
}

/// Calls enough to leave every one-time cost behind: the cache, the entry,
/// the thread's reader slot, and the switch of hits to lock-free reads.
const WARM_UP: usize = 1_000;

#[test]
fn a_str_keyed_hit_allocates_nothing() {
    for _ in 0..WARM_UP {
        host_len("example.com");
    }
    let hits = allocations(|| {
        for _ in 0..10_000 {
            assert_eq!(host_len(std::hint::black_box("example.com")), 11);
        }
    });
    assert_eq!(hits, 0);
}

#[test]
fn the_counter_sees_what_a_miss_allocates() {
    host_len("warm.example");
    assert!(allocations(|| assert_eq!(host_len("fresh.example"), 13)) > 0);
}

#[test]
fn expiring_bounded_and_several_borrowed_arguments_allocate_nothing_on_a_hit() {
    for _ in 0..WARM_UP {
        resolve("db", 5432).unwrap();
        checksum("blob", &[1, 2, 3]);
    }
    let hits = allocations(|| {
        for _ in 0..10_000 {
            // Only the returned `String` clone allocates: one per call.
            drop(resolve("db", 5432));
            assert_eq!(checksum("blob", &[1, 2, 3]), 10);
        }
    });
    assert_eq!(hits, 10_000);
}

#[test]
fn a_no_argument_hit_allocates_nothing() {
    for _ in 0..WARM_UP {
        config();
    }
    assert_eq!(allocations(|| drop(config())), 0);
}
