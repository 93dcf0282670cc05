//! Memory per entry of a bounded `u64 -> u64` cache, measured with a
//! counting global allocator (this test binary's own, so nothing else
//! allocates through it while it measures).
//!
//! `cargo test --test memory -- --nocapture` prints the measurements.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use memokit::cached;

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes of key and value of a `u64 -> u64` entry.
const PAYLOAD: f64 = 16.0;
/// The target: bookkeeping per entry beyond key and value.
const MAX_OVERHEAD: f64 = 40.0;

/// Fills the cache behind `f` with `keys` distinct keys (several times its
/// capacity, so it is in its steady state: evicting, and holding its ghost), and returns the bytes per entry
/// beyond key and value.
fn overhead(
    f: fn(u64) -> u64,
    clear: &dyn Fn(),
    len: &dyn Fn() -> usize,
    keys: u64,
) -> (usize, f64) {
    f(u64::MAX); // creates the cache
    clear();
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    for k in 0..keys {
        f(k);
    }
    let bytes = LIVE_BYTES.load(Ordering::Relaxed) - before;
    let len = len();
    (len, bytes as f64 / len as f64 - PAYLOAD)
}

/// Defines one `#[cached(capacity = N)]` function per capacity, measures
/// each, and returns the worst overhead.
macro_rules! measure {
    ($(($name:ident, $control:ident, $cap:tt)),*) => {{
        let mut worst: f64 = 0.0;
        $(
            #[cached(capacity = $cap)]
            fn $name(k: u64) -> u64 {
                k
            }
            let (len, extra) = overhead($name, &|| $control().clear(), &|| $control().len(), 3 * $cap);
            eprintln!("capacity {:>9}: {len} entries, {extra:.1} bytes per entry beyond key and value", $cap);
            assert!(len <= $cap);
            worst = worst.max(extra);
        )*
        worst
    }};
}

#[test]
fn bounded_entry_overhead_is_at_most_40_bytes() {
    let worst = measure!(
        (bounded_3k, bounded_3k_memokit, 3000),
        (bounded_10k, bounded_10k_memokit, 10000),
        (bounded_100k, bounded_100k_memokit, 100000),
        (bounded_1m, bounded_1m_memokit, 1000000)
    );
    assert!(
        worst <= MAX_OVERHEAD,
        "{worst:.1} bytes per entry beyond key and value"
    );
}
