//! One function's view of its tier: what the cache calls on a miss and on
//! `clear`, `invalidate` and `insert`. Every failure goes to [`Health`];
//! nothing here returns an error or panics on the store's account.

use std::time::Duration;

use crate::stats::Counters;
use crate::tier::codec::Codec;
use crate::tier::health::Health;
use crate::tier::namespace::{Namespace, TierSpec};
use crate::tier::store::{Store, Stored, TierError, TierErrorKind, WallTime};
use crate::time::clock::TimeSource;
use crate::time::stopwatch::{to_nanos, Stopwatch};

/// The tier behind one cache.
pub(crate) struct Tier<K, V> {
    spec: &'static TierSpec,
    namespace: Namespace,
    codec: Box<dyn Codec<K, V>>,
    health: Health,
    ttl: Option<Duration>,
}

/// What a tier call needs of its cache.
pub(crate) struct Env<'a> {
    pub(crate) counters: &'a Counters,
    pub(crate) time: &'a TimeSource,
    /// The function's instance path, for messages.
    pub(crate) path: &'a str,
}

impl Env<'_> {
    /// Wall-clock now; under an injected clock, moved only by its advances.
    fn wall(&self) -> WallTime {
        self.time
            .injected_advance()
            .map_or_else(WallTime::now, WallTime::injected)
    }
}

impl<K, V> Tier<K, V> {
    pub(crate) fn new(
        spec: &'static TierSpec,
        path: &str,
        capacity: Option<usize>,
        ttl: Option<Duration>,
        codec: Box<dyn Codec<K, V>>,
    ) -> Self {
        Tier {
            spec,
            namespace: Namespace::new(spec, path).with_capacity(capacity),
            codec,
            health: Health::new(),
            ttl,
        }
    }

    /// The store, unless the breaker skips it (`checked`) or it is unusable.
    fn store(&self, env: &Env, checked: bool) -> Option<&'static dyn Store> {
        if checked && !self.health.allows(env.time.now()) {
            return None;
        }
        match (self.spec.store)(self.spec) {
            Ok(store) => Some(store),
            Err(error) => {
                self.failed(&error, None, env);
                None
            }
        }
    }

    /// Records a failure; `store` (when it could be had) says how long the
    /// breaker stays open. Asking the spec for the store again here would
    /// repeat a failed open of the file.
    fn failed(&self, error: &TierError, store: Option<&dyn Store>, env: &Env) {
        env.counters.tier_error();
        let cool_down = store.map_or(crate::tier::health::COOL_DOWN, |s| s.cool_down());
        let names = (self.spec.backend, env.path);
        self.health.failed(error, names, env.time.now(), cool_down);
    }

    /// Counts the outcome of one call of `store`.
    fn outcome<T>(&self, result: Result<T, TierError>, store: &dyn Store, env: &Env) -> Option<T> {
        match result {
            Ok(value) => {
                self.health.succeeded();
                Some(value)
            }
            Err(error) => {
                self.failed(&error, Some(store), env);
                None
            }
        }
    }

    /// The key's bytes, or `None` when the tier is skipped for now (or the
    /// key does not encode): a miss then computes without the tier.
    pub(crate) fn key(&self, key: &K, env: &Env) -> Option<Vec<u8>> {
        if !self.health.allows(env.time.now()) {
            return None;
        }
        self.encoded_key(key, env)
    }

    fn encoded_key(&self, key: &K, env: &Env) -> Option<Vec<u8>> {
        match self.codec.key(key) {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                self.failed(&TierError::new(TierErrorKind::Codec, e), None, env);
                None
            }
        }
    }

    /// The stored value of `key` and how long it has left to live (`None`:
    /// forever), if the tier has a live one that decodes. One that does not
    /// decode is deleted.
    pub(crate) fn read(&self, key: &[u8], env: &Env) -> Option<(V, Option<Duration>)> {
        let store = self.store(env, true)?;
        let now = env.wall();
        let started = Stopwatch::start();
        let found = store.get(&self.namespace, key, now);
        self.found(store, key, (now, started), found, env)
    }

    /// [`read`](Self::read) for an `async fn`: a remote store is read on a
    /// tier thread while the task waits without blocking its executor.
    pub(crate) async fn read_async(
        &self,
        key: &[u8],
        env: &Env<'_>,
    ) -> Option<(V, Option<Duration>)> {
        let store = self.store(env, true)?;
        if !store.is_remote() {
            return self.read(key, env);
        }
        let now = env.wall();
        let started = Stopwatch::start();
        let (namespace, owned) = (self.namespace.clone(), key.to_vec());
        let found = crate::tier::offload::run(move || store.get(&namespace, &owned, now))
            .await
            .unwrap_or_else(|| Err(TierError::new(TierErrorKind::Read, "the read panicked")));
        self.found(store, key, (now, started), found, env)
    }

    /// Counts and decodes what a read of the store at `now` found.
    fn found(
        &self,
        store: &dyn Store,
        key: &[u8],
        (now, started): (WallTime, Stopwatch),
        found: Result<Option<Stored>, TierError>,
        env: &Env,
    ) -> Option<(V, Option<Duration>)> {
        env.counters
            .tier_read(Duration::from_nanos(to_nanos(started.ticks())));
        let stored = self.outcome(found, store, env)??;
        let left = match stored.expires {
            None => None,
            Some(expires) => Some(expires.remaining_after(now)?),
        };
        match self.codec.decode(&stored.value) {
            Ok(value) => {
                env.counters.tier_hit();
                Some((value, left))
            }
            Err(e) => {
                self.failed(&TierError::new(TierErrorKind::Codec, e), Some(store), env);
                let removed = store.remove(&self.namespace, key);
                self.outcome(removed, store, env);
                None
            }
        }
    }

    /// Stores a freshly computed or inserted value, with the function's
    /// `ttl` from now; a value the policy does not store (an `Err`) is not.
    pub(crate) fn write(&self, key: &[u8], value: &V, env: &Env) {
        self.put(key, value, env, true);
    }

    /// [`write`](Self::write), the breaker consulted if `checked`.
    fn put(&self, key: &[u8], value: &V, env: &Env, checked: bool) {
        let bytes = match self.codec.value(value) {
            None => return,
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => {
                self.failed(&TierError::new(TierErrorKind::Codec, e), None, env);
                return;
            }
        };
        let Some(store) = self.store(env, checked) else {
            return;
        };
        let expires = self.ttl.map(|ttl| env.wall().after(ttl));
        let put = store.put(&self.namespace, key, bytes, expires);
        self.outcome(put, store, env);
    }

    /// Writes `value` for `key`, for `insert`, even while the breaker is
    /// open: the tier must not keep an older value under it.
    pub(crate) fn insert(&self, key: &K, value: &V, env: &Env) {
        if let Some(bytes) = self.encoded_key(key, env) {
            self.put(&bytes, value, env, false);
        }
    }

    /// Removes the entry of `key`, even while the breaker is open: a later
    /// read must not find it.
    pub(crate) fn remove(&self, key: &K, env: &Env) {
        let Some(bytes) = self.encoded_key(key, env) else {
            return;
        };
        if let Some(store) = self.store(env, false) {
            let removed = store.remove(&self.namespace, &bytes);
            self.outcome(removed, store, env);
        }
    }

    /// The computation after a tier miss of `key` stored nothing: other
    /// processes waiting for it (see [`Store::abandon`]) stop waiting.
    pub(crate) fn abandon(&self, key: &[u8], env: &Env) {
        if let Some(store) = self.store(env, false) {
            store.abandon(&self.namespace, key);
        }
    }

    /// The namespace of this function's entries.
    pub(crate) fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The tier's name: `disk`, `redis`.
    pub(crate) fn backend(&self) -> &'static str {
        self.spec.backend
    }

    /// Removes every entry of this function (of this instance, signature
    /// and version), and no other.
    pub(crate) fn clear(&self, env: &Env) {
        if let Some(store) = self.store(env, false) {
            let cleared = store.clear(&self.namespace);
            self.outcome(cleared, store, env);
        }
    }
}
