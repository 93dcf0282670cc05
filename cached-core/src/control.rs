//! The control API of a cached function, in terms of its arguments.

use std::hash::Hash;
use std::sync::Arc;

use crate::cache::Cache;
use crate::clock::Clock;
use crate::stats::Stats;

/// Control of one cached function's cache, returned by its companion
/// `<name>_memokit()`.
///
/// `A` is the function's arguments as it takes them: the argument itself for
/// a one-argument function, a tuple for several, `()` for none, with the
/// receiver first for a method. `V` is its return type.
///
/// ```
/// use memokit::{cached, Control};
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
pub trait Control<A, V> {
    /// Removes every entry.
    fn clear(&self);
    /// Removes the entry for these arguments; true if there was a live one.
    /// A computation of them in flight will not be stored.
    fn invalidate(&self, args: A) -> bool;
    /// Stores `value` for these arguments, as if the function had returned
    /// it. An `Err` is ignored, as it would be from the function.
    fn insert(&self, args: A, value: V);
    /// The live value for these arguments, without computing it.
    fn peek(&self, args: A) -> Option<V>;
    /// Whether a live value is stored for these arguments.
    fn contains(&self, args: A) -> bool;
    /// The number of live entries.
    fn len(&self) -> usize;
    /// Whether there are no live entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Hits, misses, inserts, evictions, expirations and compute time.
    fn stats(&self) -> Stats;
    /// Sets every counter back to zero.
    fn reset_stats(&self);
    /// Replaces the system clock for this cache (deterministic TTL tests)
    /// and clears it. Panics if a clock was set before.
    fn set_clock(&self, clock: Arc<dyn Clock>);
}

/// A cache together with the function's key builder: what companions return.
pub struct CacheRef<K: 'static, V: 'static, F> {
    cache: &'static Cache<K, V>,
    key_of: F,
}

impl<K: 'static, V: 'static, F> CacheRef<K, V, F> {
    /// Pairs a cache with the function that turns arguments into its key.
    #[doc(hidden)]
    pub fn new(cache: &'static Cache<K, V>, key_of: F) -> Self {
        CacheRef { cache, key_of }
    }

    /// The underlying cache, whose methods take keys rather than arguments.
    pub fn cache(&self) -> &'static Cache<K, V> {
        self.cache
    }
}

impl<A, K, V, F> Control<A, V> for CacheRef<K, V, F>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Send + Sync + 'static,
    F: Fn(A) -> K,
{
    fn clear(&self) {
        self.cache.clear();
    }

    fn invalidate(&self, args: A) -> bool {
        self.cache.invalidate(&(self.key_of)(args))
    }

    fn insert(&self, args: A, value: V) {
        self.cache.insert((self.key_of)(args), value);
    }

    fn peek(&self, args: A) -> Option<V> {
        self.cache.peek(&(self.key_of)(args))
    }

    fn contains(&self, args: A) -> bool {
        self.peek(args).is_some()
    }

    fn len(&self) -> usize {
        self.cache.len()
    }

    fn stats(&self) -> Stats {
        self.cache.stats()
    }

    fn reset_stats(&self) {
        self.cache.reset_stats();
    }

    fn set_clock(&self, clock: Arc<dyn Clock>) {
        self.cache.set_clock(clock);
    }
}
