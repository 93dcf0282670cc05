//! A shard behind its lock, plus a lock-free path to the single entry of
//! a zero-sized key type.
//!
//! A function without arguments is keyed by `()`: its cache holds at most
//! one entry, read on every call and written once per computation (once
//! per `ttl`, or after a `clear`). Its hit should cost what `OnceLock::get`
//! costs, not a hash-table probe behind a lock. So for a zero-sized key the
//! shard [`Published`] the address of that entry (and its deadline, which
//! the shard keeps apart from it) after every write, and a hit reads the
//! entry through it. Every writer retracts the address before it touches
//! the shard (which may move or free the entry), so the publication
//! contract holds: the entry and the deadline stay put until the
//! retraction.
//!
//! What a write removed from the shard is dropped after the lock is
//! released (see [`Shard::take_garbage`]).

use std::mem::ManuallyDrop;

use crate::shard::storage::{Entry, Shard};
use crate::sync::biased::{self, BiasedLock, ReadGuard, WriteGuard};
use crate::sync::published::Published;
use crate::sync::{AtomicU64, Ordering};

/// One shard of a cache and its protection.
pub(crate) struct ShardLock<K, V> {
    lock: BiasedLock<Shard<K, V>>,
    /// Zero-sized keys only: the entry of the key, readable without the lock.
    solo: Published<Entry<K, V>>,
    /// Zero-sized keys only: the deadline of the published entry; written
    /// before each publication, so the release that publishes orders it.
    solo_deadline: AtomicU64,
}

/// Exclusive access to a shard; publishes the single entry when dropped,
/// then drops what the write removed.
pub(crate) struct ShardWrite<'a, K: Eq, V> {
    guard: ManuallyDrop<WriteGuard<'a, Shard<K, V>>>,
    cell: &'a ShardLock<K, V>,
}

const fn zero_sized<K>() -> bool {
    size_of::<K>() == 0
}

impl<K: Eq, V> ShardLock<K, V> {
    /// A shard of the cache of the function `name`.
    pub(crate) fn new(shard: Shard<K, V>, name: &'static str) -> Self {
        ShardLock {
            lock: BiasedLock::new(shard, name),
            solo: Published::new(),
            solo_deadline: AtomicU64::new(0),
        }
    }

    /// Shared access for the duration of `read`.
    #[inline(always)]
    pub(crate) fn read<R>(&self, read: impl FnOnce(&Shard<K, V>) -> R) -> R {
        read(&self.read_guard())
    }

    /// Shared access until the guard is dropped (for the hit path).
    #[inline(always)]
    pub(crate) fn read_guard(&self) -> ReadGuard<'_, Shard<K, V>> {
        if zero_sized::<K>() && self.reads_solo() {
            // SAFETY: this thread reads the published entry, and writers
            // retract it (waiting for this thread) before they mutate.
            return unsafe { self.lock.read_unguarded() };
        }
        self.lock.read_guard()
    }

    /// Whether this thread is reading the published single entry (a read
    /// or write of the shard from inside it must not take the lock).
    fn reads_solo(&self) -> bool {
        let address = self.solo.address();
        biased::reads_within(address..address + 1)
    }

    /// Runs `read` on the single entry of a zero-sized key and its
    /// deadline, without taking the lock; `None` if there is no entry,
    /// this thread has no reader slot yet or is already in a lock-free read.
    #[inline(always)]
    pub(crate) fn read_solo<R>(
        &self,
        read: impl FnOnce(&Entry<K, V>, u64) -> Option<R>,
    ) -> Option<R> {
        debug_assert!(zero_sized::<K>());
        self.solo
            .read(|entry| read(entry, self.solo_deadline.load(Ordering::Relaxed)))
    }

    /// Panics: this thread would wait for itself (see [`BiasedLock::write`]).
    #[cold]
    pub(crate) fn reentered(&self) -> ! {
        self.lock.reentered()
    }

    /// Exclusive access, once no reader of any kind is left.
    ///
    /// The caller must have made sure that this thread is not reading or
    /// writing the shard (the cache checks all its shards at once); debug
    /// builds check again here, as [`BiasedLock::write`] does.
    pub(crate) fn write(&self) -> ShardWrite<'_, K, V> {
        if cfg!(debug_assertions) && zero_sized::<K>() && self.reads_solo() {
            self.lock.reentered();
        }
        let guard = ManuallyDrop::new(self.lock.write());
        if zero_sized::<K>() {
            // Serialised by the lock, like every `publish`.
            self.solo.retract();
        }
        ShardWrite { guard, cell: self }
    }
}

impl<K: Eq, V> std::ops::Deref for ShardWrite<'_, K, V> {
    type Target = Shard<K, V>;

    #[inline]
    fn deref(&self) -> &Shard<K, V> {
        &self.guard
    }
}

impl<K: Eq, V> std::ops::DerefMut for ShardWrite<'_, K, V> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Shard<K, V> {
        &mut self.guard
    }
}

impl<K: Eq, V> Drop for ShardWrite<'_, K, V> {
    fn drop(&mut self) {
        if zero_sized::<K>() {
            self.publish();
        }
        let garbage = self.guard.take_garbage();
        // SAFETY: dropped once, here, and not used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        drop(garbage);
    }
}

impl<K: Eq, V> ShardWrite<'_, K, V> {
    /// Publishes the single entry of a zero-sized key type, if any.
    fn publish(&mut self) {
        // With a zero-sized key type there is at most one key.
        let found = self.guard.first();
        let address = match found {
            Some(found) => {
                self.cell
                    .solo_deadline
                    .store(found.deadline, Ordering::Relaxed);
                std::ptr::from_ref::<Entry<K, V>>(&found)
            }
            None => std::ptr::null(),
        };
        // SAFETY: the shard is only changed through a `ShardWrite`, whose
        // creation retracts first; until then the entry stays where it is.
        // `publish` and `retract` run under the shard's lock.
        unsafe { self.cell.solo.publish(address) };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    /// Miri runs the same interleavings, far fewer of them.
    const ROUNDS: usize = if cfg!(miri) { 200 } else { 20_000 };
    const WRITES: u64 = if cfg!(miri) { 20 } else { 500 };

    use std::sync::atomic::AtomicU64;
    use std::time::Duration;

    use crate::cache::config::Config;
    use crate::cache::values::AllValues;
    use crate::cache::Cache;
    use crate::time::clock::ManualClock;

    fn cache(ttl: Option<Duration>) -> &'static Cache<(), u64> {
        let config = Box::leak(Box::new(Config {
            id: "solo",
            name: "solo",
            ttl,
            capacity: None,
            refresh: None,
        }));
        Box::leak(Box::new(Cache::new(config, "solo".to_owned(), AllValues)))
    }

    /// A call of a function without arguments returning `next`.
    fn call(cache: &Cache<(), u64>, next: &AtomicU64) -> u64 {
        match cache.lookup(&(), AllValues) {
            Ok(hit) => hit,
            Err(miss) => cache.compute(miss, AllValues, || {
                next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            }),
        }
    }

    #[test]
    fn the_single_entry_follows_clear_invalidate_and_insert() {
        let cache = cache(None);
        let next = AtomicU64::new(1);
        assert_eq!(call(cache, &next), 1);
        assert_eq!(call(cache, &next), 1);
        cache.clear();
        assert_eq!(call(cache, &next), 2);
        assert!(cache.invalidate(&()));
        assert_eq!(cache.peek(&()), None);
        assert_eq!(call(cache, &next), 3);
        cache.insert((), 10);
        assert_eq!(call(cache, &next), 10);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (2, 3));
    }

    #[test]
    fn an_expired_single_entry_is_never_returned() {
        let cache = cache(Some(Duration::from_secs(1)));
        let clock = ManualClock::new();
        cache.set_clock(clock.clone());
        let next = AtomicU64::new(1);
        assert_eq!(call(cache, &next), 1);
        clock.advance(Duration::from_millis(999));
        assert_eq!(call(cache, &next), 1);
        clock.advance(Duration::from_millis(1));
        assert_eq!(call(cache, &next), 2);
        assert_eq!(call(cache, &next), 2);
    }

    #[test]
    fn readers_see_each_value_whole_while_it_is_replaced() {
        let cache = cache(None);
        let next = AtomicU64::new(1);
        call(cache, &next);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    let mut last = 0;
                    for _ in 0..ROUNDS {
                        let seen = call(cache, &next);
                        // Values only grow: a reader never sees an old
                        // entry after a newer one, nor a freed one.
                        assert!(seen >= last);
                        last = seen;
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..WRITES {
                    cache.clear();
                    std::thread::yield_now();
                }
            });
        });
    }
}
