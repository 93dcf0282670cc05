//! The functions every benchmark caches, memokit's and `cached` 4.1's
//! versions of each, shared by `benches/hits.rs` and the `instructions` bin.

use std::hint::black_box;

/// The function every contestant caches: cheap, and opaque to the optimiser.
#[inline(never)]
pub fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7
}

#[inline(never)]
pub fn work_str(s: &str) -> u64 {
    black_box(s.len() as u64) * 3
}

/// memokit's contestants.
pub mod mk {
    use super::{work, work_str};
    use memokit::cached;

    #[cached]
    pub fn no_arg() -> u64 {
        work(42)
    }

    #[cached]
    pub fn keyed(x: u64) -> u64 {
        work(x)
    }

    #[cached(ttl = "1h")]
    pub fn ttl(x: u64) -> u64 {
        work(x)
    }

    /// [`ttl`] with refresh-ahead: hits before `refresh` cost what TTL
    /// hits cost.
    #[cached(ttl = "1h", refresh = "50m")]
    pub fn refresh(x: u64) -> u64 {
        work(x)
    }

    #[cached(capacity = 10_000)]
    pub fn bounded(x: u64) -> u64 {
        work(x)
    }

    #[cached]
    pub fn by_str(s: &str) -> u64 {
        work_str(s)
    }

    #[cached]
    pub fn miss(x: u64) -> u64 {
        work(x)
    }

    /// `keyed` with a disk tier: its memory hit must cost what `keyed`'s does.
    #[cfg(feature = "tiers")]
    #[cached(disk)]
    pub fn keyed_disk(x: u64) -> u64 {
        work(x)
    }
}

/// `cached` 4.1's contestants.
pub mod peer {
    use super::{work, work_str};
    use cached::proc_macro::{cached, once};

    #[once]
    pub fn no_arg() -> u64 {
        work(42)
    }

    #[cached]
    pub fn keyed(x: u64) -> u64 {
        work(x)
    }

    #[cached(ttl_secs = 3600)]
    pub fn ttl(x: u64) -> u64 {
        work(x)
    }

    #[cached(max_size = 10_000)]
    pub fn bounded(x: u64) -> u64 {
        work(x)
    }

    #[cached]
    pub fn by_str(s: &str) -> u64 {
        work_str(s)
    }

    #[cached]
    pub fn miss(x: u64) -> u64 {
        work(x)
    }

    /// With `cached`'s single-flight: concurrent misses of one key compute
    /// once (a lock per key bucket, held across the computation).
    #[cached(sync_writes = "by_key")]
    pub fn miss_single_flight(x: u64) -> u64 {
        work(x)
    }
}
