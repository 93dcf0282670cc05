//! Choosing what to evict when a bounded shard is full.
//!
//! CLOCK (second chance): entries queue in insertion order; a hit sets the
//! entry's `visited` bit (a write only when the bit changes); the hand evicts
//! the first unvisited entry and gives visited ones another round.

use std::collections::VecDeque;

use crate::storage::Entry;
use hashbrown::HashTable;

/// Insertion-ordered references to the entries of one shard.
#[derive(Default)]
pub(crate) struct ClockHand {
    /// `(hash, id)` of each entry; ids of removed entries are skipped lazily.
    queue: VecDeque<(u64, u64)>,
}

impl ClockHand {
    pub(crate) fn push(&mut self, hash: u64, id: u64) {
        self.queue.push_back((hash, id));
    }

    /// The `(hash, id)` of the entry to evict, or `None` if the table is empty.
    pub(crate) fn victim<K, V>(&mut self, table: &HashTable<Entry<K, V>>) -> Option<(u64, u64)> {
        while let Some((hash, id)) = self.queue.pop_front() {
            let Some(entry) = table.find(hash, |e| e.id == id) else {
                continue; // removed earlier by invalidate or expiry
            };
            if entry.take_visited() {
                self.queue.push_back((hash, id));
            } else {
                return Some((hash, id));
            }
        }
        None
    }

    /// Drops references to removed entries once they dominate the queue.
    pub(crate) fn compact<K, V>(&mut self, table: &HashTable<Entry<K, V>>) {
        if self.queue.len() > 2 * table.len() + 16 {
            self.queue
                .retain(|&(hash, id)| table.find(hash, |e| e.id == id).is_some());
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }
}
