//! Every cache of the program, registered on first use.

use std::any::{Any, TypeId};
use std::collections::HashMap;

use parking_lot::Mutex;

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::erased::CacheInfo;
use crate::cache::Cache;

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
