//! A cache: sharded storage, single-flight, TTL and capacity, statistics.

pub(crate) mod bounds;
pub(crate) mod config;
pub(crate) mod control;
pub(crate) mod erased;
pub(crate) mod housekeeper;
pub(crate) mod key;
pub(crate) mod registry;
pub(crate) mod site;
pub(crate) mod tiered;
pub(crate) mod values;

use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;

use crate::cache::bounds::{CacheKey, CacheValue};
use crate::cache::config::Config;
use crate::cache::key::Lookup;
use crate::cache::values::{ValueOps, ValuePolicy};
use crate::flight::task::{self, AwaitFlight};
use crate::flight::{Flight, Outcome};
use crate::shard::lock::{ShardLock, ShardWrite};
use crate::shard::storage::{self, FlightRole, Shard, Ticket, NEVER};
use crate::stats::{Counters, Stats};
use crate::sync::biased;
use crate::sync::held;
use crate::sync::padded::CachePadded;
use crate::time::clock::{self, Clock, TimeSource};
use crate::time::stopwatch::Stopwatch;

/// Hits read a shard without writing anything shared; see [`ShardLock`].
type Shards<K, V> = Box<[CachePadded<ShardLock<K, V>>]>;

/// The cache behind one `#[cached]` function (one per instantiation of a
/// generic function).
///
/// Users reach it through the function's companion `<name>_memokit()`, whose
/// [`CacheRef`](crate::CacheRef) methods take the function's arguments; the
/// methods here take keys.
pub struct Cache<K, V> {
    config: &'static Config,
    /// The function's instance, as reports show it: `app::Store<u8>::get`.
    path: String,
    hasher: foldhash::fast::RandomState,
    shards: Shards<K, V>,
    /// `hash >> shard_shift` picks the shard (middle bits: hashbrown uses the
    /// low bits for the bucket and the top seven for its tags).
    shard_mask: usize,
    ttl: Option<u64>,
    /// `refresh`: an entry's deadline is this long after it was stored, and
    /// it expires [`grace`](Self::grace) later (at `ttl`).
    refresh: Option<u64>,
    /// `ttl - refresh` with `refresh`, else zero.
    grace: u64,
    time: TimeSource,
    counters: Counters,
    ops: ValueOps<V>,
    /// The second tier (`disk`), asked on a miss; see `tiered.rs`.
    #[cfg(feature = "tier")]
    tier: Option<crate::tier::link::Tier<K, V>>,
}

/// A lookup that found nothing: the hash and the owned key, for
/// [`Cache::compute`].
#[doc(hidden)]
pub struct Miss<K> {
    hash: u64,
    key: K,
}

enum Begin<V> {
    Hit(V),
    /// Found under the write lock: read it again under a shared one, where
    /// the value's `Clone` may read the cache.
    Stored,
    /// Not stored: the caller waits for the key's flight, or leads one.
    Flight(FlightRole<V>),
    /// The caller is inside a read or write of this cache (a value's
    /// `Clone` on a hit, a key's `Eq`): writing would wait for itself.
    Inside,
}

/// The body of a miss: become the leader (or get the value of the key's
/// flight), compute, store. A macro, not a function, so that the one frame
/// that holds it in a debug build has no second copy of the arguments.
macro_rules! lead_then_compute {
    ($cache:expr, $policy:ty, $hash:expr, $key:expr, $compute:expr) => {
        // `ref mut`: the leader stays where `lead` wrote it, not copied.
        match $cache.lead::<$policy>($hash, $key) {
            Ok(ref mut leader) => {
                let mut value = $compute();
                leader.complete::<$policy>(&mut value, Origin::Computed);
                value
            }
            Err(value) => value,
        }
    };
}

/// Where the value a leader completes with came from.
#[derive(Clone, Copy)]
enum Origin {
    /// The function computed it: it is stored in both tiers.
    Computed,
    /// Read from the second tier, with this many nanoseconds left to live
    /// (`None`: forever): stored in memory only.
    #[cfg_attr(not(feature = "tier"), allow(dead_code))]
    Tier(Option<u64>),
}

/// The ticket of a leader without a flight, which stores nothing (see
/// [`Cache::lead`]); real tickets count up from zero.
const UNCACHED: Ticket = Ticket::MAX;

/// Set in the ticket of a leader that refreshes a due entry (see
/// `refresh`): the flight's serial is the rest. Carried in the ticket, so a
/// plain miss pays nothing to say it is not a refresh.
const REFRESHING: Ticket = 1 << 63;

const SHARD_SHIFT: u32 = 32;
/// Bounded caches below this size use one shard, so eviction order is exact.
const ONE_SHARD_BELOW: usize = 4096;

fn shard_count(capacity: Option<usize>) -> usize {
    let parallel = std::thread::available_parallelism().map_or(4, |n| n.get());
    let wanted = (parallel * 4).next_power_of_two().min(64);
    match capacity {
        Some(cap) if cap < ONE_SHARD_BELOW => 1,
        Some(cap) => wanted.min((cap / 1024).next_power_of_two() / 2).max(1),
        None => wanted,
    }
}

impl<K, V> Cache<K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    /// A new, empty cache for the instance `path` of the function `config`
    /// describes. `P` decides which values are stored.
    pub fn new<P: ValuePolicy<V>>(config: &'static Config, path: String, _values: P) -> Self {
        Self::untiered::<P>(config, path)
    }

    fn untiered<P: ValuePolicy<V>>(config: &'static Config, path: String) -> Self {
        let shards = shard_count(config.capacity);
        let per_shard = config.capacity.map_or(usize::MAX, |cap| cap / shards);
        let remainder = config.capacity.map_or(0, |cap| cap % shards);
        let ttl = config.ttl.map(clock::duration_nanos);
        let refresh = config.refresh.map(clock::duration_nanos);
        let grace = match (ttl, refresh) {
            (_, None) => 0,
            (Some(ttl), Some(refresh)) if refresh > 0 && refresh < ttl => ttl - refresh,
            (_, Some(_)) => panic!(
                "memokit: `{}` has a `refresh` without a longer `ttl`; give `ttl` longer than `refresh`",
                config.name
            ),
        };
        if ttl.is_some() {
            housekeeper::start();
        }
        let hasher = foldhash::fast::RandomState::default();
        Cache {
            config,
            path,
            shards: (0..shards)
                .map(|i| {
                    let cap = per_shard.saturating_add(usize::from(i < remainder));
                    CachePadded(ShardLock::new(Shard::new(cap, grace), config.name))
                })
                .collect(),
            hasher,
            shard_mask: shards - 1,
            ttl,
            refresh,
            grace,
            time: TimeSource::system(),
            counters: Counters::new(),
            ops: ValueOps::of::<P>(),
            #[cfg(feature = "tier")]
            tier: None,
        }
    }

    /// The options this cache was created with.
    pub fn config(&self) -> &'static Config {
        self.config
    }

    /// The function's instance, as reports show it: `app::Store<u8>::get`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The shard of a key. A zero-sized key type has a single key, in the
    /// first shard, which its hits reach without hashing.
    ///
    /// The shard comes from the randomly seeded hash, so in a bounded cache
    /// of several shards which keys compete for room changes from run to
    /// run: eviction is deterministic only in a one-shard cache (capacity
    /// below `ONE_SHARD_BELOW`), as the README says.
    #[inline]
    fn shard(&self, hash: u64) -> &ShardLock<K, V> {
        let at = if size_of::<K>() == 0 {
            0
        } else {
            (hash >> SHARD_SHIFT) as usize & self.shard_mask
        };
        debug_assert!(at < self.shards.len());
        // SAFETY: `shard_mask` is `shards.len() - 1` (both set once, in
        // `new`), so `at <= shard_mask < shards.len()`. Unchecked: the hit
        // path pays no bounds check.
        unsafe { &self.shards.get_unchecked(at).0 }
    }

    /// Exclusive access to the shard of `hash`.
    ///
    /// # Panics
    /// If this thread is inside a read or write of any shard of this
    /// cache: a key's `Eq` or a value's `Clone` changing the cache. Only
    /// a change of the shard being read would wait for itself, but which
    /// shard a key lands in is chance; this panics whichever it is.
    fn write_shard(&self, hash: u64) -> ShardWrite<'_, K, V> {
        self.write(self.shard(hash))
    }

    /// [`write_shard`](Self::write_shard) of a given shard.
    fn write<'a>(&'a self, shard: &'a ShardLock<K, V>) -> ShardWrite<'a, K, V> {
        if self.is_inside() {
            shard.reentered();
        }
        shard.write()
    }

    /// Whether this thread is inside a read or write of this cache.
    fn is_inside(&self) -> bool {
        let range = self.shards.as_ptr_range();
        let range = range.start.addr()..range.end.addr();
        held::holds_within(range.clone()) || biased::reads_within(range)
    }

    #[inline]
    fn is_live(&self, deadline: u64) -> bool {
        deadline == NEVER || self.time.is_before(deadline)
    }

    /// [`is_live`](Self::is_live) without reading the precise clock: false
    /// when unsure, for a fast path that can fall back to a slower one.
    #[inline]
    fn is_surely_live(&self, deadline: u64) -> bool {
        deadline == NEVER || self.time.is_surely_before(deadline)
    }

    /// Whether an entry with this deadline has yet to expire: with
    /// `refresh`, it may be due for a refresh and still live.
    fn is_unexpired(&self, deadline: u64) -> bool {
        self.is_live(deadline.saturating_add(self.grace))
    }

    /// The deadline of an entry stored at `now`: when it is due for a
    /// refresh, or without `refresh` when it expires.
    fn deadline_from(&self, now: u64) -> u64 {
        self.refresh
            .or(self.ttl)
            .map_or(NEVER, |after| now.saturating_add(after))
    }

    /// The fast path: a lock-free shared read, a borrowed lookup, a clone.
    /// Always inlined into the cached function in release builds: the
    /// call's register saves cost more than the rest of a hit. In debug
    /// builds (unoptimised), an inlined function keeps each of its locals
    /// in a slot of its own in the caller's frame, which stays on the stack
    /// under a recursion through the miss path; called, they are gone before
    /// the miss computes.
    #[doc(hidden)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn lookup<Q: Lookup<K>, P: ValuePolicy<V>>(
        &self,
        query: Q,
        _values: P,
    ) -> Result<V, Miss<K>> {
        if size_of::<K>() == 0 {
            // No hash, no probe, no `touch` (eviction order is moot with a
            // single key), no call: the published entry.
            let solo = self.shard(0).read_solo(|entry, deadline| {
                (query.matches(&entry.key) && self.is_surely_live(deadline))
                    .then(|| P::clone_value(&entry.value))
            });
            if let Some(value) = solo {
                return Ok(self.counted_hit(value));
            }
            // Not published, or a read nested in another: `compute` looks
            // again under the lock, so the hit above needs no saved register.
            return Err(Miss {
                hash: query.hash_with(&self.hasher),
                key: query.to_key(),
            });
        }
        let hash = query.hash_with(&self.hasher);
        let shard = self.shard(hash).read_guard();
        let found = self.find_live::<Q, P>(&shard, hash, &query);
        drop(shard);
        match found {
            Some(value) => Ok(self.counted_hit(value)),
            None => Err(Miss {
                hash,
                key: query.to_key(),
            }),
        }
    }

    /// Counts a hit and returns its value. Calls nothing unless this thread
    /// has yet to count in this cache, and then only as a tail call: the
    /// hit paths need no saved registers.
    #[inline(always)]
    fn counted_hit(&self, value: V) -> V {
        if self.counters.try_hit() {
            value
        } else {
            self.count_hit_slowly(value)
        }
    }

    #[cold]
    #[inline(never)]
    fn count_hit_slowly(&self, value: V) -> V {
        self.counters.hit();
        value
    }

    /// A copy of the live value of the key, if the shard has one.
    #[inline(always)]
    fn find_live<Q: Lookup<K>, P: ValuePolicy<V>>(
        &self,
        shard: &Shard<K, V>,
        hash: u64,
        query: &Q,
    ) -> Option<V> {
        let found = shard.find(hash, |k| query.matches(k))?;
        if !self.is_live(found.deadline) {
            return None;
        }
        found.touch();
        Some(P::clone_value(&found.value))
    }

    /// The slow path: joins the computation of this key in flight, or runs
    /// `compute` with no lock held and stores its value if `P` allows.
    ///
    /// A recursive function recurses from inside `compute`, so the frame
    /// that calls it stays on the stack once per level: it holds the leader
    /// and the closure, and the rest of the miss is out of line. In release
    /// builds this is inlined into the cached function, which then
    /// tail-calls [`compute_key`](Self::compute_key) when the key and the
    /// closure fit in registers (the key apart from its hash: a two-word
    /// key fits), so the hit path's frame is gone while the body runs. In
    /// debug builds there are no tail calls, and this is the one frame of
    /// the miss: an inlined helper would add a copy of each argument.
    #[doc(hidden)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline(never))]
    pub fn compute<P: ValuePolicy<V>, F: FnOnce() -> V>(
        &self,
        miss: Miss<K>,
        _values: P,
        compute: F,
    ) -> V {
        if cfg!(debug_assertions) {
            lead_then_compute!(self, P, miss.hash, miss.key, compute)
        } else {
            self.compute_key::<P, F>(miss.hash, miss.key, compute)
        }
    }

    /// [`compute`](Self::compute) with the miss in two arguments.
    #[inline(never)]
    fn compute_key<P: ValuePolicy<V>, F: FnOnce() -> V>(&self, hash: u64, key: K, compute: F) -> V {
        lead_then_compute!(self, P, hash, key, compute)
    }

    /// Joins the computation of this key in flight (`Err` with its value),
    /// or makes the caller the one that computes it.
    ///
    /// A miss from inside a read of this very cache (a value's `Clone` on a
    /// hit, a key's `Eq`) computes without a flight and stores nothing: a
    /// store would wait for this thread.
    #[inline(never)]
    fn lead<P: ValuePolicy<V>>(&self, hash: u64, key: K) -> Result<Leader<'_, K, V>, V> {
        // Taken before locking, and the key then moves into the flight: no
        // `Hash` or `Clone` of it runs under the lock.
        let policy_hash = self.policy_hash(&key);
        let tier_key = self.tier_key(&key);
        let mut key = Some(key);
        let mut read_first = false;
        let ticket = loop {
            match self.begin::<P>(hash, &mut key, false, read_first) {
                Begin::Hit(v) => return Err(v),
                Begin::Stored => read_first = true,
                Begin::Inside => return Ok(self.leader(hash, policy_hash, UNCACHED, None)),
                Begin::Flight(FlightRole::Wait(flight)) => {
                    match flight.wait(self.config.name, P::clone_value) {
                        Outcome::Value(v) => {
                            self.counters.hit();
                            return Err(v);
                        }
                        Outcome::Retry => continue,
                    }
                }
                Begin::Flight(FlightRole::Lead(ticket, _)) => break ticket,
            }
        };
        let mut leader = self.leader(hash, policy_hash, ticket, tier_key);
        // Here rather than beside the computation: in a debug build every
        // local of the frame that computes stays on the stack under a
        // recursion, and this frame is gone by then.
        match leader.answer_from_tier::<P>() {
            Some(value) => Err(value),
            None => Ok(leader),
        }
    }

    /// The caller that computes `key`, its clock started if this miss is
    /// one of those timed (see `Stats::compute_time`).
    fn leader(
        &self,
        hash: u64,
        policy_hash: u32,
        ticket: Ticket,
        tier_key: TierKey,
    ) -> Leader<'_, K, V> {
        Leader {
            cache: self,
            hash,
            policy_hash,
            done: false,
            ticket,
            started: self.counters.should_time().then(Stopwatch::start),
            tier_key,
        }
    }

    /// Looks again, under a shared read if `read_first`, then under the
    /// shard's write lock, then joins or starts the key's flight, which then
    /// takes the key; `eager` as in [`Shard::begin_flight`]. Values are
    /// cloned only under a shared read, never the write lock.
    ///
    /// With `refresh`, an entry past its deadline but not expired is due:
    /// the shared read serves it while another caller refreshes it (so
    /// that caller is the only one to wait), and the first caller to find
    /// it due under the write lock becomes that caller.
    fn begin<P: ValuePolicy<V>>(
        &self,
        hash: u64,
        slot: &mut Option<K>,
        eager: bool,
        read_first: bool,
    ) -> Begin<V> {
        let key = slot
            .as_ref()
            .expect("the key is kept until a flight takes it");
        // With a zero-sized key, the lock-free single-entry read gave up:
        // nothing published, the thread's first read (this claims its
        // reader slot), or a read nested in another. A shared read finds a
        // stored value without retracting the publication, as the write
        // lock would.
        if read_first || size_of::<K>() == 0 || self.refresh.is_some() {
            let shard = self.shard(hash).read_guard();
            let found = self
                .find_live::<&K, P>(&shard, hash, &key)
                .or_else(|| self.find_refreshing::<P>(&shard, hash, key));
            drop(shard);
            if let Some(value) = found {
                self.counters.hit();
                return Begin::Hit(value);
            }
        }
        // Checked here rather than by `write_shard`, so that a miss from
        // inside the cache computes without storing instead of panicking.
        if self.is_inside() {
            return Begin::Inside;
        }
        let mut shard = self.shard(hash).write();
        if let Some(entry) = shard.find(hash, |k| k == key) {
            if self.is_live(entry.deadline) {
                return Begin::Stored;
            }
            if self.refresh.is_some() && self.is_unexpired(entry.deadline) {
                return Self::begin_refresh(&mut shard, hash, slot, eager);
            }
            shard.remove(hash, |k| k == key);
            self.counters.expired(1);
        }
        Begin::Flight(shard.begin_flight(hash, slot, eager))
    }

    /// The key's entry is due for a refresh: the caller runs it, with a
    /// [`REFRESHING`] ticket, unless another caller began it since the
    /// shared read (then the next read serves the entry).
    #[cold]
    fn begin_refresh(
        shard: &mut Shard<K, V>,
        hash: u64,
        slot: &mut Option<K>,
        eager: bool,
    ) -> Begin<V> {
        let key = slot
            .as_ref()
            .expect("the key is kept until a flight takes it");
        if shard.is_computing(hash, |k| k == key) {
            return Begin::Stored;
        }
        match shard.begin_flight(hash, slot, eager) {
            FlightRole::Lead(ticket, flight) => {
                Begin::Flight(FlightRole::Lead(ticket | REFRESHING, flight))
            }
            FlightRole::Wait(_) => unreachable!("no flight of the key, checked above"),
        }
    }

    /// With `refresh`, a copy of the key's entry if it is due for a refresh
    /// that another caller runs: callers get it meanwhile, without waiting.
    /// Out of line: a miss of a cache without `refresh` only tests for it.
    #[inline(never)]
    fn find_refreshing<P: ValuePolicy<V>>(
        &self,
        shard: &Shard<K, V>,
        hash: u64,
        key: &K,
    ) -> Option<V> {
        self.refresh?;
        let found = shard.find(hash, |k| k == key)?;
        if !self.is_unexpired(found.deadline) || !shard.is_computing(hash, |k| k == key) {
            return None;
        }
        found.touch();
        self.counters.refresh_hit();
        Some(P::clone_value(&found.value))
    }

    /// The key's hash for the eviction policy of a bounded cache (0 when
    /// unbounded), taken before locking: `Hash` may use the cache.
    fn policy_hash(&self, key: &K) -> u32 {
        if self.config.capacity.is_some() {
            storage::policy_hash(key)
        } else {
            0
        }
    }

    fn store_locked(
        &self,
        shard: &mut Shard<K, V>,
        (hash, policy_hash): (u64, u32),
        key: K,
        value: V,
        left: Option<u64>,
    ) {
        let now = if self.ttl.is_some() {
            self.time.now()
        } else {
            0
        };
        let last_sweep = shard.last_sweep;
        if self
            .ttl
            .is_some_and(|ttl| housekeeper::sweeps_before_store(now, last_sweep, ttl))
        {
            self.counters.expired(shard.sweep(now));
        }
        // A value read from the tier keeps the expiry it had there (with
        // `refresh`, it is due `grace` before that expiry, or at once).
        let deadline = match (self.deadline_from(now), left) {
            (deadline, Some(left)) if deadline != NEVER => {
                deadline.min(now.saturating_add(left).saturating_sub(self.grace))
            }
            (deadline, _) => deadline,
        };
        let made_room = shard.insert(hash, policy_hash, key, value, deadline, now);
        self.counters.evicted(made_room.evicted);
        self.counters.expired(made_room.expired);
        self.counters.inserted();
    }

    /// Removes every entry, in memory and in the second tier. Computations
    /// in flight still answer their waiters but store nothing.
    pub fn clear(&self) {
        self.clear_memory();
        self.clear_tier();
    }

    /// Removes every entry in memory, leaving the second tier as it is:
    /// what a restart does.
    pub fn clear_memory(&self) {
        for shard in self.shards.iter() {
            self.write(&shard.0).clear();
        }
    }

    /// Removes the entry of this key; true if there was a live one.
    pub fn invalidate<Q: Lookup<K>>(&self, query: Q) -> bool {
        self.invalidate_tier(&query);
        let hash = query.hash_with(&self.hasher);
        let mut shard = self.write_shard(hash);
        shard.forget_flight(hash, |k| query.matches(k));
        let Some(removed) = shard.remove(hash, |k| query.matches(k)) else {
            return false;
        };
        let live = self.is_unexpired(removed.deadline);
        if !live {
            self.counters.expired(1);
        }
        live
    }

    /// Stores a value for this key, as if the function had returned it.
    /// A value the function's policy would not store (an `Err`) is ignored.
    pub fn insert(&self, key: K, value: V) {
        if !(self.ops.is_cacheable)(&value) {
            return;
        }
        self.insert_tier(&key, &value);
        let hash = self.hasher.hash_one(&key);
        let policy_hash = self.policy_hash(&key);
        let mut shard = self.write_shard(hash);
        shard.forget_flight(hash, |k| *k == key);
        self.store_locked(&mut shard, (hash, policy_hash), key, value, None);
    }

    /// The live value of this key, without computing it or counting a hit.
    pub fn peek<Q: Lookup<K>>(&self, query: Q) -> Option<V> {
        let hash = query.hash_with(&self.hasher);
        self.shard(hash).read(|shard| {
            shard
                .find(hash, |k| query.matches(k))
                .filter(|e| self.is_unexpired(e.deadline))
                .map(|e| (self.ops.clone_value)(&e.value))
        })
    }

    /// The number of live entries (expired ones are swept first, unless
    /// this is called from inside a read of the cache: then counted).
    pub fn len(&self) -> usize {
        if self.ttl.is_some() && self.is_inside() {
            let now = self.time.now();
            return self
                .shards
                .iter()
                .map(|s| s.0.read(|s| s.live_len(now)))
                .sum();
        }
        self.sweep_expired();
        self.shards.iter().map(|s| s.0.read(Shard::len)).sum()
    }

    /// Whether there are no live entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index of a shard holding an entry, if any.
    pub(crate) fn occupied_shard(&self) -> Option<usize> {
        self.shards.iter().position(|s| s.0.read(Shard::len) > 0)
    }

    /// The structural part of a hit on the `n`th entry of shard `shard`,
    /// running no user code: the shared lock, the index probe with the
    /// entry's stored hash, comparing slab indices (see [`Shard::probe`]),
    /// and the liveness check of its deadline. What it leaves out of a hit:
    /// hashing the key and comparing it (the key's `Hash` and `Eq`), cloning
    /// the value, counting the hit.
    pub(crate) fn probe(&self, shard: usize, n: usize) -> bool {
        let guard = self.shards[shard].0.read_guard();
        guard.probe(n).is_some_and(|d| self.is_live(d))
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Sets every counter back to zero.
    pub fn reset_stats(&self) {
        self.counters.reset();
    }

    /// Replaces the system clock, for deterministic TTL tests. Clears the
    /// cache in memory, whose deadlines were stamped by the old clock; a
    /// second tier keeps its entries, whose expiries are wall-clock times.
    /// From then on the tier's wall clock is the system's time when first
    /// needed in this process, moved only by the new clock's advances.
    ///
    /// # Panics
    /// If a clock was already set for this cache.
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        if !self.time.set(clock) {
            panic!(
                "memokit: the clock of `{}` is already set; set it once, before the entries you test",
                self.config.name
            );
        }
        self.clear_memory();
    }

    /// Removes expired entries from every shard that may hold some.
    pub fn sweep_expired(&self) {
        if self.ttl.is_none() || self.is_inside() {
            return;
        }
        let now = self.time.now();
        for shard in self.shards.iter() {
            if shard.0.read(|s| s.may_hold_expired(now)) {
                let swept = self.write(&shard.0).sweep(now);
                self.counters.expired(swept);
            }
        }
    }
}

/// The caller running a computation. Dropped without [`Leader::complete`]
/// (the computation panicked), it stores nothing and lets a waiter retry.
struct Leader<'a, K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    cache: &'a Cache<K, V>,
    hash: u64,
    /// [`Cache::policy_hash`] of the key, which the flight holds.
    policy_hash: u32,
    /// `complete` ran: nothing left for `drop` to do.
    done: bool,
    /// [`UNCACHED`], or the flight's serial, with [`REFRESHING`] set when
    /// the computation refreshes a due entry.
    ticket: Ticket,
    /// `None`: this computation is not timed.
    started: Option<Stopwatch>,
    /// The key's bytes in the second tier, when the cache has one in use.
    #[cfg_attr(not(feature = "tier"), allow(dead_code))]
    tier_key: TierKey,
}

/// The key's bytes in the second tier; nothing without the `tier` feature.
/// One word, boxed twice: the leader lives in the frame that computes,
/// which a debug build keeps on the stack once per level of a recursion
/// (`tests/stack.rs` holds it to 512 bytes with the feature on too).
#[cfg(feature = "tier")]
type TierKey = Option<Box<Vec<u8>>>;
#[cfg(not(feature = "tier"))]
type TierKey = Option<std::convert::Infallible>;

impl<K, V> Leader<'_, K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    /// Whether the computation refreshes a due entry.
    fn is_refresh(&self) -> bool {
        self.ticket != UNCACHED && self.ticket & REFRESHING != 0
    }

    /// The ticket of the key's flight, without the [`REFRESHING`] mark.
    fn flight_ticket(&self) -> Ticket {
        self.ticket & !REFRESHING
    }

    /// Counts a finished refresh; one that stored nothing (an `Err`) hands
    /// its caller the kept entry, if there still is one, instead of `value`.
    #[cold]
    fn refreshed(&self, stored: bool, key: Option<&K>, value: &mut V) {
        let cache = self.cache;
        cache.counters.refreshed(stored);
        if stored {
            return;
        }
        if let Some(current) = key.and_then(|k| cache.peek(k)) {
            *value = current;
        }
    }

    /// Counts the call: a value from the tier is a hit (the function did
    /// not run), a computed one a miss.
    fn count(&self, origin: Origin) {
        match origin {
            Origin::Computed => self
                .cache
                .counters
                .miss(self.started.as_ref().map(Stopwatch::ticks)),
            Origin::Tier(_) => self.cache.counters.hit(),
        }
    }

    /// The second tier's value of the key, stored in memory and handed to
    /// the waiters as a computed one would be, if the tier has one.
    fn answer_from_tier<P: ValuePolicy<V>>(&mut self) -> Option<V> {
        let (mut value, left) = self.read_tier()?;
        self.complete::<P>(&mut value, Origin::Tier(left));
        Some(value)
    }

    /// [`answer_from_tier`](Self::answer_from_tier) for an `async fn`.
    async fn answer_from_tier_async<P: ValuePolicy<V>>(&mut self) -> Option<V> {
        let (mut value, left) = self.read_tier_async().await?;
        self.complete::<P>(&mut value, Origin::Tier(left));
        Some(value)
    }

    /// Stores `value` if `P` allows and the flight was not forgotten, and
    /// hands it to the waiters. A refresh that returned what is not stored
    /// (an `Err`) keeps the entry, and `value` becomes a copy of it.
    #[inline(never)]
    fn complete<P: ValuePolicy<V>>(&mut self, value: &mut V, origin: Origin) {
        let cache = self.cache;
        if self.ticket == UNCACHED {
            self.done = true;
            self.count(origin);
            return;
        }
        // Copies are made with no lock held (`Clone` may use the cache) and
        // before `done` is set: if `Clone` panics, `drop` ends the flight and
        // wakes its waiters.
        let stored = P::is_cacheable(value).then(|| P::clone_value(value));
        let cacheable = stored.is_some();
        self.done = true;
        self.count(origin);
        let left = match origin {
            Origin::Computed => None,
            Origin::Tier(left) => left,
        };
        let mut in_memory = false;
        let (flight, leftover, garbage) = {
            let mut shard = cache.write_shard(self.hash);
            let ended = shard.end_flight(self.hash, self.flight_ticket());
            let leftover = match (ended.key, stored) {
                (Some(key), Some(copy)) if ended.registered => {
                    let hashes = (self.hash, self.policy_hash);
                    cache.store_locked(&mut shard, hashes, key, copy, left);
                    in_memory = true;
                    (None, None)
                }
                // Forgotten meanwhile, or not stored: the key and the copy
                // are dropped, or the copy handed over, after the lock.
                unstored => unstored,
            };
            (ended.flight, leftover, shard.take_garbage())
        };
        let (key, unused) = leftover;
        // Waiters join under the shard's lock, so after `end_flight` none
        // can: without a waiters' side there is nobody to hand a copy to.
        if let Some(flight) = flight {
            let copy = match unused {
                Some(copy) => Some(copy),
                None if cacheable => Some(copy_for_waiters::<V, P>(&flight, value)),
                None => None,
            };
            flight.finish(copy);
        }
        if self.is_refresh() {
            self.refreshed(cacheable, key.as_ref(), value);
        }
        // Last: the waiters are woken even if a `Drop` here panics.
        drop((key, garbage));
        // After the waiters are woken, so that none waits for the tier; a
        // key forgotten meanwhile (`invalidate`, `clear`) is not written.
        if matches!(origin, Origin::Computed) {
            if in_memory {
                self.write_tier(value);
            } else {
                self.abandon_tier();
            }
        }
    }
}

/// A copy of `value` for the waiters of `flight`; if `Clone` panics, they
/// are woken to retry before the panic goes on.
fn copy_for_waiters<V, P: ValuePolicy<V>>(flight: &Flight<V>, value: &V) -> V {
    let copied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| P::clone_value(value)));
    copied.unwrap_or_else(|panic| {
        flight.finish(None);
        std::panic::resume_unwind(panic)
    })
}

impl<K, V> Drop for Leader<'_, K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // The computation panicked: count it, store nothing, wake a waiter.
        self.abandon_tier();
        let cache = self.cache;
        self.count(Origin::Computed);
        if self.is_refresh() {
            cache.counters.refreshed(false);
        }
        if self.ticket == UNCACHED {
            return;
        }
        let (ended, garbage) = {
            let mut shard = cache.write_shard(self.hash);
            let ended = shard.end_flight(self.hash, self.flight_ticket());
            (ended, shard.take_garbage())
        };
        if let Some(flight) = ended.flight {
            flight.finish(None);
        }
        drop((ended.key, garbage));
    }
}

/// The slow path of an `async fn`.
impl<K, V> Cache<K, V>
where
    K: CacheKey,
    V: CacheValue,
{
    /// [`Cache::compute`] for an `async fn`: a task waiting for another's
    /// computation of the key yields instead of blocking its thread, and no
    /// lock is held across an `.await`. The computing future holds the
    /// leadership: dropped mid-way or panicking, it stores nothing and a
    /// waiting task computes instead.
    #[doc(hidden)]
    pub async fn compute_async<P: ValuePolicy<V>, F: Future<Output = V>>(
        &self,
        miss: Miss<K>,
        _values: P,
        compute: F,
    ) -> V {
        let Miss { hash, key } = miss;
        let policy_hash = self.policy_hash(&key);
        let tier_key = self.tier_key(&key);
        let mut key = Some(key);
        let mut read_first = false;
        let (ticket, flight) = loop {
            let joined = match self.begin::<P>(hash, &mut key, true, read_first) {
                Begin::Hit(v) => return v,
                Begin::Stored => {
                    read_first = true;
                    continue;
                }
                Begin::Flight(FlightRole::Wait(flight)) => {
                    AwaitFlight::new(flight, self.config.name, P::clone_value)
                }
                Begin::Flight(FlightRole::Lead(ticket, flight)) => {
                    break (ticket, flight.expect("eager flight"))
                }
                // A task polled inside a read of its own cache: nothing to
                // do but what a write from there does.
                Begin::Inside => self.shard(hash).reentered(),
            };
            match joined.await {
                Outcome::Value(v) => {
                    self.counters.hit();
                    return v;
                }
                Outcome::Retry => continue,
            }
        };
        let mut leader = self.leader(hash, policy_hash, ticket, tier_key);
        if let Some(value) = leader.answer_from_tier_async::<P>().await {
            return value;
        }
        let mut value = task::lead(&flight, compute).await;
        leader.complete::<P>(&mut value, Origin::Computed);
        value
    }
}
