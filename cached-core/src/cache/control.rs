//! The control API of a cached function, in terms of its arguments.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::config::Config;
use crate::cache::erased::CacheInfo;
use crate::cache::Cache;
use crate::stats::Stats;
use crate::time::clock::Clock;

/// Turns a function's arguments into its cache key. Implemented by the
/// closures generated code writes; users never implement it.
pub trait KeyFn<A> {
    /// The key type.
    type Key: CacheKey;
    /// The key of a call with these arguments.
    fn key_of(&self, args: A) -> Self::Key;
}

impl<A, K, F> KeyFn<A> for F
where
    F: Fn(A) -> K,
    K: CacheKey,
{
    type Key = K;

    fn key_of(&self, args: A) -> K {
        self(args)
    }
}

/// Control of one cached function's cache: what its companion
/// `<name>_memokit()` returns.
///
/// Methods that address one entry take the function's arguments as it takes
/// them: the argument itself for a one-argument function, a tuple for
/// several, `()` for none, with the receiver first for a method. `V` is the
/// function's return type.
///
/// ```
/// use memokit::cached;
///
/// #[cached]
/// fn greet(name: &str, excited: bool) -> String {
///     format!("hello {name}{}", if excited { "!" } else { "" })
/// }
///
/// let cache = greet_memokit();
/// assert_eq!(cache.peek(("ana", true)), None);     // peeking computes nothing
/// greet("ana", true);
/// assert_eq!(cache.peek(("ana", true)).as_deref(), Some("hello ana!"));
/// cache.insert(("bo", false), "hi bo".to_owned()); // prime an entry
/// assert_eq!(greet("bo", false), "hi bo");
/// assert!(cache.invalidate(("ana", true)));        // forget one entry
/// assert_eq!(cache.len(), 1);
/// cache.clear();                                   // forget everything
/// assert!(cache.is_empty());
/// assert_eq!(cache.stats().hits, 1);
/// ```
pub struct CacheRef<V: 'static, F> {
    erased: &'static dyn CacheInfo,
    typed: &'static (dyn Any + Send + Sync),
    key_of: F,
    values: PhantomData<fn() -> V>,
}

// A handle holds only `'static` references to a cache whose every change is
// made whole under a lock, and the key closure: a panic leaves nothing half
// changed that a later use could observe.
impl<V: 'static, F: std::panic::UnwindSafe> std::panic::UnwindSafe for CacheRef<V, F> {}
impl<V: 'static, F: std::panic::RefUnwindSafe> std::panic::RefUnwindSafe for CacheRef<V, F> {}

/// What the companion of a function `#[cached]` rejected points to: the
/// crate fails to compile with the real error, and callers of the companion
/// type-check instead of adding "cannot find function" errors.
struct Unavailable;

impl CacheInfo for Unavailable {
    fn config(&self) -> &'static Config {
        unavailable()
    }
    fn path(&self) -> &str {
        unavailable()
    }
    fn stats(&self) -> Stats {
        unavailable()
    }
    fn len(&self) -> usize {
        unavailable()
    }
    fn sweep_expired(&self) {
        unavailable()
    }
    fn hit_cost(&self) -> Option<Duration> {
        unavailable()
    }
    fn clear(&self) {
        unavailable()
    }
    fn clear_memory(&self) {
        unavailable()
    }
    fn reset_stats(&self) {
        unavailable()
    }
    fn set_clock(&self, _: Arc<dyn Clock>) {
        unavailable()
    }
    #[cfg(feature = "tier")]
    fn tier_namespace(&self) -> Option<(&'static str, &str)> {
        unavailable()
    }
}

fn unavailable() -> ! {
    unreachable!("memokit: a rejected #[cached] function has no cache")
}

impl<V: 'static, F> CacheRef<V, F> {
    /// The stand-in companion of a rejected function; never run, since the
    /// crate does not compile.
    #[doc(hidden)]
    pub fn unavailable(key_of: F) -> Self {
        CacheRef {
            erased: &Unavailable,
            typed: &(),
            key_of,
            values: PhantomData,
        }
    }
}

impl<V: CacheValue, F> CacheRef<V, F> {
    /// Pairs a cache with the function that turns arguments into its key.
    #[doc(hidden)]
    pub fn new<K, A>(cache: &'static Cache<K, V>, key_of: F) -> Self
    where
        K: CacheKey,
        F: KeyFn<A, Key = K>,
    {
        CacheRef {
            erased: cache,
            typed: cache,
            key_of,
            values: PhantomData,
        }
    }

    fn cache<A>(&self) -> &'static Cache<F::Key, V>
    where
        F: KeyFn<A>,
    {
        self.typed
            .downcast_ref()
            .expect("a companion's key function matches its cache")
    }

    /// Removes every entry, in memory and in the function's tier (`disk`).
    /// Computations in flight still answer their callers but store nothing.
    pub fn clear(&self) {
        self.erased.clear();
    }

    /// Removes every entry in memory, leaving the tier's (`disk`) as they
    /// are: what a restart of the program does. Without a tier, the same as
    /// [`clear`](Self::clear).
    ///
    /// ```
    /// use memokit::cached;
    ///
    /// #[cached]
    /// fn triple(x: u32) -> u32 { x * 3 }
    ///
    /// triple(1);
    /// triple_memokit().clear_memory();
    /// assert!(triple_memokit().is_empty());
    /// ```
    pub fn clear_memory(&self) {
        self.erased.clear_memory();
    }

    /// Removes the entry for these arguments, in memory and in the tier;
    /// true if there was a live one in memory. A computation of them in
    /// flight will not be stored.
    pub fn invalidate<A>(&self, args: A) -> bool
    where
        F: KeyFn<A>,
    {
        self.cache().invalidate(&self.key_of.key_of(args))
    }

    /// Stores `value` for these arguments, as if the function had returned
    /// it (priming), in memory and in the tier. An `Err` is ignored, as it
    /// would be from the function.
    pub fn insert<A>(&self, args: A, value: V)
    where
        F: KeyFn<A>,
    {
        self.cache().insert(self.key_of.key_of(args), value);
    }

    /// The live value for these arguments, without computing it and
    /// without counting a hit.
    pub fn peek<A>(&self, args: A) -> Option<V>
    where
        F: KeyFn<A>,
    {
        self.cache().peek(&self.key_of.key_of(args))
    }

    /// Whether a live value is stored for these arguments.
    pub fn contains<A>(&self, args: A) -> bool
    where
        F: KeyFn<A>,
    {
        self.peek(args).is_some()
    }

    /// The number of live entries.
    pub fn len(&self) -> usize {
        self.erased.len()
    }

    /// Whether there are no live entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hits, misses, inserts, evictions, expirations and compute time.
    pub fn stats(&self) -> Stats {
        self.erased.stats()
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.erased.reset_stats();
    }

    /// Replaces the system clock of this cache, for deterministic TTL tests,
    /// and clears the cache.
    ///
    /// ```
    /// use memokit::{cached, ManualClock};
    /// use std::time::Duration;
    ///
    /// #[cached(ttl = "1m")]
    /// fn now_ish() -> u32 { 7 }
    ///
    /// let clock = ManualClock::new();
    /// now_ish_memokit().set_clock(clock.clone());
    /// now_ish();
    /// clock.advance(Duration::from_secs(60));
    /// assert!(now_ish_memokit().is_empty());
    /// ```
    ///
    /// # Panics
    /// If a clock was set for this cache before.
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        self.erased.set_clock(clock);
    }
}
