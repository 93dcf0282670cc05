//! One shard of a cache: the entries, the computations in flight, and the
//! eviction order, all behind one lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::eviction::ClockHand;
use crate::flight::Flight;

/// `deadline` of an entry that never expires.
pub(crate) const NEVER: u64 = u64::MAX;

/// A stored value.
pub(crate) struct Entry<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    pub(crate) hash: u64,
    /// Insertion number, so the eviction queue can tell a re-inserted key
    /// from the entry it referred to.
    pub(crate) id: u64,
    /// Clock time after which the entry is dead, or [`NEVER`].
    pub(crate) deadline: u64,
    visited: AtomicBool,
}

impl<K, V> Entry<K, V> {
    /// Marks the entry as used; writes only when the bit changes, so hot
    /// entries do not bounce their cache line between readers.
    #[inline]
    pub(crate) fn touch(&self) {
        if !self.visited.load(Ordering::Relaxed) {
            self.visited.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn take_visited(&self) -> bool {
        self.visited.swap(false, Ordering::Relaxed)
    }
}

struct InFlight<K, V> {
    hash: u64,
    key: K,
    flight: Arc<Flight<V>>,
}

/// Entries, flights and eviction order of one shard.
pub(crate) struct Shard<K, V> {
    pub(crate) table: HashTable<Entry<K, V>>,
    flights: HashTable<InFlight<K, V>>,
    hand: ClockHand,
    /// At most this many entries; `usize::MAX` when unbounded.
    capacity: usize,
    next_id: u64,
    /// No entry expires before this time.
    earliest_deadline: u64,
    /// When expired entries were last swept on the write path.
    pub(crate) last_sweep: u64,
}

impl<K: Eq, V> Shard<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Shard {
            table: HashTable::new(),
            flights: HashTable::new(),
            hand: ClockHand::default(),
            capacity,
            next_id: 0,
            earliest_deadline: NEVER,
            last_sweep: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    #[inline]
    pub(crate) fn find(&self, hash: u64, is_key: impl Fn(&K) -> bool) -> Option<&Entry<K, V>> {
        self.table.find(hash, |e| is_key(&e.key))
    }

    pub(crate) fn remove(&mut self, hash: u64, is_key: impl Fn(&K) -> bool) -> Option<Entry<K, V>> {
        let removed = self
            .table
            .find_entry(hash, |e| is_key(&e.key))
            .ok()
            .map(|found| found.remove().0);
        if removed.is_some() {
            self.hand.compact(&self.table);
        }
        removed
    }

    /// The computation in flight for this key, if any.
    pub(crate) fn flight(&self, hash: u64, key: &K) -> Option<Arc<Flight<V>>> {
        self.flights
            .find(hash, |f| f.key == *key)
            .map(|f| Arc::clone(&f.flight))
    }

    pub(crate) fn start_flight(&mut self, hash: u64, key: K, flight: Arc<Flight<V>>) {
        self.flights
            .insert_unique(hash, InFlight { hash, key, flight }, |f| f.hash);
    }

    /// Unregisters `flight`; false if it was no longer registered (the key
    /// was invalidated or the cache cleared meanwhile).
    pub(crate) fn end_flight(&mut self, hash: u64, key: &K, flight: &Arc<Flight<V>>) -> bool {
        match self.flights.find_entry(hash, |f| f.key == *key) {
            Ok(found) if Arc::ptr_eq(&found.get().flight, flight) => {
                found.remove();
                true
            }
            _ => false,
        }
    }

    /// Drops the flight of a key so its result is not stored.
    pub(crate) fn forget_flight(&mut self, hash: u64, is_key: impl Fn(&K) -> bool) {
        if let Ok(found) = self.flights.find_entry(hash, |f| is_key(&f.key)) {
            found.remove();
        }
    }

    /// Stores a value, replacing any entry of the same key. Returns the number
    /// of entries evicted to stay within capacity.
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V, deadline: u64) -> u64 {
        if let Ok(old) = self.table.find_entry(hash, |e| e.key == key) {
            old.remove();
        }
        let mut evicted = 0;
        while self.table.len() >= self.capacity {
            let Some((vhash, vid)) = self.hand.victim(&self.table) else {
                break;
            };
            if let Ok(victim) = self.table.find_entry(vhash, |e| e.id == vid) {
                victim.remove();
                evicted += 1;
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        self.earliest_deadline = self.earliest_deadline.min(deadline);
        let entry = Entry {
            key,
            value,
            hash,
            id,
            deadline,
            visited: AtomicBool::new(false),
        };
        self.table.insert_unique(hash, entry, |e| e.hash);
        if self.capacity != usize::MAX {
            self.hand.push(hash, id);
        }
        evicted
    }

    /// Removes every entry whose deadline is not after `now`; returns how many.
    pub(crate) fn sweep(&mut self, now: u64) -> u64 {
        self.last_sweep = now;
        if self.earliest_deadline > now {
            return 0;
        }
        let before = self.table.len();
        let mut earliest = NEVER;
        self.table.retain(|e| {
            let live = e.deadline > now;
            if live {
                earliest = earliest.min(e.deadline);
            }
            live
        });
        self.earliest_deadline = earliest;
        self.hand.compact(&self.table);
        (before - self.table.len()) as u64
    }

    /// Whether some entry may have expired by `now`.
    pub(crate) fn may_hold_expired(&self, now: u64) -> bool {
        self.earliest_deadline <= now
    }

    pub(crate) fn clear(&mut self) {
        self.table.clear();
        self.flights.clear();
        self.hand.clear();
        self.earliest_deadline = NEVER;
    }
}
