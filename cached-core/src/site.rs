//! The link from one `#[cached]` function to its cache.
//!
//! Generated code declares `static SITE: Site` in the function and in its
//! companion `<name>_memokit()`; both resolve, through the registry, to the
//! same cache. A site remembers every cache it resolved in a chain of
//! `OnceLock`s, so after the first call of an instantiation the cost is an
//! atomic load and a type-id comparison per instantiation before it in the
//! chain: no lock, and no write to shared memory.
//!
//! A generic function has one cache per instantiation, told apart by `G`.
//! A method is also told apart by the type name of its `Self`, so that the
//! instantiations of a generic `impl` block do not share entries; a name,
//! unlike a `TypeId`, exists for types that borrow (`Parser<'a>`).

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

/// One instantiation this site has resolved, and the next one, if any.
struct Resolved {
    /// `TypeId` of `(Instance<G>, Cache<K, V>)`: equal ids mean equal `K` and `V`.
    tag: TypeId,
    /// The type name of `Self` for a method, `""` otherwise.
    self_type: &'static str,
    cache: *const (),
    next: OnceLock<Box<Resolved>>,
}

// SAFETY: `cache` points to a leaked `Cache<K, V>` with `K, V: Send + Sync`,
// which is itself `Send + Sync`; the pointer is only read.
unsafe impl Send for Resolved {}
unsafe impl Sync for Resolved {}

impl Resolved {
    #[inline]
    fn is(&self, tag: TypeId, self_type: &'static str) -> bool {
        self.tag == tag && same_name(self.self_type, self_type)
    }

    /// The cache of instantiation `G`, if this entry holds it.
    #[inline]
    fn cache<G: ?Sized + 'static, K: 'static, V: 'static>(&self) -> Option<&'static Cache<K, V>> {
        if self.tag != tag_of::<G, K, V>() {
            return None;
        }
        // SAFETY: `self.cache` was made from a `&'static Cache<K2, V2>` stored
        // with `tag` = `tag_of::<G2, K2, V2>()` (see `Site::resolve`); equal
        // type ids mean `K2 = K` and `V2 = V`.
        Some(unsafe { &*self.cache.cast::<Cache<K, V>>() })
    }
}

/// `TypeId` of `(Instance<G>, Cache<K, V>)`: equal ids mean equal `K` and `V`.
#[inline]
fn tag_of<G: ?Sized + 'static, K: 'static, V: 'static>() -> TypeId {
    TypeId::of::<(Instance<G>, Cache<K, V>)>()
}

/// Type names of one type are usually one string in the binary; the
/// comparison of contents is the fallback for copies in other codegen units.
#[inline]
fn same_name(a: &'static str, b: &'static str) -> bool {
    a.len() == b.len() && (a.as_ptr() == b.as_ptr() || a == b)
}

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
        // A function's site holds no method's entries: the tag decides.
        match self.first.get().and_then(Resolved::cache::<G, K, V>) {
            Some(cache) => cache,
            None => self.find::<G, K, V, P>("", values),
        }
    }

    /// The cache of a method whose `Self` has the type name `self_type`
    /// (`std::any::type_name::<Self>()`), of this instantiation `G`.
    #[inline]
    pub fn method_cache<G: ?Sized + 'static, K, V, P>(
        &'static self,
        self_type: &'static str,
        values: P,
    ) -> &'static Cache<K, V>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Send + Sync + 'static,
        P: ValuePolicy<V>,
    {
        let first = self
            .first
            .get()
            .filter(|first| same_name(first.self_type, self_type));
        match first.and_then(Resolved::cache::<G, K, V>) {
            Some(cache) => cache,
            None => self.find::<G, K, V, P>(self_type, values),
        }
    }

    /// Another instantiation than the first: walks the chain, and resolves
    /// through the registry when this site has not seen it yet.
    #[inline(never)]
    fn find<G: ?Sized + 'static, K, V, P>(
        &'static self,
        self_type: &'static str,
        values: P,
    ) -> &'static Cache<K, V>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Send + Sync + 'static,
        P: ValuePolicy<V>,
    {
        let mut node = self.first.get();
        while let Some(resolved) = node {
            if same_name(resolved.self_type, self_type) {
                if let Some(cache) = resolved.cache::<G, K, V>() {
                    return cache;
                }
            }
            node = resolved.next.get().map(|next| &**next);
        }
        self.resolve::<G, K, V, P>(self_type, values)
    }

    #[cold]
    fn resolve<G: ?Sized + 'static, K, V, P>(
        &'static self,
        self_type: &'static str,
        values: P,
    ) -> &'static Cache<K, V>
    where
        K: Hash + Eq + Clone + Send + Sync + 'static,
        V: Send + Sync + 'static,
        P: ValuePolicy<V>,
    {
        let tag = tag_of::<G, K, V>();
        let config = self.config;
        let cache = registry::resolve(config.id, self_type, tag, || Cache::new(config, values));
        self.remember(tag, self_type, (cache as *const Cache<K, V>).cast());
        cache
    }

    /// Appends an instantiation to the chain unless a racing thread did.
    fn remember(&self, tag: TypeId, self_type: &'static str, cache: *const ()) {
        let make = || Resolved {
            tag,
            self_type,
            cache,
            next: OnceLock::new(),
        };
        let mut node = self.first.get_or_init(make);
        while !node.is(tag, self_type) {
            node = node.next.get_or_init(|| Box::new(make()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::AllValues;

    static CONFIG: Config = Config {
        id: "site::tests::f",
        name: "f",
        ttl: None,
        capacity: None,
    };
    static SITE: Site = Site::new(&CONFIG);
    static OTHER: Site = Site::new(&CONFIG);

    #[test]
    fn instantiations_get_their_own_cache_and_sites_agree() {
        let a = SITE.cache::<fn() -> (u8,), u32, u32, _>(AllValues);
        let b = SITE.cache::<fn() -> (u16,), u32, u32, _>(AllValues);
        let c = SITE.method_cache::<(), u32, u32, _>("Repo<u8>", AllValues);
        let d = SITE.method_cache::<(), u32, u32, _>("Repo<u16>", AllValues);
        let caches = [a as *const _, b as *const _, c as *const _, d as *const _];
        for (i, x) in caches.iter().enumerate() {
            for y in &caches[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert!(std::ptr::eq(
            a,
            SITE.cache::<fn() -> (u8,), u32, u32, _>(AllValues)
        ));
        assert!(std::ptr::eq(
            d,
            SITE.method_cache::<(), u32, u32, _>("Repo<u16>", AllValues)
        ));
        assert!(std::ptr::eq(
            b,
            OTHER.cache::<fn() -> (u16,), u32, u32, _>(AllValues)
        ));
        assert!(std::ptr::eq(
            c,
            OTHER.method_cache::<(), u32, u32, _>("Repo<u8>", AllValues)
        ));
    }
}
