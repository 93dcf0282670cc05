//! The keys a bounded shard evicted recently, remembered by hash only.
//!
//! A fixed table of 4-slot buckets holds one `u64` per remembered key: a
//! 32-bit fingerprint of its hash, which queue evicted it, and the
//! insertion number at which it was remembered. An entry is forgotten once
//! its queue has evicted `horizon` more keys, or when its bucket needs the
//! slot for a fresher key. Nothing is allocated per key, and the table's
//! size is fixed by the capacity (about 10 bytes per cached entry).

/// Slots per bucket (one bucket is half a cache line).
const WAYS: usize = 4;
/// Buckets per ten entries of capacity: a load of about 0.8 at the usual
/// ghost population (0.9 + 0.05 times the capacity).
const BUCKETS_PER_TEN: usize = 3;

const VALID: u64 = 1 << 63;
const FROM_MAIN: u64 = 1 << 62;
const SEQ_SHIFT: u32 = 32;
const SEQ_MASK: u64 = (1 << 30) - 1;
const FINGERPRINT: u64 = 0xFFFF_FFFF;

/// A remembered key that came back: which queue evicted it, and whether it
/// came back within the last `young` evictions of that queue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Returned {
    Small { young: bool },
    Main { young: bool },
}

pub(crate) struct Ghost {
    buckets: Box<[[u64; WAYS]]>,
    /// Keys remembered so far, per evicting queue (small, main), modulo 2^30.
    seq: [u64; 2],
    /// How many later evictions of its queue a key is remembered for.
    horizon: [u64; 2],
    /// A return within this many evictions of its queue is "young".
    young: u64,
    /// The bucket whose forgotten slots the next insertion clears, so no
    /// slot outlives the 30-bit insertion numbers.
    cursor: usize,
}

impl Ghost {
    pub(crate) fn new(capacity: usize) -> Self {
        let young = (capacity as u64 / 20).max(1);
        let buckets = (capacity * BUCKETS_PER_TEN).div_ceil(10).max(1);
        Ghost {
            buckets: vec![[0; WAYS]; buckets].into_boxed_slice(),
            seq: [0; 2],
            horizon: [(capacity as u64 * 9 / 10).max(1), young],
            young,
            cursor: 0,
        }
    }

    fn bucket(&self, hash: u64) -> usize {
        // Fast range reduction of the low half; the fingerprint is the high half.
        (((hash & 0xFFFF_FFFF) * self.buckets.len() as u64) >> 32) as usize
    }

    /// Evictions of its queue since `slot` was remembered, if it still is.
    fn age(&self, slot: u64) -> Option<u64> {
        if slot & VALID == 0 {
            return None;
        }
        let queue = usize::from(slot & FROM_MAIN != 0);
        let age = self.seq[queue].wrapping_sub(slot >> SEQ_SHIFT) & SEQ_MASK;
        (age < self.horizon[queue]).then_some(age)
    }

    fn remaining(&self, slot: u64) -> u64 {
        let queue = usize::from(slot & FROM_MAIN != 0);
        self.age(slot).map_or(0, |age| self.horizon[queue] - age)
    }

    /// Remembers a key evicted from the small queue (`from_small`) or the
    /// main queue.
    pub(crate) fn insert(&mut self, hash: u64, from_small: bool) {
        self.clear_forgotten();
        let queue = usize::from(!from_small);
        self.seq[queue] = (self.seq[queue] + 1) & SEQ_MASK;
        let fingerprint = hash >> 32;
        let slot = VALID
            | if from_small { 0 } else { FROM_MAIN }
            | self.seq[queue] << SEQ_SHIFT
            | fingerprint;
        let b = self.bucket(hash);
        let same = self.buckets[b]
            .iter()
            .position(|&s| s & VALID != 0 && s & FINGERPRINT == fingerprint);
        let way = same.unwrap_or_else(|| {
            (0..WAYS)
                .min_by_key(|&w| self.remaining(self.buckets[b][w]))
                .unwrap_or(0)
        });
        self.buckets[b][way] = slot;
    }

    /// Forgets the key and tells where it was evicted from, if remembered.
    pub(crate) fn take(&mut self, hash: u64) -> Option<Returned> {
        let fingerprint = hash >> 32;
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
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[test]
    fn remembers_and_forgets_once_taken() {
        let mut g = Ghost::new(100);
        g.insert(hash(1), true);
        g.insert(hash(2), false);
        assert_eq!(g.take(hash(1)), Some(Returned::Small { young: true }));
        assert_eq!(g.take(hash(1)), None);
        assert_eq!(g.take(hash(2)), Some(Returned::Main { young: true }));
        assert_eq!(g.take(hash(3)), None);
    }

    #[test]
    fn ages_by_evictions_of_its_own_queue() {
        let mut g = Ghost::new(1000); // young: 50; horizons: 900 (small), 50 (main)
        g.insert(hash(1), true);
        for i in 10..60 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(1)), Some(Returned::Small { young: false }));
        g.insert(hash(2), false);
        for i in 100..200 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(2)), Some(Returned::Main { young: true }));
        g.insert(hash(3), false);
        for i in 200..250 {
            g.insert(hash(i), false);
        }
        assert_eq!(g.take(hash(3)), None, "past the main queue's horizon");
    }

    #[test]
    fn forgets_past_the_horizon() {
        let mut g = Ghost::new(1000);
        g.insert(hash(1), true);
        for i in 1000..1900 {
            g.insert(hash(i), true);
        }
        assert_eq!(g.take(hash(1)), None);
    }
}
