//! Reference policies, simulated exactly: LRU, and ARC as published
//! (N. Megiddo and D. S. Modha, "ARC: A Self-Tuning, Low Overhead
//! Replacement Cache", USENIX FAST '03). Both reproduce the paper's OLTP
//! table (see `../shared/traces/README.md`).

use std::collections::HashMap;

/// A cache simulation: `access` returns whether the key was a hit.
pub trait Policy {
    fn access(&mut self, key: u64) -> bool;
}

/// Hit ratio (percent) of a policy over a sequence of keys.
pub fn hit_ratio(policy: &mut dyn Policy, keys: &[u64]) -> f64 {
    let hits = keys.iter().filter(|&&k| policy.access(k)).count();
    100.0 * hits as f64 / keys.len() as f64
}

const NIL: u32 = u32::MAX;

/// Doubly linked lists over one arena of nodes; index `NIL` ends a list.
#[derive(Default)]
struct Lists {
    key: Vec<u64>,
    prev: Vec<u32>,
    next: Vec<u32>,
    list: Vec<u8>,
    free: Vec<u32>,
    /// Per list: (most recent, least recent, length).
    ends: Vec<(u32, u32, usize)>,
}

impl Lists {
    fn new(lists: usize) -> Self {
        Lists {
            ends: vec![(NIL, NIL, 0); lists],
            ..Lists::default()
        }
    }

    fn alloc(&mut self, key: u64) -> u32 {
        if let Some(i) = self.free.pop() {
            self.key[i as usize] = key;
            return i;
        }
        self.key.push(key);
        self.prev.push(NIL);
        self.next.push(NIL);
        self.list.push(0);
        (self.key.len() - 1) as u32
    }

    fn len(&self, list: u8) -> usize {
        self.ends[list as usize].2
    }

    fn push_front(&mut self, list: u8, i: u32) {
        let (head, tail, len) = self.ends[list as usize];
        self.prev[i as usize] = NIL;
        self.next[i as usize] = head;
        self.list[i as usize] = list;
        if head != NIL {
            self.prev[head as usize] = i;
        }
        let tail = if tail == NIL { i } else { tail };
        self.ends[list as usize] = (i, tail, len + 1);
    }

    fn unlink(&mut self, i: u32) {
        let list = self.list[i as usize] as usize;
        let (p, n) = (self.prev[i as usize], self.next[i as usize]);
        if p != NIL {
            self.next[p as usize] = n;
        } else {
            self.ends[list].0 = n;
        }
        if n != NIL {
            self.prev[n as usize] = p;
        } else {
            self.ends[list].1 = p;
        }
        self.ends[list].2 -= 1;
    }

    /// Unlinks and returns the least recent node of `list`.
    fn pop_back(&mut self, list: u8) -> u32 {
        let tail = self.ends[list as usize].1;
        self.unlink(tail);
        tail
    }
}

/// Least recently used.
pub struct Lru {
    capacity: usize,
    map: HashMap<u64, u32>,
    lists: Lists,
}

impl Lru {
    pub fn new(capacity: usize) -> Self {
        Lru {
            capacity,
            map: HashMap::new(),
            lists: Lists::new(1),
        }
    }
}

impl Policy for Lru {
    fn access(&mut self, key: u64) -> bool {
        if let Some(&i) = self.map.get(&key) {
            self.lists.unlink(i);
            self.lists.push_front(0, i);
            return true;
        }
        if self.map.len() >= self.capacity {
            let victim = self.lists.pop_back(0);
            self.map.remove(&self.lists.key[victim as usize]);
            self.lists.free.push(victim);
        }
        let i = self.lists.alloc(key);
        self.lists.push_front(0, i);
        self.map.insert(key, i);
        false
    }
}

const T1: u8 = 0;
const T2: u8 = 1;
const B1: u8 = 2;
const B2: u8 = 3;

/// Adaptive Replacement Cache, following the paper's pseudo-code: resident
/// lists T1 (seen once recently) and T2 (seen at least twice), ghost lists
/// B1 and B2, and the adaptive target size `p` of T1.
pub struct Arc {
    c: usize,
    p: f64,
    map: HashMap<u64, u32>,
    lists: Lists,
}

impl Arc {
    pub fn new(capacity: usize) -> Self {
        Arc {
            c: capacity,
            p: 0.0,
            map: HashMap::new(),
            lists: Lists::new(4),
        }
    }

    fn replace(&mut self, hit_in_b2: bool) {
        let t1 = self.lists.len(T1) as f64;
        let from_t1 = t1 >= 1.0 && ((hit_in_b2 && t1 == self.p) || t1 > self.p);
        let (from, to) = if from_t1 { (T1, B1) } else { (T2, B2) };
        let victim = self.lists.pop_back(from);
        self.lists.push_front(to, victim);
    }

    fn forget_oldest(&mut self, list: u8) {
        let victim = self.lists.pop_back(list);
        self.map.remove(&self.lists.key[victim as usize]);
        self.lists.free.push(victim);
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if a >= b {
            1.0
        } else {
            b as f64 / a as f64
        }
    }
}

impl Policy for Arc {
    fn access(&mut self, key: u64) -> bool {
        let c = self.c;
        if let Some(&i) = self.map.get(&key) {
            let list = self.lists.list[i as usize];
            match list {
                B1 => {
                    let delta = Self::ratio(self.lists.len(B1), self.lists.len(B2));
                    self.p = (self.p + delta).min(c as f64);
                    self.replace(false);
                }
                B2 => {
                    let delta = Self::ratio(self.lists.len(B2), self.lists.len(B1));
                    self.p = (self.p - delta).max(0.0);
                    self.replace(true);
                }
                _ => {}
            }
            self.lists.unlink(i);
            self.lists.push_front(T2, i);
            return list == T1 || list == T2;
        }
        let l1 = self.lists.len(T1) + self.lists.len(B1);
        let total = l1 + self.lists.len(T2) + self.lists.len(B2);
        if l1 == c {
            if self.lists.len(T1) < c {
                self.forget_oldest(B1);
                self.replace(false);
            } else {
                self.forget_oldest(T1);
            }
        } else if total >= c {
            if total == 2 * c {
                self.forget_oldest(B2);
            }
            self.replace(false);
        }
        let i = self.lists.alloc(key);
        self.lists.push_front(T1, i);
        self.map.insert(key, i);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_evicts_the_least_recent() {
        let mut lru = Lru::new(2);
        let hits: Vec<bool> = [1, 2, 1, 3, 1, 2].iter().map(|&k| lru.access(k)).collect();
        assert_eq!(hits, [false, false, true, false, true, false]);
    }

    #[test]
    fn arc_keeps_the_frequent_through_a_scan() {
        let mut arc = Arc::new(4);
        for _ in 0..3 {
            for k in [1, 2] {
                arc.access(k);
            }
        }
        for k in 100..110 {
            arc.access(k);
        }
        assert!(arc.access(1) && arc.access(2));
    }
}
