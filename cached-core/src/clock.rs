//! Time for TTL caches: monotonic, and cheap on a hit.
//!
//! A hit must not call the OS clock every time. A background thread stores a
//! coarse reading every millisecond; a hit compares it against the entry's
//! absolute deadline and reads the precise clock only in the last
//! [`PRECISE_WINDOW`] of an entry's life, so an entry is never served past
//! its deadline even when the ticking thread lags by less than that window.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A source of monotonic time for TTL caches.
///
/// The system clock is the default; tests inject a [`ManualClock`] with
/// [`CacheRef::set_clock`](crate::CacheRef::set_clock) instead of sleeping.
pub trait Clock: Send + Sync + 'static {
    /// Time elapsed since an arbitrary, fixed origin. Must never go backwards.
    fn now(&self) -> Duration;
}

/// A clock that moves only when told to: deterministic TTL tests.
///
/// ```
/// use memokit::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now(), Duration::from_secs(2));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock standing at zero.
    pub fn new() -> Arc<Self> {
        Arc::new(ManualClock::default())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(duration_nanos(by), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// How close to its deadline an entry is checked against the precise clock.
pub const PRECISE_WINDOW: Duration = Duration::from_millis(50);

const TICK: Duration = Duration::from_millis(1);

/// Nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// The process-wide coarse reading, in nanoseconds since [`origin`].
static COARSE: AtomicU64 = AtomicU64::new(0);
static TICKING: AtomicBool = AtomicBool::new(false);

/// The precise monotonic time, in nanoseconds since [`origin`].
pub(crate) fn precise_nanos() -> u64 {
    duration_nanos(origin().elapsed())
}

/// Starts the ticking thread once per process. Called when a TTL cache is
/// created, so permanent caches never start it.
pub(crate) fn start_ticking() {
    if TICKING.swap(true, Ordering::AcqRel) {
        return;
    }
    COARSE.store(precise_nanos(), Ordering::Relaxed);
    let spawned = std::thread::Builder::new()
        .name("memokit-clock".into())
        .spawn(|| {
            let mut last_sweep = Instant::now();
            loop {
                std::thread::sleep(TICK);
                COARSE.store(precise_nanos(), Ordering::Relaxed);
                if last_sweep.elapsed() >= crate::registry::SWEEP_EVERY {
                    crate::registry::sweep_expired();
                    last_sweep = Instant::now();
                }
            }
        });
    if spawned.is_err() {
        // Without the thread every check falls back to the precise clock.
        TICKING.store(false, Ordering::Release);
    }
}

/// The time source of one cache: the system clock, or an injected one.
pub(crate) struct TimeSource {
    custom: OnceLock<Arc<dyn Clock>>,
}

impl TimeSource {
    pub(crate) const fn system() -> Self {
        TimeSource {
            custom: OnceLock::new(),
        }
    }

    /// Installs `clock`; false if one was installed before.
    pub(crate) fn set(&self, clock: Arc<dyn Clock>) -> bool {
        self.custom.set(clock).is_ok()
    }

    /// The current time in nanoseconds, precise: used to stamp deadlines.
    pub(crate) fn now(&self) -> u64 {
        match self.custom.get() {
            Some(clock) => duration_nanos(clock.now()),
            None => precise_nanos(),
        }
    }

    /// Whether an entry with this deadline is still live.
    #[inline]
    pub(crate) fn is_before(&self, deadline: u64) -> bool {
        self.is_surely_before(deadline) || self.is_before_precisely(deadline)
    }

    /// Whether the coarse clock alone shows the deadline is ahead; false
    /// when it cannot tell (near the deadline, or a custom clock).
    #[inline]
    pub(crate) fn is_surely_before(&self, deadline: u64) -> bool {
        if self.custom.get().is_some() {
            return false;
        }
        let coarse = COARSE.load(Ordering::Relaxed);
        coarse != 0 && coarse.saturating_add(duration_nanos(PRECISE_WINDOW)) < deadline
    }

    /// Out of line: a hit far from its deadline needs no saved registers.
    #[inline(never)]
    fn is_before_precisely(&self, deadline: u64) -> bool {
        match self.custom.get() {
            Some(clock) => duration_nanos(clock.now()) < deadline,
            None => precise_nanos() < deadline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::new();
        assert_eq!(clock.now(), Duration::ZERO);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.now(), Duration::from_millis(1500));
    }

    #[test]
    fn system_source_never_serves_a_passed_deadline() {
        start_ticking();
        let source = TimeSource::system();
        let now = source.now();
        assert!(!source.is_before(now));
        assert!(source.is_before(now + duration_nanos(Duration::from_secs(3600))));
    }

    #[test]
    fn injected_clock_replaces_the_system_clock_once() {
        let source = TimeSource::system();
        let clock = ManualClock::new();
        assert!(source.set(clock.clone()));
        assert!(!source.set(ManualClock::new()));
        assert!(source.is_before(1));
        clock.advance(Duration::from_nanos(1));
        assert!(!source.is_before(1));
    }
}
