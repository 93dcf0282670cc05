//! What keys and values of a cache must be, named once.

use std::hash::Hash;

/// A cache key: hashed and compared to find entries, cloned into the
/// record of a computation in flight, shared between threads. Implemented
/// for every type that is all of these.
///
/// ```
/// fn takes_keys<K: memokit_core::CacheKey>() {}
/// takes_keys::<(String, u16)>();
/// ```
pub trait CacheKey: Hash + Eq + Clone + Send + Sync + 'static {}

impl<T: Hash + Eq + Clone + Send + Sync + 'static> CacheKey for T {}

/// A stored value: shared between threads (a hit clones it, through the
/// function's value policy). Implemented for every such type.
///
/// ```
/// fn takes_values<V: memokit_core::CacheValue>() {}
/// takes_values::<std::sync::Arc<Vec<u8>>>();
/// ```
pub trait CacheValue: Send + Sync + 'static {}

impl<T: Send + Sync + 'static> CacheValue for T {}
