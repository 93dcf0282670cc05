//! The link from one `#[cached]` function to its cache.
//!
//! Generated code declares `static SITE: Site` in the function and in its
//! companion `<name>_memokit()`; both resolve, through the registry, to the
//! same cache. A site remembers every cache it resolved in a chain of
//! `OnceLock`s, so after the first call of an instantiation the cost is an
//! atomic load, a type-id and a name comparison per instantiation before it
//! in the chain: no lock, and no write to shared memory.
//!
//! A cache is identified by three things:
//! - the site's [`Config::id`], unique per expansion of the attribute (the
//!   macro numbers its expansions), so two functions written by one
//!   `macro_rules!` invocation never share a cache;
//! - the *instance*: the type name of a closure in the calling function,
//!   which spells the function's path with every generic argument of the
//!   function and of its `impl` (`app::Store<u8>::get`,
//!   `<app::A as app::Describe>::describe`, `app::parse<u32>`), so every
//!   `Self` type and every instantiation has its own cache, with or without
//!   a receiver; a name, unlike a `TypeId`, exists for types that borrow
//!   (`Parser<'a>`);
//! - the instantiation tag `G` and the key and value types, which make the
//!   cast of the cache sound.
use std::any::TypeId;
use std::marker::PhantomData;
use std::sync::OnceLock;

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::config::Config;
use crate::cache::registry;
use crate::cache::values::ValuePolicy;
use crate::cache::Cache;

/// The static each generated function declares.
pub struct Site {
    config: &'static Config,
    first: OnceLock<Resolved>,
}

/// One instantiation this site has resolved, and the next one, if any.
struct Resolved {
    /// `TypeId` of `(Instance<G>, Cache<K, V>)`: equal ids mean equal `K` and `V`.
    tag: TypeId,
    /// The calling function's instance name, as generated code passes it.
    instance: &'static str,
    cache: *const (),
    next: OnceLock<Box<Resolved>>,
}

// SAFETY: `cache` points to a leaked `Cache<K, V>` with `K, V: Send + Sync`,
// which is itself `Send + Sync`; the pointer is only read.
unsafe impl Send for Resolved {}
unsafe impl Sync for Resolved {}

impl Resolved {
    #[inline]
    fn is(&self, tag: TypeId, instance: &'static str) -> bool {
        self.tag == tag && same_name(self.instance, instance)
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

    /// The cache of this function for `instance`, the type name of a
    /// closure in the calling function (`type_name_of_val(&|| ())`), and
    /// instantiation `G`.
    #[inline]
    pub fn cache<G: ?Sized + 'static, K, V, P>(
        &'static self,
        instance: &'static str,
        values: P,
    ) -> &'static Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
        P: ValuePolicy<V>,
    {
        match self.first_cache::<G, K, V>(instance) {
            Some(cache) => cache,
            None => self.find::<G, K, V>(instance, |config, path| Cache::new(config, path, values)),
        }
    }

    /// [`cache`](Self::cache) of a function with a second tier (`disk`)
    /// whose spec `tier` returns: `codec`, generic over the key and value
    /// types with the bounds the tier needs, makes their encoding on first
    /// use, so [`Cache`] itself requires nothing more of them.
    ///
    /// Both are zero-sized (a closure returning a static, a function item),
    /// so the hit path carries nothing more than [`cache`](Self::cache)'s.
    #[cfg(feature = "tier")]
    #[inline]
    pub fn cache_tiered<G: ?Sized + 'static, K, V, P, T, C>(
        &'static self,
        instance: &'static str,
        values: P,
        tier: T,
        codec: C,
    ) -> &'static Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
        P: ValuePolicy<V>,
        T: FnOnce() -> &'static crate::TierSpec,
        C: FnOnce(P) -> Box<dyn crate::tier::codec::Codec<K, V>>,
    {
        match self.first_cache::<G, K, V>(instance) {
            Some(cache) => cache,
            None => self.find::<G, K, V>(instance, |config, path| {
                Cache::tiered::<P>(config, path, tier(), codec(values))
            }),
        }
    }

    /// The first instantiation this site resolved, if it is the one asked.
    #[inline]
    fn first_cache<G: ?Sized + 'static, K: 'static, V: 'static>(
        &'static self,
        instance: &'static str,
    ) -> Option<&'static Cache<K, V>> {
        let first = self
            .first
            .get()
            .filter(|first| same_name(first.instance, instance));
        first.and_then(Resolved::cache::<G, K, V>)
    }

    /// Another instantiation than the first: walks the chain, and resolves
    /// through the registry (making the cache with `make`) when this site
    /// has not seen it yet.
    #[inline(never)]
    fn find<G: ?Sized + 'static, K, V>(
        &'static self,
        instance: &'static str,
        make: impl FnOnce(&'static Config, String) -> Cache<K, V>,
    ) -> &'static Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        let mut node = self.first.get();
        while let Some(resolved) = node {
            if same_name(resolved.instance, instance) {
                if let Some(cache) = resolved.cache::<G, K, V>() {
                    return cache;
                }
            }
            node = resolved.next.get().map(|next| &**next);
        }
        self.resolve::<G, K, V>(instance, make)
    }

    #[cold]
    fn resolve<G: ?Sized + 'static, K, V>(
        &'static self,
        instance: &'static str,
        make: impl FnOnce(&'static Config, String) -> Cache<K, V>,
    ) -> &'static Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        let tag = tag_of::<G, K, V>();
        let config = self.config;
        let path = instance_path(instance, config.name);
        let cache = registry::resolve(config.id, &path, tag, || make(config, path.clone()));
        self.remember(tag, instance, (cache as *const Cache<K, V>).cast());
        cache
    }

    /// Appends an instantiation to the chain unless a racing thread did.
    fn remember(&self, tag: TypeId, instance: &'static str, cache: *const ()) {
        let make = || Resolved {
            tag,
            instance,
            cache,
            next: OnceLock::new(),
        };
        let mut node = self.first.get_or_init(make);
        while !node.is(tag, instance) {
            node = node.next.get_or_init(|| Box::new(make()));
        }
    }
}

/// The path a report shows for the function `name` called from
/// `instance` (see [`Site::cache`]), the same for the function and its
/// companion: `app::Store<u8>::get`, `app::parse::<u32>`.
///
/// `instance` is the type name of a closure in the function or in its
/// companion, `<path>::<name>[_memokit][<generics>]` followed by one
/// `::{{closure}}` segment per closure or `async` body around it.
pub(crate) fn instance_path(instance: &str, name: &str) -> String {
    let mut rest = instance;
    while let Some(stripped) = rest.strip_suffix('}') {
        match stripped.rfind("::{") {
            Some(at) => rest = &rest[..at],
            None => break,
        }
    }
    let (base, generics) = split_generics(rest);
    // The companion has no lifetime parameters: `f<'_, u8>` is `f<u8>`.
    let generics = without_lifetimes(generics);
    let companion = format!("{name}_memokit");
    let base = match base.strip_suffix(&companion) {
        Some(prefix) if prefix.is_empty() || prefix.ends_with("::") => {
            &base[..prefix.len() + name.len()]
        }
        _ => base,
    };
    if generics.is_empty() {
        base.to_owned()
    } else {
        format!("{base}::{generics}")
    }
}

/// `"<'_, u8, C<'_>>"` → `"<u8, C<'_>>"`; `"<'_>"` → `""`.
fn without_lifetimes(generics: &str) -> String {
    let Some(inner) = generics.strip_prefix('<').and_then(|g| g.strip_suffix('>')) else {
        return generics.to_owned();
    };
    let mut args = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (at, c) in inner.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                args.push(inner[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    args.push(inner[start..].trim());
    args.retain(|arg| !arg.starts_with('\'') && !arg.is_empty());
    if args.is_empty() {
        String::new()
    } else {
        format!("<{}>", args.join(", "))
    }
}

/// `"a::f<u8, b::C<u16>>"` → `("a::f", "<u8, b::C<u16>>")`; no trailing
/// generic arguments → `(path, "")`.
fn split_generics(path: &str) -> (&str, &str) {
    if !path.ends_with('>') {
        return (path, "");
    }
    let mut depth = 0usize;
    for (at, c) in path.char_indices().rev() {
        match c {
            '>' => depth += 1,
            '<' => {
                depth -= 1;
                if depth == 0 {
                    return (&path[..at], &path[at..]);
                }
            }
            _ => {}
        }
    }
    (path, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::values::AllValues;

    static CONFIG: Config = Config {
        id: "site::tests::f (site.rs:1:1) #0",
        name: "f",
        ttl: None,
        capacity: None,
        refresh: None,
    };
    static SITE: Site = Site::new(&CONFIG);
    static OTHER: Site = Site::new(&CONFIG);

    #[test]
    fn instantiations_get_their_own_cache_and_sites_agree() {
        let a = SITE.cache::<fn() -> (u8,), u32, u32, _>("m::f<u8>::{{closure}}", AllValues);
        let b = SITE.cache::<fn() -> (u16,), u32, u32, _>("m::f<u16>::{{closure}}", AllValues);
        let c = SITE.cache::<(), u32, u32, _>("m::Repo<u8>::f::{{closure}}", AllValues);
        let d = SITE.cache::<(), u32, u32, _>("m::Repo<u16>::f::{{closure}}", AllValues);
        let caches = [a as *const _, b as *const _, c as *const _, d as *const _];
        for (i, x) in caches.iter().enumerate() {
            for y in &caches[i + 1..] {
                assert_ne!(x, y);
            }
        }
        assert!(std::ptr::eq(
            a,
            SITE.cache::<fn() -> (u8,), u32, u32, _>("m::f<u8>::{{closure}}", AllValues)
        ));
        assert!(std::ptr::eq(
            d,
            SITE.cache::<(), u32, u32, _>("m::Repo<u16>::f::{{closure}}", AllValues)
        ));
        // The companion's instance names it, and finds the function's cache.
        assert!(std::ptr::eq(
            b,
            OTHER.cache::<fn() -> (u16,), u32, u32, _>("m::f_memokit<u16>::{{closure}}", AllValues)
        ));
        assert!(std::ptr::eq(
            c,
            OTHER.cache::<(), u32, u32, _>("m::Repo<u8>::f_memokit::{{closure}}", AllValues)
        ));
    }

    #[test]
    fn instance_paths_name_the_instantiation() {
        let cases = [
            ("app::fib::{{closure}}", "fib", "app::fib"),
            ("app::fib_memokit::{{closure}}", "fib", "app::fib"),
            ("app::parse<u32>::{{closure}}", "parse", "app::parse::<u32>"),
            (
                "app::parse_memokit<alloc::vec::Vec<u8>>::{{closure}}",
                "parse",
                "app::parse::<alloc::vec::Vec<u8>>",
            ),
            (
                "app::Store<u8>::get::{{closure}}",
                "get",
                "app::Store<u8>::get",
            ),
            (
                "<app::A as app::Describe>::describe_memokit::{{closure}}",
                "describe",
                "<app::A as app::Describe>::describe",
            ),
            ("app::load::{{closure}}::{{closure}}", "load", "app::load"),
            ("app::x_memokit::{{closure}}", "x_memokit", "app::x_memokit"),
            ("app::w<'_, '_>::{{closure}}", "w", "app::w"),
            (
                "app::w<'_, u8, C<'_>>::{{closure}}",
                "w",
                "app::w::<u8, C<'_>>",
            ),
            (
                "app::w_memokit<u8, C<'_>>::{{closure}}",
                "w",
                "app::w::<u8, C<'_>>",
            ),
        ];
        for (instance, name, path) in cases {
            assert_eq!(instance_path(instance, name), path, "{instance}");
        }
    }
}
