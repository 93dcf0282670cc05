//! Choosing what to evict when a bounded shard is full: S3-FIFO with an
//! adaptive small queue.
//!
//! New entries enter a *small* FIFO queue. An entry that reaches the head of
//! the small queue without having been hit since it entered is evicted and
//! remembered in a [`Ghost`]; one that was hit moves to the *main* queue.
//! A key evicted from the small queue that comes back while the ghost
//! remembers it (1.2 capacities of evictions) skips the small queue. The
//! main queue is a CLOCK whose entries carry a 2-bit hit counter: the hand
//! gives an entry with a non-zero counter another round and decrements it,
//! and evicts the first entry at zero. One-hit wonders and scans thus pass
//! through the small queue without displacing the main queue (S3-FIFO:
//! Yang et al., "FIFO queues are all you need for cache eviction", SOSP '23).
//!
//! The size of the small queue adapts to the workload, like ARC's target
//! size: a key evicted from the small queue that returns within the last
//! `young` ghost insertions would have been a hit with a slightly larger
//! small queue, so the target grows by one; a key evicted from the main queue
//! that returns as quickly argues the other way, so the target shrinks by
//! one (such a key re-enters through the small queue: sending it straight
//! back to the main queue, as ARC does, lets the main queue churn on traces
//! whose reuse distances exceed the capacity). The target starts at 5 % of
//! the capacity and stays between 1 % and 50 %; `young` is 5 % of it.
//!
//! A hit only increments the entry's counter, and only while it is below its
//! maximum (see [`Links::touch`]): hits run under a shared lock and hot
//! entries do not write at all. Queue order, promotion and the ghost change
//! only under the shard's write lock, on insertion.
//!
//! Entries live in a slab owned by the shard; queues link them by `u32` slab
//! index, so the policy costs eight bytes per entry plus the ghost.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::shard::ghost::{Ghost, Returned};

/// Index meaning "no entry": the end of a queue.
pub(crate) const NIL: u32 = (1 << 30) - 1;
/// Largest number of entries in one shard (indices use 30 bits).
pub(crate) const MAX_ENTRIES: usize = NIL as usize;

const INDEX: u32 = NIL;
const TAG_SHIFT: u32 = 30;
/// Largest hit count; a hit on an entry at this count writes nothing.
const MAX_HITS: u32 = 3;

/// Which queue an entry is in (the top two bits of [`Links::next`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
enum Queue {
    /// Not linked: the shard is unbounded.
    None = 0,
    Small = 1,
    Main = 2,
}

/// The links of one entry: eight bytes.
///
/// `next` holds the index of the next-older entry and the queue; `prev_hits`
/// the index of the next-newer entry and the hit count. Readers (under the
/// shard's shared lock) only ever change the hit count, with a plain
/// load/store of the whole word; writers hold the lock exclusively, so the
/// index bits a reader writes back are always current.
pub(crate) struct Links {
    next: u32,
    prev_hits: AtomicU32,
}

impl Links {
    pub(crate) fn unlinked() -> Self {
        Links {
            next: NIL,
            prev_hits: AtomicU32::new(NIL),
        }
    }

    /// Counts a hit: writes only when the counter is below its maximum.
    #[inline]
    pub(crate) fn touch(&self) {
        let word = self.prev_hits.load(Ordering::Relaxed);
        if word >> TAG_SHIFT < MAX_HITS {
            // A lost increment from a racing reader only undercounts a hit.
            self.prev_hits
                .store(word + (1 << TAG_SHIFT), Ordering::Relaxed);
        }
    }

    fn next(&self) -> u32 {
        self.next & INDEX
    }

    fn queue(&self) -> Queue {
        match self.next >> TAG_SHIFT {
            1 => Queue::Small,
            2 => Queue::Main,
            _ => Queue::None,
        }
    }

    fn set_next(&mut self, next: u32, queue: Queue) {
        self.next = next | (queue as u32) << TAG_SHIFT;
    }

    fn prev(&mut self) -> u32 {
        *self.prev_hits.get_mut() & INDEX
    }

    fn set_prev(&mut self, prev: u32) {
        let word = self.prev_hits.get_mut();
        *word = (*word & !INDEX) | prev;
    }

    fn hits(&mut self) -> u32 {
        *self.prev_hits.get_mut() >> TAG_SHIFT
    }

    fn set_hits(&mut self, hits: u32) {
        let word = self.prev_hits.get_mut();
        *word = (*word & INDEX) | hits << TAG_SHIFT;
    }
}

/// Something stored in the slab with [`Links`]: the shard's entries.
pub(crate) trait Linked {
    fn links(&mut self) -> &mut Links;
}

/// Why an entry was chosen to leave.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Victim {
    /// Its deadline passed: it goes first, and is not remembered.
    Expired(u32),
    /// Evicted to make room.
    Evicted(u32),
}

/// Head (newest), tail (oldest) and length of one FIFO queue.
#[derive(Clone, Copy)]
struct Fifo {
    head: u32,
    tail: u32,
    len: usize,
}

impl Fifo {
    const EMPTY: Fifo = Fifo {
        head: NIL,
        tail: NIL,
        len: 0,
    };
}

/// The eviction state of one bounded shard.
pub(crate) struct Policy {
    capacity: usize,
    small: Fifo,
    main: Fifo,
    /// Wanted length of the small queue; adapts between its bounds.
    small_target: usize,
    small_min: usize,
    small_max: usize,
    /// Remembers keys evicted recently; allocated at the first eviction.
    ghost: Option<Ghost>,
}

impl Policy {
    pub(crate) fn new(capacity: usize) -> Self {
        Policy {
            capacity,
            small: Fifo::EMPTY,
            main: Fifo::EMPTY,
            small_target: (capacity / 20).max(1),
            small_min: (capacity / 100).max(1),
            small_max: (capacity / 2).max(1),
            ghost: None,
        }
    }

    /// The wanted length of the small queue (for tests and reports).
    #[cfg(test)]
    pub(crate) fn small_target(&self) -> usize {
        self.small_target
    }

    fn fifo(&mut self, queue: Queue) -> &mut Fifo {
        match queue {
            Queue::Small => &mut self.small,
            _ => &mut self.main,
        }
    }

    /// Links a new entry: into the main queue if the ghost remembers its
    /// key as evicted from the small queue, else into the small queue.
    /// Adapts the small queue's target on a quick return. `hash` is the
    /// key's fixed-seed policy hash, so that eviction is deterministic.
    pub(crate) fn admit<E: Linked>(&mut self, slots: &mut [E], index: u32, hash: u64) {
        let returned = self.ghost.as_mut().and_then(|g| g.take(hash));
        let queue = match returned {
            Some(Returned::Small { young }) => {
                if young {
                    self.small_target = (self.small_target + 1).min(self.small_max);
                }
                Queue::Main
            }
            Some(Returned::Main { young }) => {
                if young {
                    self.small_target = self.small_target.saturating_sub(1).max(self.small_min);
                }
                Queue::Small
            }
            None => Queue::Small,
        };
        self.push_head(slots, index, queue);
    }

    /// Picks the entry to remove to make room; it stays linked (the shard
    /// removes it with [`Policy::unlink`]). `dead` tells expired entries,
    /// which are taken as soon as the hand meets them. Returns `None` only
    /// when no entry is linked.
    pub(crate) fn victim<E: Linked>(
        &mut self,
        slots: &mut [E],
        dead: impl Fn(u32) -> bool,
    ) -> Option<Victim> {
        if self.small.len >= self.small_target || self.main.len == 0 {
            if let Some(victim) = self.evict_small(slots, &dead) {
                return Some(victim);
            }
        }
        self.evict_main(slots, &dead)
    }

    /// Records an evicted key (not an expired one) in the ghost, by its
    /// fixed-seed policy hash (as [`Policy::admit`] takes it).
    pub(crate) fn remember<E: Linked>(&mut self, slots: &mut [E], index: u32, hash: u64) {
        let from_small = slots[index as usize].links().queue() == Queue::Small;
        let capacity = self.capacity;
        self.ghost
            .get_or_insert_with(|| Ghost::new(capacity))
            .insert(hash, from_small);
    }

    /// The small queue's oldest entry: promoted to the main queue if it was
    /// hit, else the victim.
    fn evict_small<E: Linked>(
        &mut self,
        slots: &mut [E],
        dead: &impl Fn(u32) -> bool,
    ) -> Option<Victim> {
        loop {
            let oldest = self.small.tail;
            if oldest == NIL {
                return None;
            }
            if dead(oldest) {
                return Some(Victim::Expired(oldest));
            }
            let links = slots[oldest as usize].links();
            if links.hits() == 0 {
                return Some(Victim::Evicted(oldest));
            }
            links.set_hits(0);
            self.unlink(slots, oldest);
            self.push_head(slots, oldest, Queue::Main);
        }
    }

    /// The main queue's CLOCK hand: an entry with hits left goes round again
    /// with one hit fewer; the first without is the victim.
    fn evict_main<E: Linked>(
        &mut self,
        slots: &mut [E],
        dead: &impl Fn(u32) -> bool,
    ) -> Option<Victim> {
        loop {
            let oldest = self.main.tail;
            if oldest == NIL {
                return None;
            }
            if dead(oldest) {
                return Some(Victim::Expired(oldest));
            }
            let links = slots[oldest as usize].links();
            let hits = links.hits();
            if hits == 0 {
                return Some(Victim::Evicted(oldest));
            }
            links.set_hits(hits - 1);
            self.unlink(slots, oldest);
            self.push_head(slots, oldest, Queue::Main);
        }
    }

    fn push_head<E: Linked>(&mut self, slots: &mut [E], index: u32, queue: Queue) {
        let fifo = *self.fifo(queue);
        {
            let links = slots[index as usize].links();
            links.set_next(fifo.head, queue);
            links.set_prev(NIL);
        }
        if fifo.head != NIL {
            slots[fifo.head as usize].links().set_prev(index);
        }
        let fifo = self.fifo(queue);
        if fifo.tail == NIL {
            fifo.tail = index;
        }
        fifo.head = index;
        fifo.len += 1;
    }

    /// Takes an entry out of its queue (no-op for an unlinked entry).
    pub(crate) fn unlink<E: Linked>(&mut self, slots: &mut [E], index: u32) {
        let links = slots[index as usize].links();
        let queue = links.queue();
        if queue == Queue::None {
            return;
        }
        let (prev, next) = (links.prev(), links.next());
        links.set_next(NIL, Queue::None);
        links.set_prev(NIL);
        if prev != NIL {
            let newer = slots[prev as usize].links();
            newer.set_next(next, queue);
        } else {
            self.fifo(queue).head = next;
        }
        if next != NIL {
            slots[next as usize].links().set_prev(prev);
        } else {
            self.fifo(queue).tail = prev;
        }
        self.fifo(queue).len -= 1;
    }

    /// The entry at `from` now lives at `to` (the slab moved it to fill a
    /// hole): points its neighbours and its queue at the new place.
    pub(crate) fn moved<E: Linked>(&mut self, slots: &mut [E], from: u32, to: u32) {
        let links = slots[to as usize].links();
        let queue = links.queue();
        if queue == Queue::None {
            return;
        }
        let (prev, next) = (links.prev(), links.next());
        if prev != NIL {
            slots[prev as usize].links().set_next(to, queue);
        } else {
            debug_assert_eq!(self.fifo(queue).head, from);
            self.fifo(queue).head = to;
        }
        if next != NIL {
            slots[next as usize].links().set_prev(to);
        } else {
            debug_assert_eq!(self.fifo(queue).tail, from);
            self.fifo(queue).tail = to;
        }
    }

    /// Forgets every entry and every ghost.
    pub(crate) fn clear(&mut self) {
        *self = Policy::new(self.capacity);
    }
}

#[cfg(test)]
impl Policy {
    /// The indices linked in the small and main queues, oldest first;
    /// panics if a link, a queue tag or a length is inconsistent.
    pub(crate) fn walk<E: Linked>(&self, slots: &mut [E]) -> Vec<u32> {
        let mut all = Vec::new();
        for (fifo, queue) in [(self.small, Queue::Small), (self.main, Queue::Main)] {
            let mut older = NIL;
            let mut at = fifo.tail;
            while at != NIL {
                let links = slots[at as usize].links();
                assert_eq!(links.queue(), queue);
                assert_eq!(links.next(), older, "next points to the older neighbour");
                all.push(at);
                older = at;
                at = links.prev();
            }
            assert_eq!(older, fifo.head);
        }
        assert_eq!(all.len(), self.small.len + self.main.len);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Slot(Links);

    impl Linked for Slot {
        fn links(&mut self) -> &mut Links {
            &mut self.0
        }
    }

    fn hash(i: u32) -> u64 {
        let h = u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ h >> 29
    }

    /// A policy of this capacity holding entries `0..capacity`, oldest first.
    fn full(capacity: u32) -> (Policy, Vec<Slot>) {
        let mut policy = Policy::new(capacity as usize);
        let mut slots: Vec<Slot> = (0..capacity).map(|_| Slot(Links::unlinked())).collect();
        for i in 0..capacity {
            policy.admit(&mut slots, i, hash(i));
        }
        (policy, slots)
    }

    /// Evicts `victim`'s key and readmits it in the same slot.
    fn evict_and_return(policy: &mut Policy, slots: &mut [Slot], victim: Victim) -> u32 {
        let Victim::Evicted(i) = victim else {
            panic!("{victim:?}")
        };
        policy.remember(slots, i, hash(i));
        policy.unlink(slots, i);
        policy.admit(slots, i, hash(i));
        i
    }

    #[test]
    fn quick_returns_adapt_the_small_queue() {
        let (mut policy, mut slots) = full(10); // target 1, between 1 and 5
        slots[0].0.touch();
        let victim = policy.victim(&mut slots, |_| false).unwrap();
        assert_eq!(victim, Victim::Evicted(1), "0 was hit: promoted");
        let i = evict_and_return(&mut policy, &mut slots, victim);
        assert_eq!(slots[i as usize].0.queue(), Queue::Main);
        assert_eq!(
            policy.small_target(),
            2,
            "back from the small queue at once"
        );

        let victim = policy.evict_main(&mut slots, &|_| false).unwrap();
        assert_eq!(victim, Victim::Evicted(0));
        let i = evict_and_return(&mut policy, &mut slots, victim);
        assert_eq!(slots[i as usize].0.queue(), Queue::Small);
        assert_eq!(policy.small_target(), 1, "back from the main queue at once");
    }

    #[test]
    fn the_main_queue_gives_hit_entries_another_round() {
        let (mut policy, mut slots) = full(4);
        for slot in &slots {
            slot.0.touch();
        }
        // All four are promoted (their counts start again at zero), then the
        // main queue's hand takes the oldest.
        assert_eq!(
            policy.victim(&mut slots, |_| false),
            Some(Victim::Evicted(0))
        );
        policy.unlink(&mut slots, 0);
        slots[1].0.touch();
        assert_eq!(
            policy.victim(&mut slots, |_| false),
            Some(Victim::Evicted(2))
        );
        policy.unlink(&mut slots, 2);
        // Main queue, oldest first: 3, 1. An expired entry goes when met.
        assert_eq!(
            policy.victim(&mut slots, |i| i == 3),
            Some(Victim::Expired(3))
        );
    }

    #[test]
    fn moving_an_entry_keeps_the_queues_linked() {
        let (mut policy, mut slots) = full(4);
        // The slab moves 3 into the hole left by 1, as the shard does.
        policy.unlink(&mut slots, 1);
        slots.swap(1, 3);
        slots.pop();
        policy.moved(&mut slots, 3, 1);
        let mut order = Vec::new();
        while let Some(Victim::Evicted(i)) = policy.victim(&mut slots, |_| false) {
            order.push(i);
            policy.unlink(&mut slots, i);
        }
        assert_eq!(order, [0, 2, 1]);
    }
}
