//! The cache's side of its second tier (`disk`): on a miss in memory the
//! leader of the key's flight, and only it, reads the tier; a computed
//! value is written there after the waiters are woken; `clear`,
//! `invalidate` and `insert` reach it too. Nothing here runs on a hit.
//!
//! Every `cfg` of the `tier` feature in the cache is here: without it each
//! method is empty and inlined away, so the default build's miss path is
//! what it was.

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::key::Lookup;
use crate::cache::{Cache, Leader, TierKey};

#[cfg(feature = "tier")]
mod enabled {
    use super::*;
    use crate::cache::config::Config;
    use crate::cache::values::ValuePolicy;
    use crate::tier::codec::Codec;
    use crate::tier::link::{Env, Tier};
    use crate::tier::namespace::TierSpec;

    impl<K, V> Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        /// A new, empty cache with a second tier described by `spec`,
        /// whose keys and values `codec` encodes.
        pub(crate) fn tiered<P: ValuePolicy<V>>(
            config: &'static Config,
            path: String,
            spec: &'static TierSpec,
            codec: Box<dyn Codec<K, V>>,
        ) -> Self {
            let mut cache = Self::untiered::<P>(config, path);
            cache.tier = Some(Tier::new(
                spec,
                &cache.path,
                config.capacity,
                config.ttl,
                codec,
            ));
            cache
        }

        fn env(&self) -> Env<'_> {
            Env {
                counters: &self.counters,
                time: &self.time,
                path: &self.path,
            }
        }

        /// The key's bytes, if the tier is in use.
        #[inline]
        pub(in crate::cache) fn tier_key(&self, key: &K) -> TierKey {
            self.tier.as_ref()?.key(key, &self.env()).map(Box::new)
        }

        pub(in crate::cache) fn clear_tier(&self) {
            if let Some(tier) = &self.tier {
                tier.clear(&self.env());
            }
        }

        pub(in crate::cache) fn invalidate_tier<Q: Lookup<K>>(&self, query: &Q) {
            if let Some(tier) = &self.tier {
                tier.remove(&query.to_key(), &self.env());
            }
        }

        pub(in crate::cache) fn insert_tier(&self, key: &K, value: &V) {
            if let Some(tier) = &self.tier {
                tier.insert(key, value, &self.env());
            }
        }
    }

    impl<K, V> Leader<'_, K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        /// The tier's value of this leader's key and its nanoseconds left
        /// to live (`None`: forever), if it has one.
        ///
        /// A refresh recomputes: the tier holds the entry being refreshed.
        #[inline]
        pub(in crate::cache) fn read_tier(&self) -> Option<(V, Option<u64>)> {
            let (tier, key) = self.tier_to_read()?;
            let (value, left) = tier.read(key, &self.cache.env())?;
            Some((value, left.map(crate::time::clock::duration_nanos)))
        }

        /// [`read_tier`](Self::read_tier) for an `async fn`, which never
        /// blocks its executor thread on a remote store.
        pub(in crate::cache) async fn read_tier_async(&self) -> Option<(V, Option<u64>)> {
            let (tier, key) = self.tier_to_read()?;
            let (value, left) = tier.read_async(key, &self.cache.env()).await?;
            Some((value, left.map(crate::time::clock::duration_nanos)))
        }

        /// The tier and the key's bytes, unless this leader refreshes or the
        /// tier is not in use.
        fn tier_to_read(&self) -> Option<(&Tier<K, V>, &[u8])> {
            if self.is_refresh() {
                return None;
            }
            let key = self.tier_key.as_deref()?.as_slice();
            Some((self.cache.tier.as_ref()?, key))
        }

        /// Writes a computed value to the tier.
        pub(in crate::cache) fn write_tier(&self, value: &V) {
            if let (Some(key), Some(tier)) = (&self.tier_key, &self.cache.tier) {
                tier.write(key, value, &self.cache.env());
            }
        }

        /// This leader missed in the tier and stores nothing there.
        pub(in crate::cache) fn abandon_tier(&self) {
            if let (Some(key), Some(tier)) = (&self.tier_key, &self.cache.tier) {
                tier.abandon(key, &self.cache.env());
            }
        }
    }

    impl<K, V> Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        /// The tier's name and this function's namespace in it.
        pub(in crate::cache) fn tier_namespace(&self) -> Option<(&'static str, &str)> {
            let tier = self.tier.as_ref()?;
            Some((tier.backend(), tier.namespace().as_str()))
        }
    }
}

#[cfg(not(feature = "tier"))]
mod disabled {
    use super::*;

    impl<K, V> Cache<K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        #[inline(always)]
        pub(in crate::cache) fn tier_key(&self, _: &K) -> TierKey {
            None
        }
        #[inline(always)]
        pub(in crate::cache) fn clear_tier(&self) {}
        #[inline(always)]
        pub(in crate::cache) fn invalidate_tier<Q: Lookup<K>>(&self, _: &Q) {}
        #[inline(always)]
        pub(in crate::cache) fn insert_tier(&self, _: &K, _: &V) {}
    }

    impl<K, V> Leader<'_, K, V>
    where
        K: CacheKey,
        V: CacheValue,
    {
        #[inline(always)]
        pub(in crate::cache) fn read_tier(&self) -> Option<(V, Option<u64>)> {
            None
        }
        #[inline(always)]
        pub(in crate::cache) async fn read_tier_async(&self) -> Option<(V, Option<u64>)> {
            None
        }
        #[inline(always)]
        pub(in crate::cache) fn write_tier(&self, _: &V) {}
        #[inline(always)]
        pub(in crate::cache) fn abandon_tier(&self) {}
    }
}

#[cfg(all(test, feature = "tier"))]
mod tests {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    use crate::cache::config::Config;
    use crate::cache::values::{AllValues, OkValues};
    use crate::cache::Cache;
    use crate::tier::codec::codec;
    use crate::tier::namespace::{Namespace, TierSpec};
    use crate::tier::store::{Store, Stored, TierError, TierErrorKind, WallTime};
    use crate::time::clock::ManualClock;

    /// A store in memory that can be told to fail.
    #[derive(Default)]
    struct MapStore {
        entries: Mutex<HashMap<(String, Vec<u8>), Stored>>,
        broken: AtomicBool,
        calls: AtomicU32,
    }

    impl MapStore {
        fn check(&self) -> Result<(), TierError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            if self.broken.load(Ordering::Relaxed) {
                return Err(TierError::new(TierErrorKind::Read, "broken"));
            }
            Ok(())
        }
        fn len(&self) -> usize {
            self.entries.lock().unwrap().len()
        }
    }

    impl Store for MapStore {
        fn get(
            &self,
            ns: &Namespace,
            key: &[u8],
            now: WallTime,
        ) -> Result<Option<Stored>, TierError> {
            self.check()?;
            let entries = self.entries.lock().unwrap();
            let found = entries.get(&(ns.as_str().to_owned(), key.to_vec()));
            Ok(found.filter(|s| s.expires.is_none_or(|e| e > now)).cloned())
        }
        fn put(
            &self,
            ns: &Namespace,
            key: &[u8],
            value: Vec<u8>,
            expires: Option<WallTime>,
        ) -> Result<(), TierError> {
            self.check()?;
            let entry = Stored { value, expires };
            self.entries
                .lock()
                .unwrap()
                .insert((ns.as_str().to_owned(), key.to_vec()), entry);
            Ok(())
        }
        fn remove(&self, ns: &Namespace, key: &[u8]) -> Result<(), TierError> {
            self.check()?;
            self.entries
                .lock()
                .unwrap()
                .remove(&(ns.as_str().to_owned(), key.to_vec()));
            Ok(())
        }
        fn clear(&self, ns: &Namespace) -> Result<(), TierError> {
            self.check()?;
            self.entries
                .lock()
                .unwrap()
                .retain(|(n, _), _| n != ns.as_str());
            Ok(())
        }
    }

    macro_rules! fixture {
        ($store:ident, $spec:ident, $config:ident, $ttl:expr) => {
            fixture!($store, $spec, $config, $ttl, None);
        };
        ($store:ident, $spec:ident, $config:ident, $ttl:expr, $refresh:expr) => {
            static $store: std::sync::LazyLock<MapStore> =
                std::sync::LazyLock::new(MapStore::default);
            static $spec: TierSpec = TierSpec {
                backend: "test",
                store: |_| Ok(&*$store),
                krate: "tests",
                fingerprint: 7,
                version: 0,
            };
            static $config: Config = Config {
                id: concat!("tiered::tests::", stringify!($config)),
                name: stringify!($config),
                ttl: $ttl,
                refresh: $refresh,
                capacity: None,
            };
        };
    }

    fn call(cache: &Cache<u64, String>, key: u64, runs: &AtomicU32) -> String {
        match cache.lookup(&key, AllValues) {
            Ok(hit) => hit,
            Err(miss) => cache.compute(miss, AllValues, || {
                runs.fetch_add(1, Ordering::Relaxed);
                format!("v{key}")
            }),
        }
    }

    fn new_cache(config: &'static Config, spec: &'static TierSpec) -> Cache<u64, String> {
        Cache::tiered::<AllValues>(config, "tests::f".to_owned(), spec, codec(AllValues))
    }

    #[test]
    fn a_second_cache_reads_what_the_first_computed() {
        fixture!(STORE, SPEC, PERMANENT, None);
        let runs = AtomicU32::new(0);
        let first = new_cache(&PERMANENT, &SPEC);
        assert_eq!(call(&first, 1, &runs), "v1");
        assert_eq!(STORE.len(), 1);
        // A new process: an empty memory, the same store.
        let second = new_cache(&PERMANENT, &SPEC);
        assert_eq!(call(&second, 1, &runs), "v1");
        assert_eq!(call(&second, 1, &runs), "v1");
        assert_eq!(runs.load(Ordering::Relaxed), 1, "computed once");
        let stats = second.stats();
        assert_eq!((stats.hits, stats.misses, stats.tier_hits), (2, 0, 1));
        assert_eq!((stats.tier_reads, stats.tier_errors), (1, 0));
    }

    #[test]
    fn control_reaches_the_tier() {
        fixture!(STORE, SPEC, CONTROLLED, None);
        let runs = AtomicU32::new(0);
        let cache = new_cache(&CONTROLLED, &SPEC);
        cache.insert(5, "primed".to_owned());
        assert_eq!(call(&new_cache(&CONTROLLED, &SPEC), 5, &runs), "primed");
        assert!(cache.invalidate(&5));
        assert_eq!(STORE.len(), 0);
        call(&cache, 6, &runs);
        call(&cache, 7, &runs);
        cache.clear();
        assert_eq!(STORE.len(), 0);
        assert_eq!(runs.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn errors_are_stored_nowhere() {
        fixture!(STORE, SPEC, FALLIBLE, None);
        let cache: Cache<u64, Result<u64, String>> =
            Cache::tiered::<OkValues>(&FALLIBLE, "tests::g".to_owned(), &SPEC, codec(OkValues));
        for key in [1, 2] {
            let miss = cache.lookup(&key, OkValues).err().unwrap();
            let value = cache.compute(miss, OkValues, || {
                if key == 1 {
                    Ok(10)
                } else {
                    Err("no".into())
                }
            });
            assert_eq!(value.is_ok(), key == 1);
        }
        assert_eq!(STORE.len(), 1);
    }

    #[test]
    fn a_tier_hit_keeps_its_remaining_ttl_and_an_expired_entry_is_not_read() {
        fixture!(STORE, SPEC, EXPIRING, Some(Duration::from_secs(60)));
        let runs = AtomicU32::new(0);
        call(&new_cache(&EXPIRING, &SPEC), 1, &runs);
        let later = new_cache(&EXPIRING, &SPEC);
        let clock = ManualClock::new();
        later.set_clock(clock.clone());
        clock.advance(Duration::from_secs(50));
        call(&later, 1, &runs);
        assert_eq!(runs.load(Ordering::Relaxed), 1, "read from the tier");
        // In memory it lives the 10 s it had left, not a fresh minute.
        clock.advance(Duration::from_secs(11));
        assert_eq!(later.peek(&1), None);
        let fresh = new_cache(&EXPIRING, &SPEC);
        let far = ManualClock::new();
        fresh.set_clock(far.clone());
        far.advance(Duration::from_secs(61));
        call(&fresh, 1, &runs);
        assert_eq!(runs.load(Ordering::Relaxed), 2, "expired on the tier");
    }

    /// A refreshed value goes where a computed one goes: into the tier. A
    /// tier hit with less than `ttl - refresh` left is due at once.
    #[test]
    fn a_refresh_writes_the_tier_and_a_tier_hit_is_due_by_its_expiry() {
        const SECOND: Duration = Duration::from_secs(1);
        fixture!(
            STORE,
            SPEC,
            REFRESHED,
            Some(Duration::from_secs(60)),
            Some(Duration::from_secs(40))
        );
        let runs = AtomicU32::new(0);
        let counted = |cache: &Cache<u64, String>| match cache.lookup(&1, AllValues) {
            Ok(hit) => hit,
            Err(miss) => cache.compute(miss, AllValues, || {
                format!("v{}", runs.fetch_add(1, Ordering::Relaxed) + 1)
            }),
        };
        let ns = Namespace::new(&SPEC, "tests::f");
        let key = postcard::to_allocvec(&1u64).unwrap();
        let stored = || STORE.get(&ns, &key, WallTime(0)).unwrap().unwrap().value;
        let first = new_cache(&REFRESHED, &SPEC);
        let clock = ManualClock::new();
        first.set_clock(clock.clone());
        assert_eq!(counted(&first), "v1");
        clock.advance(40 * SECOND);
        assert_eq!(counted(&first), "v2", "refreshed");
        assert_eq!(
            stored(),
            postcard::to_allocvec("v2").unwrap(),
            "and written"
        );
        // Another process, 50 s on: 50 s left, due in 30 s.
        let second = new_cache(&REFRESHED, &SPEC);
        let later = ManualClock::new();
        second.set_clock(later.clone());
        later.advance(50 * SECOND);
        assert_eq!(counted(&second), "v2", "read from the tier");
        later.advance(30 * SECOND - Duration::from_nanos(1));
        assert_eq!(counted(&second), "v2");
        later.advance(Duration::from_nanos(1));
        assert_eq!(counted(&second), "v3", "due 20 s before its expiry");
        // Another, 125 s on: 15 s left of the value written at 80 s, less
        // than the 20 s of grace.
        let third = new_cache(&REFRESHED, &SPEC);
        let late = ManualClock::new();
        third.set_clock(late.clone());
        late.advance(125 * SECOND);
        assert_eq!(counted(&third), "v3", "read from the tier");
        assert_eq!(counted(&third), "v4", "due at once");
        assert_eq!(third.stats().refreshes, 1);
    }

    /// Every warning logged in this test binary.
    struct Captured(Mutex<Vec<String>>);

    impl log::Log for Captured {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }
        fn log(&self, record: &log::Record) {
            self.0.lock().unwrap().push(record.args().to_string());
        }
        fn flush(&self) {}
    }

    static LOGGED: Captured = Captured(Mutex::new(Vec::new()));

    fn logged_about(path: &str) -> Vec<String> {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            log::set_logger(&LOGGED).unwrap();
            log::set_max_level(log::LevelFilter::Warn);
        });
        let logged = LOGGED.0.lock().unwrap();
        logged
            .iter()
            .filter(|m| m.contains(path))
            .cloned()
            .collect()
    }

    #[test]
    fn a_broken_store_never_fails_a_call_and_is_skipped_after_repeated_failures() {
        fixture!(STORE, SPEC, BROKEN, None);
        STORE.broken.store(true, Ordering::Relaxed);
        let runs = AtomicU32::new(0);
        assert!(logged_about("`tests::broken`").is_empty());
        let cache: Cache<u64, String> = Cache::tiered::<AllValues>(
            &BROKEN,
            "tests::broken".to_owned(),
            &SPEC,
            codec(AllValues),
        );
        let clock = ManualClock::new();
        cache.set_clock(clock.clone());
        for key in 0..20 {
            assert_eq!(call(&cache, key, &runs), format!("v{key}"));
        }
        assert_eq!(runs.load(Ordering::Relaxed), 20);
        let tripped_after = STORE.calls.load(Ordering::Relaxed);
        assert_eq!(u64::from(tripped_after), cache.stats().tier_errors);
        assert!(tripped_after < 20, "the breaker skipped the store");
        let logged = logged_about("`tests::broken`");
        assert_eq!(logged.len(), 1, "once per kind: {logged:?}");
        assert!(logged[0].contains("a read failed: broken"), "{logged:?}");
        // Back after the cool-down: used again.
        STORE.broken.store(false, Ordering::Relaxed);
        clock.advance(crate::tier::health::COOL_DOWN);
        call(&cache, 100, &runs);
        assert_eq!(STORE.len(), 1);
    }

    #[test]
    fn an_entry_that_no_longer_decodes_is_deleted_and_computed() {
        fixture!(STORE, SPEC, UNDECODABLE, None);
        let cache = new_cache(&UNDECODABLE, &SPEC);
        let ns = Namespace::new(&SPEC, "tests::f");
        let key = postcard::to_allocvec(&3u64).unwrap();
        STORE.put(&ns, &key, vec![0xff, 0xff, 0xff], None).unwrap();
        let runs = AtomicU32::new(0);
        assert_eq!(call(&cache, 3, &runs), "v3");
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        assert_eq!(cache.stats().tier_errors, 1);
        // Replaced by the computed value.
        let stored = STORE.get(&ns, &key, WallTime(0)).unwrap().unwrap();
        assert_eq!(stored.value, postcard::to_allocvec("v3").unwrap());
    }
}
