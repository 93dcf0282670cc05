//! The link from one `#[cached]` function to its cache.
//!
//! Generated code declares `static SITE: Site` in the function and in its
//! companion `<name>_memokit()`; both resolve, through the registry, to the
//! same cache. A site remembers the first cache it resolved, so after the
//! first call the cost is one atomic load and a type-id comparison.

use std::any::TypeId;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::OnceLock;

use crate::cache::Cache;
use crate::config::Config;
use crate::registry;
use crate::values::ValuePolicy;

/// The static each generated function declares.
pub struct Site {
    config: &'static Config,
    first: OnceLock<Resolved>,
}

struct Resolved {
    /// `TypeId` of `(G, Cache<K, V>)`: equal ids mean equal `K` and `V`.
    tag: TypeId,
    cache: *const (),
}

// SAFETY: `cache` points to a leaked `Cache<K, V>` with `K, V: Send + Sync`,
// which is itself `Send + Sync`; the pointer is only read.
unsafe impl Send for Resolved {}
unsafe impl Sync for Resolved {}

/// Distinguishes the instantiations of a generic function: `G` is
/// `fn() -> (T, U, ...)` of its type parameters, `()` when it has none.
pub struct Instance<G: ?Sized>(PhantomData<fn() -> *const G>);

impl Site {
    /// A site for the function described by `config`.
    pub const fn new(config: &'static Config) -> Self {
        Site {
            config,
            first: OnceLock::new(),
        }
    }

    /// The cache of this function (of this instantiation `G`, if generic).
    #[inline]
    pub fn cache<G: ?Sized + 'static, K, V, P>(&'static self, values: P) -> &'static Cache<K, V>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Send + Sync + 'static,
        P: ValuePolicy<V>,
    {
        let tag = TypeId::of::<(Instance<G>, Cache<K, V>)>();
        if let Some(first) = self.first.get() {
            if first.tag == tag {
                // SAFETY: `first.cache` was made from a `&'static Cache<K2, V2>`
                // stored with `tag` = TypeId of `(Instance<G>, Cache<K2, V2>)`;
                // equal type ids mean `K2 = K` and `V2 = V`.
                return unsafe { &*first.cache.cast::<Cache<K, V>>() };
            }
        }
        self.resolve::<K, V, P>(tag, values)
    }

    #[cold]
    fn resolve<K, V, P>(&'static self, tag: TypeId, values: P) -> &'static Cache<K, V>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Send + Sync + 'static,
        P: ValuePolicy<V>,
    {
        let config = self.config;
        let cache = registry::resolve(config.id, tag, || Cache::new(config, values));
        let _ = self.first.set(Resolved {
            tag,
            cache: (cache as *const Cache<K, V>).cast(),
        });
        cache
    }
}
