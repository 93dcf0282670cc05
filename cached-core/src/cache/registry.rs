//! Every cache of the program, registered on first use.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use parking_lot::Mutex;

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::config::Config;
use crate::cache::Cache;
use crate::stats::Stats;
use crate::time::stopwatch;

/// What the registry needs of a cache, whatever its key and value types.
pub trait CacheInfo: Send + Sync {
    /// The function's options.
    fn config(&self) -> &'static Config;
    /// The path of the function's instance: `app::Store<u8>::get`.
    fn path(&self) -> &str;
    /// A snapshot of its counters.
    fn stats(&self) -> Stats;
    /// Its number of live entries.
    fn len(&self) -> usize;
    /// Whether it holds no live entry.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes its expired entries.
    fn sweep_expired(&self);
    /// The time of the structural part of one hit, timed on the shard of
    /// one of its entries without counting it and without running any of
    /// the user's code: the lock, the index probe and the liveness check,
    /// not the key's `Hash` and `Eq` nor the value's `Clone`. `None` when
    /// it holds no entry. Used by [`report`](crate::report()).
    fn hit_cost(&self) -> Option<Duration>;
}

impl<K, V> CacheInfo for Cache<K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    fn config(&self) -> &'static Config {
        Cache::config(self)
    }
    fn path(&self) -> &str {
        Cache::path(self)
    }
    fn stats(&self) -> Stats {
        Cache::stats(self)
    }
    fn len(&self) -> usize {
        Cache::len(self)
    }
    fn sweep_expired(&self) {
        Cache::sweep_expired(self)
    }
    fn hit_cost(&self) -> Option<Duration> {
        let shard = self.occupied_shard()?;
        // Striding over the entries visits several groups of the index,
        // as lookups of different keys do.
        let mut n = 0usize;
        Some(stopwatch::time_per_call(|| {
            n = n.wrapping_add(7919);
            black_box(self.probe(shard, black_box(n)));
        }))
    }
}

struct Registry {
    /// Keyed by site id, instance path and instantiation tag.
    by_site: HashMap<(&'static str, String, TypeId), &'static (dyn Any + Send + Sync)>,
    all: Vec<&'static dyn CacheInfo>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// The cache registered under `(id, path, tag)`, created by `make` on
/// first use. It lives for the rest of the program, like a `static`.
///
/// # Panics
/// If `(id, path, tag)` was registered with another cache type (two functions
/// claiming the same site id, which generated code never does).
pub(crate) fn resolve<K, V>(
    id: &'static str,
    path: &str,
    tag: TypeId,
    make: impl FnOnce() -> Cache<K, V>,
) -> &'static Cache<K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    let mut guard = REGISTRY.lock();
    let registry = guard.get_or_insert_with(|| Registry {
        by_site: HashMap::new(),
        all: Vec::new(),
    });
    let site = (id, path.to_owned(), tag);
    let found = registry.by_site.get(&site).copied();
    let any = match found {
        Some(any) => any,
        None => {
            let cache: &'static Cache<K, V> = Box::leak(Box::new(make()));
            registry.by_site.insert(site, cache);
            registry.all.push(cache);
            cache
        }
    };
    any.downcast_ref::<Cache<K, V>>().unwrap_or_else(|| {
        panic!("memokit: cache site `{id}` registered twice with different types")
    })
}

/// Every cache created so far, in order of first use.
pub fn caches() -> Vec<&'static dyn CacheInfo> {
    REGISTRY
        .lock()
        .as_ref()
        .map_or_else(Vec::new, |r| r.all.clone())
}
