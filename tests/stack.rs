//! Deep memoized recursion: a cached function that recurses 3,000 levels on
//! a spawned thread of the default size (2 MiB) completes, and each level
//! costs at most 512 bytes of stack in a debug build and 96 in a release
//! build (`cargo test --release --test stack`), the user's own frame and
//! everything the cache adds included.
//!
//! Each test records where the stack is, from the user's body, at the top
//! and at the bottom of the recursion; the difference over the depth is
//! the stack one level takes.

use memokit::cached;
use std::sync::atomic::{AtomicUsize, Ordering};

const DEPTH: u64 = 3_000;

/// Stack per level allowed to a cached recursion.
const BUDGET: usize = if cfg!(debug_assertions) { 512 } else { 96 };

/// The default stack size of a spawned thread, set explicitly so that
/// `RUST_MIN_STACK` does not change what is tested.
const THREAD_STACK: usize = 2 * 1024 * 1024;

/// The addresses of a local at the top and at the bottom of one recursion.
struct Probe {
    depth: u64,
    top: AtomicUsize,
    bottom: AtomicUsize,
}

impl Probe {
    const fn new(depth: u64) -> Self {
        Probe {
            depth,
            top: AtomicUsize::new(0),
            bottom: AtomicUsize::new(0),
        }
    }

    /// Records where the stack is when `n` is the top or the bottom: the
    /// address of a local of this function, which an `async fn` polls on
    /// the stack too (its own locals live in its future).
    #[inline(never)]
    fn mark(&self, n: u64) {
        let local = 0u8;
        let at = std::hint::black_box(&local) as *const u8 as usize;
        if n == self.depth {
            self.top.store(at, Ordering::SeqCst);
        }
        if n == 0 {
            self.bottom.store(at, Ordering::SeqCst);
        }
    }

    /// Bytes of stack per level of the last recursion.
    fn per_level(&self) -> usize {
        let (top, bottom) = (
            self.top.load(Ordering::SeqCst),
            self.bottom.load(Ordering::SeqCst),
        );
        assert!(top > bottom && bottom != 0, "the probe saw no recursion");
        (top - bottom) / self.depth as usize
    }
}

/// Runs `f` on a thread with the default stack size.
fn on_default_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(THREAD_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the recursion overflowed or panicked")
}

fn check(what: &str, probe: &Probe) {
    let per_level = probe.per_level();
    eprintln!("{what}: {per_level} bytes of stack per level");
    assert!(
        per_level <= BUDGET,
        "{what}: {per_level} bytes of stack per level, over the budget of {BUDGET}"
    );
}

static PLAIN: Probe = Probe::new(DEPTH);
fn plain(n: u64) -> u64 {
    PLAIN.mark(n);
    if n == 0 {
        0
    } else {
        std::hint::black_box(plain as fn(u64) -> u64)(n - 1) + 1
    }
}

static FREE: Probe = Probe::new(DEPTH);
#[cached]
fn free(n: u64) -> u64 {
    FREE.mark(n);
    if n == 0 {
        0
    } else {
        free(n - 1) + 1
    }
}

#[test]
fn a_cached_recursion_3000_deep_fits_a_default_thread() {
    assert_eq!(on_default_thread(|| free(DEPTH)), DEPTH);
    check("cached fn", &FREE);
    assert_eq!(on_default_thread(|| free(DEPTH)), DEPTH, "now a hit");
}

#[test]
fn the_same_recursion_uncached_for_comparison() {
    assert_eq!(on_default_thread(|| plain(DEPTH)), DEPTH);
    eprintln!("plain fn: {} bytes of stack per level", PLAIN.per_level());
}

/// A two-word key (apart from its hash, the key and the closure's captures
/// fit in registers): in a release build the generated function then
/// tail-calls the miss path, so its own frame, the hit path's, is gone
/// while the body runs. A key too large for that does not get the budget:
/// with `key = n.to_string()` a level took 368 bytes in a release build and
/// 640 in a debug one (rustc 1.95, x86-64).
static METHOD: Probe = Probe::new(DEPTH);
struct Walker {
    step: u64,
}

impl Walker {
    #[cached(key = (self.step, n))]
    fn walk(&self, n: u64) -> u64 {
        METHOD.mark(n);
        if n == 0 {
            0
        } else {
            self.walk(n - self.step) + 1
        }
    }
}

#[test]
fn a_cached_method_recursion_3000_deep_fits_a_default_thread() {
    assert_eq!(on_default_thread(|| Walker { step: 1 }.walk(DEPTH)), DEPTH);
    check("cached &self method", &METHOD);
}

/// An `async fn` nests one chain of polls per level (the generated future,
/// the single-flight's, the body's and the box's), about 2.2 KB in a debug
/// build and 550 bytes in a release one: outside the budget above, so this
/// recursion is shallower, and its cost is reported, not bounded.
const ASYNC_DEPTH: u64 = 500;

static ASYNC: Probe = Probe::new(ASYNC_DEPTH);
#[cached]
async fn nested(n: u64) -> u64 {
    ASYNC.mark(n);
    if n == 0 {
        0
    } else {
        // A recursive `async fn` needs its inner future boxed.
        Box::pin(nested(n - 1)).await + 1
    }
}

#[test]
fn a_cached_async_recursion_runs_on_a_default_thread() {
    let got = on_default_thread(|| futures::executor::block_on(nested(ASYNC_DEPTH)));
    assert_eq!(got, ASYNC_DEPTH);
    eprintln!(
        "cached async fn: {} bytes of stack per level",
        ASYNC.per_level()
    );
}

/// The other shapes a recursion takes: an expiring and bounded cache, a
/// `Result`, a borrowed argument. Each fits 3,000 levels on a default
/// thread (the `&str` one 2,000: its own body, a `to_string` and a `parse`,
/// takes 176 bytes a level uncached, and 3,000 levels would fill the thread
/// but for a few KB). In a debug build the first two are within the budget,
/// and what the cache adds to the `&str` one is.
static EXPIRING: Probe = Probe::new(DEPTH);
#[cached(ttl = "1h", capacity = 10_000)]
fn expiring(n: u32) -> u64 {
    EXPIRING.mark(u64::from(n));
    if n == 0 {
        0
    } else {
        expiring(n - 1) + 1
    }
}

static FALLIBLE: Probe = Probe::new(DEPTH);
#[cached]
fn fallible(n: u64) -> Result<u64, String> {
    FALLIBLE.mark(n);
    if n == 0 {
        Ok(0)
    } else {
        Ok(fallible(n - 1)? + 1)
    }
}

const BORROWED_DEPTH: u64 = 2_000;
static BORROWED: Probe = Probe::new(BORROWED_DEPTH);
#[cached]
fn borrowed(digits: &str) -> u64 {
    let n: u64 = digits.parse().expect("digits");
    BORROWED.mark(n);
    if n == 0 {
        0
    } else {
        borrowed(&(n - 1).to_string()) + 1
    }
}

static BORROWED_PLAIN: Probe = Probe::new(BORROWED_DEPTH);
fn borrowed_plain(digits: &str) -> u64 {
    let n: u64 = digits.parse().expect("digits");
    BORROWED_PLAIN.mark(n);
    if n == 0 {
        0
    } else {
        std::hint::black_box(borrowed_plain as fn(&str) -> u64)(&(n - 1).to_string()) + 1
    }
}

#[test]
fn other_shapes_3000_deep_fit_a_default_thread() {
    let depth = DEPTH as u32;
    assert_eq!(on_default_thread(move || expiring(depth)), DEPTH);
    assert_eq!(on_default_thread(|| fallible(DEPTH)), Ok(DEPTH));
    let start = BORROWED_DEPTH.to_string();
    let again = start.clone();
    assert_eq!(on_default_thread(move || borrowed(&start)), BORROWED_DEPTH);
    assert_eq!(
        on_default_thread(move || borrowed_plain(&again)),
        BORROWED_DEPTH
    );
    let added = BORROWED.per_level() - BORROWED_PLAIN.per_level();
    eprintln!(
        "cached fn of a &str: {} bytes of stack per level, {added} more than uncached",
        BORROWED.per_level()
    );
    if cfg!(debug_assertions) {
        check("cached fn with ttl and capacity", &EXPIRING);
        check("cached fn returning a Result", &FALLIBLE);
        assert!(added <= BUDGET, "a &str key adds {added} bytes per level");
    } else {
        for (what, probe) in [("ttl and capacity", &EXPIRING), ("Result", &FALLIBLE)] {
            eprintln!(
                "cached fn, {what}: {} bytes of stack per level",
                probe.per_level()
            );
        }
    }
}
