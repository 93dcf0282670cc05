//! The error policy of a tier: a call never fails because its store did.
//!
//! Each failure is counted (in the function's [`Stats::tier_errors`]) and
//! logged once per function and kind with the `log` crate, so an outage
//! does not flood the log. After [`TRIP_AFTER`] failures of the store in a
//! row the tier is skipped for [`COOL_DOWN`], so a broken store costs no
//! time per call; after the cool-down the next call tries it again, and a
//! success closes the breaker. A value that does not decode is the entry's
//! fault, not the store's: it is counted and logged but does not trip it.
//!
//! [`Stats::tier_errors`]: crate::Stats::tier_errors

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::tier::store::{TierError, TierErrorKind};

/// Failures of the store in a row that open the breaker.
pub const TRIP_AFTER: u32 = 5;
/// How long an open breaker skips the tier, unless its store says
/// otherwise ([`Store::cool_down`](crate::Store::cool_down)).
pub const COOL_DOWN: Duration = Duration::from_secs(30);

/// One function's view of its tier's health.
pub(crate) struct Health {
    logged: [AtomicBool; TierErrorKind::ALL.len()],
    in_a_row: AtomicU32,
    /// Monotonic nanoseconds (the cache's clock) until which the tier is
    /// skipped; 0 when closed.
    open_until: AtomicU64,
}

impl Health {
    pub(crate) fn new() -> Health {
        Health {
            logged: Default::default(),
            in_a_row: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
        }
    }

    /// Whether the tier may be used at `now`.
    pub(crate) fn allows(&self, now: u64) -> bool {
        now >= self.open_until.load(Ordering::Relaxed)
    }

    /// The store answered.
    pub(crate) fn succeeded(&self) {
        if self.in_a_row.load(Ordering::Relaxed) != 0 {
            self.in_a_row.store(0, Ordering::Relaxed);
        }
    }

    /// Records `error` of the tier of `function` at `now`: logs it if it is
    /// the first of its kind, and opens the breaker for `cool_down` after
    /// enough in a row.
    pub(crate) fn failed(
        &self,
        error: &TierError,
        (backend, function): (&str, &str),
        now: u64,
        cool_down: Duration,
    ) {
        if !self.logged[error.kind.index()].swap(true, Ordering::Relaxed) {
            log::warn!(
                "memokit: the {backend} tier of `{function}`: {error}; the call goes on without it \
                 (logged once per kind of failure; counted in its `tier_errors`)"
            );
        }
        if error.kind == TierErrorKind::Codec {
            return;
        }
        if self.in_a_row.fetch_add(1, Ordering::Relaxed) + 1 >= TRIP_AFTER {
            self.in_a_row.store(0, Ordering::Relaxed);
            let until = now.saturating_add(crate::time::clock::duration_nanos(cool_down));
            self.open_until.store(until.max(1), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: TierErrorKind) -> TierError {
        TierError::new(kind, "test")
    }

    #[test]
    fn repeated_failures_skip_the_tier_for_a_cool_down_then_try_again() {
        let health = Health::new();
        let cool = crate::time::clock::duration_nanos(COOL_DOWN);
        for _ in 0..TRIP_AFTER - 1 {
            health.failed(&error(TierErrorKind::Read), ("disk", "f"), 100, COOL_DOWN);
        }
        assert!(health.allows(100), "not yet");
        health.failed(&error(TierErrorKind::Read), ("disk", "f"), 100, COOL_DOWN);
        assert!(!health.allows(100));
        assert!(!health.allows(100 + cool - 1));
        assert!(health.allows(100 + cool), "tried again after the cool-down");
    }

    #[test]
    fn a_success_resets_the_count_and_decode_errors_do_not_trip() {
        let health = Health::new();
        for _ in 0..10 {
            for _ in 0..TRIP_AFTER - 1 {
                health.failed(&error(TierErrorKind::Write), ("disk", "f"), 0, COOL_DOWN);
            }
            health.succeeded();
            health.failed(&error(TierErrorKind::Codec), ("disk", "f"), 0, COOL_DOWN);
        }
        assert!(health.allows(0));
    }
}
