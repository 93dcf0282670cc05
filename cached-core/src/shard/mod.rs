//! One shard of a cache: its entries (a slab, a hash index of slab
//! positions, deadlines), the computations in flight, the eviction policy
//! and its ghost, behind one lock with a lock-free read path.

pub(crate) mod eviction;
pub(crate) mod ghost;
pub(crate) mod lock;
pub(crate) mod storage;
