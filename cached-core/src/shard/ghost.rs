//! The keys a bounded shard evicted recently, remembered by hash only.
//!
//! A fixed table of 8-slot buckets holds one `u32` per remembered key: a
//! 20-bit fingerprint of its hash, which queue evicted it, and when (in
//! units of about 1/256 of the capacity of evictions from that queue). An
//! entry is forgotten once its queue has evicted `horizon` more keys, or when
//! its bucket needs the slot for a fresher key. Nothing is allocated per
//! key: the table has about 2.4 slots per entry of capacity, about 10 bytes.

/// Slots per bucket (one bucket is half a cache line).
const WAYS: usize = 8;
/// Buckets per ten entries of capacity: a load of about 0.5 at the usual
/// ghost population (1.2 + 0.05 times the capacity), so few keys are
/// forgotten before their horizon.
const BUCKETS_PER_TEN: usize = 3;
/// Epochs per capacity: the resolution of ages.
const EPOCHS_PER_CAPACITY: usize = 256;

const VALID: u32 = 1 << 31;
const FROM_MAIN: u32 = 1 << 30;
const EPOCH_SHIFT: u32 = 20;
/// Epochs wrap at 1,024 (four capacities of evictions); the cleaning cursor
/// clears every forgotten slot long before its epoch could look recent again.
const EPOCH_MASK: u32 = (1 << 10) - 1;
const FINGERPRINT: u32 = (1 << 20) - 1;
/// Where the fingerprint is taken from the hash: above the bits that choose
/// the shard (so they vary within one shard), below hashbrown's tag bits.
const FINGERPRINT_SHIFT: u32 = 38;

/// A remembered key that came back: which queue evicted it, and whether it
/// came back within the last `young` evictions of that queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Returned {
    Small { young: bool },
    Main { young: bool },
}

pub(crate) struct Ghost {
    buckets: Box<[[u32; WAYS]]>,
    /// Keys remembered so far, per evicting queue (small, main).
    evictions: [u64; 2],
    /// Evictions per epoch.
    unit: u64,
    /// For how many epochs of its queue's evictions a key is remembered:
    /// 1.2 capacities for the small queue (measured best on the traces
    /// between 0.9 and 1.5), only the young window for the main queue, whose
    /// ghosts serve the adaptation alone.
    horizon: [u32; 2],
    /// A return within this many epochs is "young".
    young: u32,
    /// The bucket whose forgotten slots the next insertion clears.
    cursor: usize,
}

impl Ghost {
    pub(crate) fn new(capacity: usize) -> Self {
        let unit = (capacity / EPOCHS_PER_CAPACITY).max(1) as u64;
        let epochs = |evictions: usize| (evictions as u64).div_ceil(unit).max(1) as u32;
        let young = epochs(capacity / 20);
        let buckets = (capacity * BUCKETS_PER_TEN).div_ceil(10).max(1);
        Ghost {
            buckets: vec![[0; WAYS]; buckets].into_boxed_slice(),
            evictions: [0; 2],
            unit,
            horizon: [epochs(capacity * 12 / 10), young],
            young,
            cursor: 0,
        }
    }

    fn bucket(&self, hash: u64) -> usize {
        // Fast range reduction of the low half of the hash.
        (((hash & 0xFFFF_FFFF) * self.buckets.len() as u64) >> 32) as usize
    }

    fn fingerprint(hash: u64) -> u32 {
        (hash >> FINGERPRINT_SHIFT) as u32 & FINGERPRINT
    }

    fn epoch(&self, queue: usize) -> u32 {
        (self.evictions[queue] / self.unit) as u32 & EPOCH_MASK
    }

    /// Epochs of its queue's evictions since `slot` was remembered, if it
    /// still is.
    fn age(&self, slot: u32) -> Option<u32> {
        if slot & VALID == 0 {
            return None;
        }
        let queue = usize::from(slot & FROM_MAIN != 0);
        let age = self.epoch(queue).wrapping_sub(slot >> EPOCH_SHIFT) & EPOCH_MASK;
        (age < self.horizon[queue]).then_some(age)
    }

    fn remaining(&self, slot: u32) -> u32 {
        let queue = usize::from(slot & FROM_MAIN != 0);
        self.age(slot).map_or(0, |age| self.horizon[queue] - age)
    }

    /// Remembers a key evicted from the small queue (`from_small`) or the
    /// main queue.
    pub(crate) fn insert(&mut self, hash: u64, from_small: bool) {
        self.clear_forgotten();
        let queue = usize::from(!from_small);
        self.evictions[queue] += 1;
        let fingerprint = Self::fingerprint(hash);
        let slot = VALID
            | if from_small { 0 } else { FROM_MAIN }
            | (self.epoch(queue) & EPOCH_MASK) << EPOCH_SHIFT
            | fingerprint;
        let b = self.bucket(hash);
        let bucket = &self.buckets[b];
        let way = bucket
            .iter()
            .position(|&s| s & VALID != 0 && s & FINGERPRINT == fingerprint)
            .unwrap_or_else(|| {
                (0..WAYS)
                    .min_by_key(|&w| self.remaining(bucket[w]))
                    .unwrap_or(0)
            });
        self.buckets[b][way] = slot;
    }

    /// Forgets the key and tells where it was evicted from, if remembered.
    pub(crate) fn take(&mut self, hash: u64) -> Option<Returned> {
        let fingerprint = Self::fingerprint(hash);
        let b = self.bucket(hash);
        for way in 0..WAYS {
            let slot = self.buckets[b][way];
            if slot & FINGERPRINT != fingerprint {
                continue;
            }
            let Some(age) = self.age(slot) else {
                continue;
            };
            self.buckets[b][way] = 0;
            let young = age < self.young;
            return Some(if slot & FROM_MAIN == 0 {
                Returned::Small { young }
            } else {
                Returned::Main { young }
            });
        }
        None
    }

    /// Clears the forgotten slots of one bucket, round robin, so that no slot
    /// lives long enough for its epoch to wrap around.
    fn clear_forgotten(&mut self) {
        let c = self.cursor;
        for way in 0..WAYS {
            if self.age(self.buckets[c][way]).is_none() {
                self.buckets[c][way] = 0;
            }
        }
        self.cursor = (c + 1) % self.buckets.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(i: u64) -> u64 {
        let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^ h >> 29
    }

    #[test]
    fn remembers_and_forgets_once_taken() {
        let mut g = Ghost::new(200);
        g.insert(hash(1), true);
        g.insert(hash(2), false);
        assert_eq!(g.take(hash(1)), Some(Returned::Small { young: true }));
        assert_eq!(g.take(hash(1)), None);
        assert_eq!(g.take(hash(2)), Some(Returned::Main { young: true }));
        assert_eq!(g.take(hash(3)), None);
    }

    #[test]
    fn ages_by_evictions_of_its_own_queue() {
        // Capacity 200: ages in single evictions; young below 10; horizons
        // 240 (small) and 10 (main).
        let mut g = Ghost::new(200);
        g.insert(hash(1), true);
        for i in 10..20 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(1)), Some(Returned::Small { young: false }));
        g.insert(hash(2), false);
        for i in 100..200 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(2)), Some(Returned::Main { young: true }));
        g.insert(hash(3), false);
        for i in 200..210 {
            g.insert(hash(i), false);
        }
        assert_eq!(g.take(hash(3)), None, "past the main queue's horizon");
    }

    #[test]
    fn forgets_past_the_horizon() {
        let mut g = Ghost::new(200);
        g.insert(hash(1), true);
        g.insert(hash(2), true);
        for i in 1000..1100 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(1)), Some(Returned::Small { young: false }));
        for i in 1100..1240 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(2)), None);
    }
}
