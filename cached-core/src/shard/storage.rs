//! One shard of a cache: the entries, the computations in flight, and the
//! eviction order, all behind one lock.
//!
//! Entries live in a dense slab (a `Vec`) and are found through a hash table
//! of `u32` slab indices; removing an entry moves the last one into its
//! place. Deadlines live in a parallel vector that exists only once an entry
//! has one, so a cache without `ttl` pays nothing for them. A `u64 -> u64`
//! entry costs 32 bytes in the slab (key, value, half the key's hash and its
//! [`policy_hash`], eight bytes of eviction links and hit counter) plus 5
//! bytes per bucket of the index, plus the ghost of a bounded shard (see
//! [`crate::shard::ghost`]).
//!
//! No user code runs here but the keys' `Eq`, which finding a key needs.
//! Each entry keeps its key's hashes, so moving entries, rebuilding the
//! index and evicting never call the keys' `Hash`; and the entries and keys a write
//! removes are set aside ([`Shard::take_garbage`]) for the caller to drop
//! once the lock is released, so no `Drop` runs under it either.

use std::hash::{BuildHasher, Hash};
use std::hint::black_box;
use std::ops::Deref;
use std::sync::Arc;

use hashbrown::hash_table::{self, HashTable};

use crate::flight::{self, Flight, Owner};
use crate::shard::eviction::{Linked, Links, Policy, Victim, MAX_ENTRIES};

/// `deadline` of an entry that never expires.
pub(crate) const NEVER: u64 = u64::MAX;

/// Hashes keys for the eviction policy (the ghost's fingerprints and
/// buckets), with a seed fixed at build time rather than per process.
///
/// The ghost remembers evicted keys by a fingerprint of their hash, and two
/// keys that share a bucket or a fingerprint displace or stand for each
/// other: with the cache's randomly seeded hash, which keys collide, and so
/// which entries are evicted, changed from run to run and from cache to
/// cache. With this hash, eviction depends only on the sequence of calls.
/// The index keeps the random seed: a chosen set of colliding keys can only
/// make the ghost forget or misremember a few keys (a worse hit rate, never
/// a slower lookup), which is not worth a denial of service. Callers hash
/// with it before locking, once per insertion into a bounded shard; hits
/// and unbounded caches do not pay it.
pub(crate) fn policy_hash<K: Hash>(key: &K) -> u32 {
    const POLICY_HASHER: foldhash::fast::FixedState =
        foldhash::fast::FixedState::with_seed(0x6d65_6d6f_6b69_7421);
    let hash = POLICY_HASHER.hash_one(key);
    (hash ^ (hash >> 32)) as u32
}

/// The 64-bit hash the eviction policy takes, spread from a stored 32-bit
/// policy hash (an odd multiplier: a bijection on the low half, which the
/// ghost's buckets use, and mixed high bits for its fingerprints).
fn spread(policy: u32) -> u64 {
    u64::from(policy).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hash the index is built with: the low half of the key's hash, in
/// both halves. An entry keeps only that half ([`Entry::hash`]), and the
/// index re-hashes entries from it; hashbrown takes buckets from the low
/// bits and its tags from the top seven, so up to 2^25 buckets per shard
/// the two stay independent (beyond, tags only match more often).
#[inline(always)]
fn index_hash(low: u32) -> u64 {
    u64::from(low) * 0x1_0000_0001
}
/// A stored value.
pub(crate) struct Entry<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    /// The low half of the hash of `key`, from which the index re-hashes
    /// the entry ([`index_hash`]): the shard never calls the key's `Hash`.
    hash: u32,
    /// [`policy_hash`] of `key` (in a bounded shard).
    policy: u32,
    links: Links,
}

impl<K, V> Entry<K, V> {
    /// Marks the entry as used: bumps its hit counter unless it is at its
    /// maximum, so hot entries do not bounce their cache line between
    /// readers.
    #[inline]
    pub(crate) fn touch(&self) {
        self.links.touch();
    }
}

impl<K, V> Linked for Entry<K, V> {
    fn links(&mut self) -> &mut Links {
        &mut self.links
    }
}

/// An entry found by [`Shard::find`], with its deadline.
pub(crate) struct Found<'a, K, V> {
    entry: &'a Entry<K, V>,
    /// Clock time after which the entry is dead, or [`NEVER`].
    pub(crate) deadline: u64,
}

impl<K, V> Deref for Found<'_, K, V> {
    type Target = Entry<K, V>;

    #[inline]
    fn deref(&self) -> &Entry<K, V> {
        self.entry
    }
}

/// An entry taken out of the shard.
pub(crate) struct Removed {
    /// Its deadline, or [`NEVER`].
    pub(crate) deadline: u64,
}

/// What an insertion removed to stay within capacity.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Inserted {
    /// Live entries evicted.
    pub(crate) evicted: u64,
    /// Expired entries removed (they go before any live one).
    pub(crate) expired: u64,
}

/// A computation in progress, as the shard records it.
struct InFlight<K, V> {
    hash: u64,
    key: K,
    /// Tells this flight from a later one of the same key.
    serial: u64,
    owner: Owner,
    /// What waiters wait on, created by the first of them: a leader that
    /// nobody waits for (the common miss) allocates nothing.
    flight: Option<Arc<Flight<V>>>,
    /// The key was invalidated or the cache cleared: no new caller joins
    /// this flight and its value is not stored, but the waiters it has
    /// still get the value. Kept only while it has waiters.
    forgotten: bool,
}

/// The leader's handle on its flight, to end it with.
pub(crate) type Ticket = u64;

/// What [`Shard::begin_flight`] made of the caller.
pub(crate) enum FlightRole<V> {
    /// Another caller computes the key: wait on this.
    Wait(Arc<Flight<V>>),
    /// The caller computes the key; the flight's waiters' side if `eager`.
    Lead(Ticket, Option<Arc<Flight<V>>>),
}

/// What [`Shard::end_flight`] found.
pub(crate) struct Ended<K, V> {
    /// The flight's key, back from its record (`None`: already removed).
    pub(crate) key: Option<K>,
    /// The flight was not forgotten: its value may be stored.
    pub(crate) registered: bool,
    /// The waiters' side of the flight, if it has any, to finish.
    pub(crate) flight: Option<Arc<Flight<V>>>,
}

/// What a write took out of a shard, to be dropped after its lock is
/// released: a value's or key's `Drop` may use the cache.
pub(crate) struct Garbage<K, V> {
    entries: Vec<Entry<K, V>>,
    keys: Vec<K>,
}

impl<K, V> Garbage<K, V> {
    const fn new() -> Self {
        Garbage {
            entries: Vec::new(),
            keys: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.keys.is_empty()
    }

    /// Sets `entry` aside; dropped at once (under the lock) when dropping
    /// it runs no code at all.
    fn entry(&mut self, entry: Entry<K, V>) {
        if std::mem::needs_drop::<Entry<K, V>>() {
            self.entries.push(entry);
        }
    }

    fn key(&mut self, key: K) {
        if std::mem::needs_drop::<K>() {
            self.keys.push(key);
        }
    }
}

/// Entries, flights and eviction order of one shard.
pub(crate) struct Shard<K, V> {
    entries: Vec<Entry<K, V>>,
    /// Slab index of each entry, by the hash of its key.
    index: HashTable<u32>,
    /// Deadline of each entry, parallel to `entries`; empty while no entry
    /// has one.
    deadlines: Vec<u64>,
    /// `None` when unbounded.
    policy: Option<Policy>,
    flights: HashTable<InFlight<K, V>>,
    /// The serial of the next flight.
    next_serial: u64,
    /// At most this many entries; `usize::MAX` when unbounded.
    capacity: usize,
    /// No entry's deadline is before this time.
    earliest_deadline: u64,
    /// How long after its deadline an entry expires: with `refresh`, an
    /// entry's deadline is when it is due for a refresh (hits before it
    /// stay on the fast path) and it expires `ttl - refresh` later; zero
    /// otherwise, when the deadline is the expiry.
    grace: u64,
    /// When expired entries were last swept.
    pub(crate) last_sweep: u64,
    /// Insertions since the last sweep: a full shard sweeps before evicting
    /// only every `len / 16` insertions, so sweeping stays O(1) amortised.
    inserts_since_sweep: usize,
    /// Removed since the last [`take_garbage`](Self::take_garbage).
    garbage: Garbage<K, V>,
}

impl<K: Eq, V> Shard<K, V> {
    /// A shard holding at most `capacity` entries (`usize::MAX`: unbounded),
    /// whose entries expire `grace` after their deadline.
    pub(crate) fn new(capacity: usize, grace: u64) -> Self {
        let bounded = capacity != usize::MAX;
        let capacity = if bounded {
            capacity.clamp(1, MAX_ENTRIES)
        } else {
            usize::MAX
        };
        Shard {
            entries: Vec::new(),
            index: HashTable::new(),
            deadlines: Vec::new(),
            policy: bounded.then(|| Policy::new(capacity)),
            flights: HashTable::new(),
            next_serial: 0,
            capacity,
            earliest_deadline: NEVER,
            grace,
            last_sweep: 0,
            inserts_since_sweep: 0,
            garbage: Garbage::new(),
        }
    }

    /// What writes removed since the last call, for the caller to drop
    /// once the lock is released; `None` if nothing needs dropping.
    pub(crate) fn take_garbage(&mut self) -> Option<Garbage<K, V>> {
        (!self.garbage.is_empty()).then(|| std::mem::replace(&mut self.garbage, Garbage::new()))
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The number of entries whose deadline is after `now`.
    pub(crate) fn live_len(&self, now: u64) -> usize {
        if self.deadlines.is_empty() {
            return self.entries.len();
        }
        self.deadlines
            .iter()
            .filter(|&&d| self.expiry(d) > now)
            .count()
    }

    /// The first entry of the slab, if any: with a zero-sized key type,
    /// the only one.
    pub(crate) fn first(&self) -> Option<Found<'_, K, V>> {
        let entry = self.entries.first()?;
        Some(Found {
            entry,
            deadline: self.deadline(0),
        })
    }

    /// The structural part of a hit on the `n`th entry (modulo the
    /// length), running no user code, for the report to time: the index
    /// probe with the entry's stored hash, comparing slab indices instead
    /// of keys, and its deadline. `None` when the shard is empty.
    pub(crate) fn probe(&self, n: usize) -> Option<u64> {
        if self.entries.is_empty() {
            return None;
        }
        let j = (n % self.entries.len()) as u32;
        let hash = index_hash(self.entries[j as usize].hash);
        let i = *self.index.find(hash, |&i| i == j)?;
        black_box(&self.entries[i as usize]);
        Some(self.deadline(i))
    }

    #[inline]
    fn position(&self, hash: u64, is_key: impl Fn(&K) -> bool) -> Option<u32> {
        let entries = &self.entries;
        self.index
            .find(index_hash(hash as u32), |&i| {
                is_key(&entries[i as usize].key)
            })
            .copied()
    }

    /// When an entry with this deadline expires.
    #[inline]
    pub(crate) fn expiry(&self, deadline: u64) -> u64 {
        deadline.saturating_add(self.grace)
    }

    #[inline]
    fn deadline(&self, i: u32) -> u64 {
        self.deadlines.get(i as usize).copied().unwrap_or(NEVER)
    }

    #[inline]
    pub(crate) fn find(&self, hash: u64, is_key: impl Fn(&K) -> bool) -> Option<Found<'_, K, V>> {
        let i = self.position(hash, is_key)?;
        Some(Found {
            entry: &self.entries[i as usize],
            deadline: self.deadline(i),
        })
    }

    pub(crate) fn remove(&mut self, hash: u64, is_key: impl Fn(&K) -> bool) -> Option<Removed> {
        let i = self.position(hash, is_key)?;
        Some(self.remove_at(i))
    }

    /// Takes the entry at slab index `i` out of the index, the eviction
    /// order and the slab, moving the last entry into its place.
    fn remove_at(&mut self, i: u32) -> Removed {
        let hash = index_hash(self.entries[i as usize].hash);
        if let Ok(found) = self.index.find_entry(hash, |&j| j == i) {
            found.remove();
        }
        if let Some(policy) = &mut self.policy {
            policy.unlink(&mut self.entries, i);
        }
        let last = (self.entries.len() - 1) as u32;
        let removed = self.entries.swap_remove(i as usize);
        self.garbage.entry(removed);
        let deadline = if self.deadlines.is_empty() {
            NEVER
        } else {
            self.deadlines.swap_remove(i as usize)
        };
        if i != last {
            let moved = index_hash(self.entries[i as usize].hash);
            if let Some(slot) = self.index.find_mut(moved, |&j| j == last) {
                *slot = i;
            }
            if let Some(policy) = &mut self.policy {
                policy.moved(&mut self.entries, last, i);
            }
        }
        Removed { deadline }
    }

    /// Joins the computation in flight for this key, creating its waiters'
    /// side if this is the first waiter; or, if there is none, records one
    /// led by the current thread. `eager` creates the waiters' side of a
    /// new flight at once (an async leader marks it while polling, to
    /// recognise recursion). One probe of the flight table either way.
    pub(crate) fn begin_flight(
        &mut self,
        hash: u64,
        slot: &mut Option<K>,
        eager: bool,
    ) -> FlightRole<V> {
        let key = slot
            .as_ref()
            .expect("the key is kept until a flight takes it");
        let live = |f: &InFlight<K, V>| !f.forgotten && f.key == *key;
        match self.flights.entry(hash, live, |f| f.hash) {
            hash_table::Entry::Occupied(found) => {
                let found = found.into_mut();
                let owner = found.owner;
                let flight = found
                    .flight
                    .get_or_insert_with(|| Arc::new(Flight::new(owner)));
                FlightRole::Wait(Arc::clone(flight))
            }
            hash_table::Entry::Vacant(vacant) => {
                let serial = self.next_serial;
                self.next_serial += 1;
                let owner = flight::current_owner();
                let flight = eager.then(|| Arc::new(Flight::new(owner)));
                vacant.insert(InFlight {
                    hash,
                    key: slot.take().expect("checked above"),
                    serial,
                    owner,
                    flight: flight.clone(),
                    forgotten: false,
                });
                FlightRole::Lead(serial, flight)
            }
        }
    }

    /// Unregisters the flight of `ticket`, for its leader to finish.
    pub(crate) fn end_flight(&mut self, hash: u64, ticket: Ticket) -> Ended<K, V> {
        match self.flights.find_entry(hash, |f| f.serial == ticket) {
            Ok(found) => {
                let (f, _) = found.remove();
                Ended {
                    key: Some(f.key),
                    registered: !f.forgotten,
                    flight: f.flight,
                }
            }
            Err(_) => Ended {
                key: None,
                registered: false,
                flight: None,
            },
        }
    }

    /// Forgets the flight of a key so its result is not stored.
    pub(crate) fn forget_flight(&mut self, hash: u64, is_key: impl Fn(&K) -> bool) {
        if let Ok(found) = self
            .flights
            .find_entry(hash, |f| !f.forgotten && is_key(&f.key))
        {
            if found.get().flight.is_some() {
                found.into_mut().forgotten = true;
            } else {
                let (f, _) = found.remove();
                self.garbage.key(f.key);
            }
        }
    }

    /// Stores a value, replacing the value of an entry with the same key
    /// (which keeps its place in the eviction order). At capacity, expired
    /// entries go first, then the policy's victims. `policy_hash` is the key's
    /// [`policy_hash`] in a bounded shard (anything in an unbounded one).
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        policy_hash: u32,
        key: K,
        value: V,
        deadline: u64,
        now: u64,
    ) -> Inserted {
        let mut made_room = Inserted::default();
        if let Some(i) = self.position(hash, |k| *k == key) {
            let entry = &mut self.entries[i as usize];
            let old = Entry {
                key,
                value: std::mem::replace(&mut entry.value, value),
                hash: hash as u32,
                policy: policy_hash,
                links: Links::unlinked(),
            };
            self.garbage.entry(old);
            self.set_deadline(i, deadline);
            return made_room;
        }
        self.inserts_since_sweep += 1;
        if self.entries.len() >= self.capacity {
            if self.may_hold_expired(now) && self.inserts_since_sweep > self.entries.len() / 16 {
                made_room.expired += self.sweep(now);
            }
            while self.entries.len() >= self.capacity {
                if !self.evict_one(now, &mut made_room) {
                    break;
                }
            }
        }
        self.reserve_index();
        let i = self.push(hash as u32, policy_hash, key, value);
        self.set_deadline(i, deadline);
        let entries = &self.entries;
        self.index.insert_unique(index_hash(hash as u32), i, |&j| {
            index_hash(entries[j as usize].hash)
        });
        if let Some(policy) = &mut self.policy {
            policy.admit(&mut self.entries, i, spread(policy_hash));
        }
        made_room
    }

    /// Makes room in the index of a bounded shard for one more entry.
    ///
    /// At a steady size, each eviction may leave a tombstone in the hash
    /// table, and when tombstones have used up its spare room hashbrown
    /// doubles a table that is more than half full. A bounded shard instead
    /// rebuilds its index at the size its capacity needs, which costs the
    /// same re-hashing as a resize and keeps the table from doubling.
    fn reserve_index(&mut self) {
        if self.policy.is_none() || self.index.len() < self.index.capacity() {
            return;
        }
        let len = self.entries.len();
        // A ninth of spare room beyond the capacity: tombstones accumulate for
        // a while before the next rebuild.
        let full = self.capacity + self.capacity / 8;
        let size = (2 * len).min(full).max(len + 1);
        let entries = &self.entries;
        let mut index = HashTable::with_capacity(size);
        for (i, entry) in entries.iter().enumerate() {
            index.insert_unique(index_hash(entry.hash), i as u32, |&j| {
                index_hash(entries[j as usize].hash)
            });
        }
        self.index = index;
    }

    /// Appends to the slab; a bounded slab never grows past its capacity.
    fn push(&mut self, hash: u32, policy: u32, key: K, value: V) -> u32 {
        let len = self.entries.len();
        if len == self.entries.capacity() && self.capacity != usize::MAX {
            let wanted = (len * 2).max(4).min(self.capacity);
            self.entries
                .reserve_exact(wanted.saturating_sub(len).max(1));
        }
        self.entries.push(Entry {
            key,
            value,
            hash,
            policy,
            links: Links::unlinked(),
        });
        len as u32
    }

    fn set_deadline(&mut self, i: u32, deadline: u64) {
        if deadline == NEVER && self.deadlines.is_empty() {
            return;
        }
        if self.deadlines.len() < self.entries.len() {
            self.deadlines.resize(self.entries.len(), NEVER);
        }
        self.deadlines[i as usize] = deadline;
        self.earliest_deadline = self.earliest_deadline.min(deadline);
    }

    /// Removes the policy's victim; false if there was none.
    fn evict_one(&mut self, now: u64, made_room: &mut Inserted) -> bool {
        let Some(policy) = &mut self.policy else {
            return false;
        };
        let (deadlines, grace) = (&self.deadlines, self.grace);
        let dead = |i: u32| {
            deadlines
                .get(i as usize)
                .is_some_and(|&d| d.saturating_add(grace) <= now)
        };
        let victim = policy.victim(&mut self.entries, dead);
        match victim {
            Some(Victim::Expired(i)) => {
                self.remove_at(i);
                made_room.expired += 1;
            }
            Some(Victim::Evicted(i)) => {
                let policy_hash = spread(self.entries[i as usize].policy);
                policy.remember(&mut self.entries, i, policy_hash);
                self.remove_at(i);
                made_room.evicted += 1;
            }
            None => return false,
        }
        true
    }

    /// Removes every entry whose deadline is not after `now`; returns how many.
    pub(crate) fn sweep(&mut self, now: u64) -> u64 {
        self.last_sweep = now;
        self.inserts_since_sweep = 0;
        if self.deadlines.is_empty() {
            // No entry has a deadline (the last ones were removed).
            self.earliest_deadline = NEVER;
            return 0;
        }
        if !self.may_hold_expired(now) {
            return 0;
        }
        let mut removed = 0;
        let mut earliest = NEVER;
        // Backwards, so the entry moved into a hole was already checked.
        for i in (0..self.entries.len()).rev() {
            let deadline = self.deadlines[i];
            if self.expiry(deadline) <= now {
                self.remove_at(i as u32);
                removed += 1;
            } else {
                earliest = earliest.min(deadline);
            }
        }
        self.earliest_deadline = earliest;
        self.release_spare_memory();
        removed
    }

    /// After a sweep emptied most of the shard, gives memory back so that it
    /// follows the live entries.
    fn release_spare_memory(&mut self) {
        let len = self.entries.len();
        if self.entries.capacity() > 4 * len + 64 {
            self.entries.shrink_to(2 * len);
            self.deadlines.shrink_to(2 * len);
            let entries = &self.entries;
            self.index
                .shrink_to(2 * len, |&j| index_hash(entries[j as usize].hash));
        }
    }

    /// Whether some entry may have expired by `now`.
    pub(crate) fn may_hold_expired(&self, now: u64) -> bool {
        self.expiry(self.earliest_deadline) <= now
    }

    /// Whether a computation of this key is in flight that new callers
    /// would join: with `refresh`, the refresh of its due entry.
    pub(crate) fn is_computing(&self, hash: u64, is_key: impl Fn(&K) -> bool) -> bool {
        self.flights
            .find(hash, |f| !f.forgotten && is_key(&f.key))
            .is_some()
    }

    pub(crate) fn clear(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        if std::mem::needs_drop::<Entry<K, V>>() {
            if self.garbage.entries.is_empty() {
                self.garbage.entries = entries;
            } else {
                self.garbage.entries.extend(entries);
            }
        }
        self.index.clear();
        self.deadlines.clear();
        // Flights with waiters stay, forgotten, for their leaders to finish.
        let idle = self.flights.extract_if(|f| {
            f.forgotten = true;
            f.flight.is_none()
        });
        for flight in idle {
            self.garbage.key(flight.key);
        }
        if let Some(policy) = &mut self.policy {
            policy.clear();
        }
        self.earliest_deadline = NEVER;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    type Hasher = foldhash::fast::RandomState;

    impl<K: Eq + std::fmt::Debug, V> Shard<K, V> {
        /// Panics unless slab, index, deadlines and queues agree.
        fn check(&mut self) {
            assert_eq!(self.index.len(), self.entries.len());
            assert!(self.deadlines.is_empty() || self.deadlines.len() == self.entries.len());
            for (i, entry) in self.entries.iter().enumerate() {
                let found = self.index.find(index_hash(entry.hash), |&j| {
                    self.entries[j as usize].key == entry.key
                });
                assert_eq!(found, Some(&(i as u32)), "{:?}", entry.key);
            }
            if let Some(policy) = &self.policy {
                let mut linked = policy.walk(&mut self.entries);
                linked.sort_unstable();
                assert_eq!(linked, (0..self.entries.len() as u32).collect::<Vec<_>>());
            }
        }
    }

    /// A forgotten flight keeps its waiters' side for its leader to
    /// finish, but nobody new joins it and its value is not stored; a
    /// flight without waiters allocates nothing.
    #[test]
    fn forgotten_flights_still_reach_their_waiters() {
        let mut shard: Shard<u64, u64> = Shard::new(usize::MAX, 0);
        let hash = Hasher::default().hash_one(7u64);
        let mut key = Some(7);
        let FlightRole::Lead(first, None) = shard.begin_flight(hash, &mut key, false) else {
            panic!("the first caller leads, allocating nothing");
        };
        assert_eq!(key, None, "the flight took the key");
        let mut key = Some(7);
        let FlightRole::Wait(waiter) = shard.begin_flight(hash, &mut key, false) else {
            panic!("the second caller waits");
        };
        assert_eq!(key, Some(7), "a waiter keeps its key");
        shard.forget_flight(hash, |k| *k == 7);
        let FlightRole::Lead(second, _) = shard.begin_flight(hash, &mut Some(7), false) else {
            panic!("a forgotten flight is not joined");
        };
        let ended = shard.end_flight(hash, first);
        assert!(!ended.registered);
        assert_eq!(ended.key, Some(7), "the key comes back to the leader");
        assert!(Arc::ptr_eq(&ended.flight.expect("waited on"), &waiter));
        let ended = shard.end_flight(hash, second);
        assert!(ended.registered && ended.flight.is_none());
        assert!(!shard.end_flight(hash, second).registered);
    }

    /// Random inserts, hits, removals and sweeps keep every structure
    /// consistent, and the bound hard.
    #[test]
    fn random_operations_keep_the_shard_consistent() {
        for capacity in [1, 2, 7, 64, usize::MAX] {
            let mut shard: Shard<u64, u64> = Shard::new(capacity, 0);
            let hasher = Hasher::default();
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            for step in 0..20_000u64 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let key = x % 200;
                let hash = hasher.hash_one(key);
                match x >> 60 {
                    0..=7 => {
                        let deadline = if key % 3 == 0 { step + 50 } else { NEVER };
                        shard.insert(hash, policy_hash(&key), key, key, deadline, step);
                    }
                    8..=12 => {
                        if let Some(found) = shard.find(hash, |k| *k == key) {
                            found.touch();
                        }
                    }
                    13 | 14 => {
                        shard.remove(hash, |k| *k == key);
                    }
                    _ => {
                        shard.sweep(step);
                    }
                }
                assert!(shard.len() <= capacity);
                if step % 97 == 0 {
                    shard.check();
                }
            }
            shard.check();
        }
    }
}
