//! Time for TTL caches: monotonic, and cheap on a hit.
//!
//! A hit must not call the OS clock every time (`Instant::now()` is about
//! 23 ns on the 2-core AMD EPYC this was measured on, several times a whole
//! hit). A background thread ("memokit-clock") publishes a coarse reading
//! every millisecond; a hit compares it against the entry's absolute
//! deadline and reads the precise clock only in the last
//! [`PRECISE_WINDOW`] of an entry's life.
//!
//! That thread may not run for a long time (lowest priority with every CPU
//! busy, real-time work, a throttled container), and then the coarse reading
//! lags without bound. So a hit does not trust it on the thread's say-so: it
//! checks how old the reading is with a clock the thread does not maintain,
//! the CPU's time-stamp counter (see [`stopwatch`](crate::time::stopwatch)).
//!
//! - The thread reads the counter (fenced), then the precise time, and
//!   stores the time, then the counter reading with `Release`. A hit loads
//!   the counter reading with `Acquire`, then the time, so the time it sees
//!   was read no earlier than the counter reading it sees.
//! - From its own readings the thread measures a *lower* bound of the
//!   counter's rate in ticks per nanosecond of the precise clock (elapsed
//!   ticks over the largest elapsed nanoseconds the readings allow, in
//!   windows of at least [`CALIBRATE_OVER`]; two successive windows must
//!   agree within 1/64), halves it, and publishes how many ticks make
//!   [`PRECISE_WINDOW`] at that rate; zero until then.
//! - A hit reads the counter: if fewer ticks than that passed since the
//!   published reading, now is less than [`PRECISE_WINDOW`] after the
//!   published time, and a deadline beyond time + window is surely ahead.
//!   Otherwise (the thread lagged, the counter went backwards or runs on
//!   another base, or no rate is known yet) the hit reads the precise clock.
//!
//! The guarantee (an expired entry is never served) thus holds whether or
//! not the thread runs; a lagging thread costs hits a precise reading.
//! Halving the rate leaves room for the precise clock running up to twice as
//! fast as measured (NTP slews by 0.05 %).
//!
//! The counter is used only where it is trustworthy: x86-64 with an
//! invariant counter (CPUID), and on Linux only while the kernel's own
//! clocksource is `tsc` (read when the thread starts and once a second
//! after; the kernel switches away from a counter it finds unsynchronised
//! across cores). Elsewhere (other CPUs, no invariant counter, another
//! clocksource, Miri, loom) every TTL hit reads the precise clock:
//! correct, about 20 ns dearer.
//!
//! The guard costs a TTL hit one `rdtsc` and two loads from the same cache
//! line: 10 instructions for the clock check became 15, and a hit through
//! a function pointer went from 8.8 to about 13 ns on the machine above
//! (`rdtsc` is slow on it: 9.5 ns back to back).
//!
//! Why the counter and not `clock_gettime(CLOCK_MONOTONIC_COARSE)`, also
//! kept by the kernel rather than by this thread (4.4 ns back to back
//! here): it is a call into the vDSO (a sequence-counted read of its data
//! page, tens of instructions, not one); its lag (a kernel tick) is an
//! implementation detail, not a documented bound; it exists only on Linux;
//! and `Instant` does not expose its base, so both clocks would have to
//! move to `libc`.

use crate::time::stopwatch::counter;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
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

    /// Moves the clock forward, stopping at `u64::MAX` nanoseconds (584
    /// years): it never wraps back.
    pub fn advance(&self, by: Duration) {
        let by = duration_nanos(by);
        // Never fails: the closure always returns `Some`.
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// How close to its deadline an entry is checked against the precise clock.
pub const PRECISE_WINDOW: Duration = Duration::from_millis(50);

const WINDOW_NANOS: u64 = PRECISE_WINDOW.as_nanos() as u64;

const TICK: Duration = Duration::from_millis(1);

/// The shortest span over which the counter's rate is measured.
const CALIBRATE_OVER: Duration = Duration::from_millis(16);

/// Whether this build may read the time-stamp counter on a hit.
const COUNTER: bool = cfg!(all(target_arch = "x86_64", not(miri), not(loom)));

/// Nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// What the clock thread publishes; one cache line, read by every TTL hit.
#[repr(align(64))]
struct Coarse {
    /// Nanoseconds since [`origin`], read after [`ticks`](Self::ticks).
    nanos: AtomicU64,
    /// The counter, read before [`nanos`](Self::nanos); stored after it.
    ticks: AtomicU64,
    /// How many ticks after `ticks` the time is still less than
    /// [`PRECISE_WINDOW`] past `nanos`; zero: the counter is not used.
    fresh_for: AtomicU64,
}

static COARSE: Coarse = Coarse {
    nanos: AtomicU64::new(0),
    ticks: AtomicU64::new(0),
    fresh_for: AtomicU64::new(0),
};

static TICKING: AtomicBool = AtomicBool::new(false);

/// Where the clock thread stands: whether hits can use the counter.
static STATE: AtomicU8 = AtomicU8::new(STARTING);
const STARTING: u8 = 0;
const CALIBRATING: u8 = 1;
const GUARDED: u8 = 2;
const PRECISE: u8 = 3;

/// Held by the clock thread through each tick; held by a test, it stops the
/// thread as a scheduler that never runs it would.
static STARVED: parking_lot::Mutex<()> = parking_lot::const_mutex(());

/// The precise monotonic time, in nanoseconds since [`origin`].
pub(crate) fn precise_nanos() -> u64 {
    duration_nanos(origin().elapsed())
}

/// Whether a coarse time published with counter reading `published` is
/// still fresh when the counter reads `now`: fewer than `fresh_for` ticks
/// passed. A counter that went backwards (`now < published`) wraps to a
/// huge difference: not fresh.
#[inline(always)]
fn is_fresh(now: u64, published: u64, fresh_for: u64) -> bool {
    now.wrapping_sub(published) < fresh_for
}

/// Ticks that surely take no less than [`PRECISE_WINDOW`] of the precise
/// clock, from `ticks` counted while at most `nanos` elapsed: the window at
/// half the lower bound of the rate. Zero when unknown.
fn fresh_for(ticks: u64, nanos: u64) -> u64 {
    if nanos == 0 {
        return 0;
    }
    let fresh = u128::from(ticks) * u128::from(WINDOW_NANOS) / (2 * u128::from(nanos));
    u64::try_from(fresh).unwrap_or(u64::MAX)
}

/// Whether Linux keeps its own time with the counter: only then are the
/// counters of all cores known to agree.
fn kernel_trusts_counter() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
        .is_ok_and(|source| source.trim() == "tsc")
}

/// The clock thread's calibration of the counter's rate.
#[derive(Default)]
struct Calibration {
    /// Counter reading and the precise time read just before it, at the
    /// start of the current window.
    start: Option<(u64, u64)>,
    /// The previous window's [`fresh_for`].
    previous: Option<u64>,
    /// Whether the rate is published.
    done: bool,
}

impl Calibration {
    /// Takes one bracketed reading, publishes it, and the counter's rate
    /// once two windows agree.
    fn tick(&mut self) {
        let before = precise_nanos();
        let ticks = counter::read_ordered();
        let nanos = precise_nanos();
        COARSE.nanos.store(nanos, Ordering::Relaxed);
        if let Some(fresh) = self.measure(before, ticks, nanos) {
            COARSE.fresh_for.store(fresh, Ordering::Relaxed);
            STATE.store(GUARDED, Ordering::Release);
        }
        COARSE.ticks.store(ticks, Ordering::Release);
    }

    /// The rate's [`fresh_for`] once two successive windows agree within
    /// 1/64 (the smaller of the two); `None` before and after that.
    fn measure(&mut self, before: u64, ticks: u64, nanos: u64) -> Option<u64> {
        if self.done {
            return None;
        }
        let Some((start_ticks, start_nanos)) = self.start else {
            self.start = Some((ticks, before));
            return None;
        };
        // The most nanoseconds that can have passed between the readings.
        let elapsed = nanos.saturating_sub(start_nanos);
        if elapsed < duration_nanos(CALIBRATE_OVER) {
            return None;
        }
        self.start = Some((ticks, before));
        // A counter that went backwards measures zero: no agreement.
        let fresh = fresh_for(ticks.saturating_sub(start_ticks), elapsed);
        let previous = self.previous.replace(fresh)?;
        if previous == 0 || fresh == 0 || previous.abs_diff(fresh) > previous / 64 {
            return None;
        }
        self.done = true;
        Some(previous.min(fresh))
    }
}

/// A chore the clock thread runs between ticks, and how often: set by the
/// layer above (the caches' housekeeper), so the clock knows nothing of
/// caches.
static CHORE: std::sync::OnceLock<(Duration, fn())> = std::sync::OnceLock::new();

/// Has the clock thread run `chore` every `every` (the first chore set
/// stays).
pub(crate) fn run_every(every: Duration, chore: fn()) {
    let _ = CHORE.set((every, chore));
}

/// Starts the ticking thread once per process. Called when a TTL cache is
/// created, so permanent caches never start it.
pub(crate) fn start_ticking() {
    if TICKING.swap(true, Ordering::AcqRel) {
        return;
    }
    let _ = origin();
    let spawned = std::thread::Builder::new()
        .name("memokit-clock".into())
        .spawn(tick_forever);
    if spawned.is_err() {
        // Without the thread every check reads the precise clock.
        STATE.store(PRECISE, Ordering::Release);
        TICKING.store(false, Ordering::Release);
    }
}

fn tick_forever() {
    let mut trusted = COUNTER && counter::usable() && kernel_trusts_counter();
    STATE.store(
        if trusted { CALIBRATING } else { PRECISE },
        Ordering::Release,
    );
    let mut calibration = Calibration::default();
    let mut last_chore = Instant::now();
    loop {
        {
            let _running = STARVED.lock();
            if trusted {
                calibration.tick();
            }
            let (every, chore) = CHORE
                .get()
                .copied()
                .unwrap_or((Duration::from_secs(1), || {}));
            if last_chore.elapsed() >= every {
                chore();
                // The kernel may distrust the counter later (a clocksource
                // change): checked as often as the chore runs.
                if trusted && !kernel_trusts_counter() {
                    trusted = false;
                    COARSE.fresh_for.store(0, Ordering::Relaxed);
                    STATE.store(PRECISE, Ordering::Release);
                }
                last_chore = Instant::now();
            }
        }
        std::thread::sleep(TICK);
    }
}

/// Stops the clock thread until dropped, as a scheduler that never runs it
/// would: for tests of the expiry guarantee. Returned by [`starve_clock`].
#[doc(hidden)]
#[must_use = "the clock thread runs again once this is dropped"]
pub struct StarvedClock {
    _tick: parking_lot::MutexGuard<'static, ()>,
    guarded: bool,
}

impl StarvedClock {
    /// Whether TTL hits use the coarse time behind the counter's guard
    /// (false: they read the precise clock on every hit).
    pub fn guarded(&self) -> bool {
        self.guarded
    }
}

/// Starts the clock thread if needed, waits (up to ten seconds) until it
/// has calibrated the counter or found it unusable, then stops it between
/// two ticks until the result is dropped. Not public API: for tests.
#[doc(hidden)]
pub fn starve_clock() -> StarvedClock {
    start_ticking();
    let give_up = Instant::now() + Duration::from_secs(10);
    while matches!(STATE.load(Ordering::Acquire), STARTING | CALIBRATING)
        && Instant::now() < give_up
    {
        std::thread::sleep(TICK);
    }
    let tick = STARVED.lock();
    StarvedClock {
        _tick: tick,
        guarded: STATE.load(Ordering::Acquire) == GUARDED,
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

    /// How far an injected clock has advanced; `None` for the system
    /// clock. A tier's wall clock moves by as much, so TTL tests of a tier
    /// need no sleeping.
    #[cfg_attr(not(feature = "tier"), allow(dead_code))]
    pub(crate) fn injected_advance(&self) -> Option<Duration> {
        self.custom.get().map(|clock| clock.now())
    }

    /// Whether an entry with this deadline is still live.
    #[inline]
    pub(crate) fn is_before(&self, deadline: u64) -> bool {
        self.is_surely_before(deadline) || self.is_before_precisely(deadline)
    }

    /// Whether the coarse clock alone shows the deadline is ahead; false
    /// when it cannot tell (near the deadline, a coarse time too old or
    /// not vouched for by the counter, or a custom clock).
    #[inline]
    pub(crate) fn is_surely_before(&self, deadline: u64) -> bool {
        if !COUNTER || self.custom.get().is_some() {
            return false;
        }
        // `Acquire`: the time loaded next was read after these ticks.
        let ticks = COARSE.ticks.load(Ordering::Acquire);
        let nanos = COARSE.nanos.load(Ordering::Relaxed);
        let fresh_for = COARSE.fresh_for.load(Ordering::Relaxed);
        is_fresh(counter::read(), ticks, fresh_for) && nanos.saturating_add(WINDOW_NANOS) < deadline
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
    fn manual_clock_saturates_instead_of_wrapping() {
        let clock = ManualClock::new();
        let centuries = Duration::from_secs(300 * 365 * 24 * 3600);
        clock.advance(centuries);
        assert_eq!(clock.now(), centuries);
        clock.advance(centuries);
        assert_eq!(clock.now(), Duration::from_nanos(u64::MAX));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn a_coarse_time_is_fresh_only_for_its_ticks_and_never_backwards() {
        assert!(is_fresh(100, 100, 10));
        assert!(is_fresh(109, 100, 10));
        assert!(!is_fresh(110, 100, 10));
        assert!(!is_fresh(99, 100, 10), "the counter went backwards");
        assert!(!is_fresh(100, 100, 0), "no rate known");
        assert!(!is_fresh(5, 0, 0));
    }

    #[test]
    fn the_window_in_ticks_is_half_the_measured_rate() {
        // 3 ticks a nanosecond: the window is 1.5 ticks a nanosecond.
        assert_eq!(fresh_for(3_000, 1_000), WINDOW_NANOS * 3 / 2);
        assert_eq!(fresh_for(3_000, 0), 0);
        assert_eq!(fresh_for(0, 1_000), 0);
        assert_eq!(fresh_for(u64::MAX, 1), u64::MAX);
    }

    #[test]
    fn calibration_needs_two_agreeing_windows_and_bounds_the_rate_below() {
        let over = duration_nanos(CALIBRATE_OVER);
        let mut c = Calibration::default();
        // 2 ticks a nanosecond; each precise reading takes 10 ns.
        let reading = |t: u64| (t, 2 * (t + 10), t + 20);
        let mut measure = |t: u64| {
            let (before, ticks, nanos) = reading(t);
            c.measure(before, ticks, nanos)
        };
        assert_eq!(measure(0), None, "the first reading starts a window");
        assert_eq!(measure(over / 2), None, "too short a window");
        assert_eq!(measure(over), None, "one window is not enough");
        let fresh = measure(2 * over).expect("two agreeing windows");
        // Not above half the true rate, and not much below it.
        assert!(fresh <= WINDOW_NANOS, "{fresh}");
        assert!(fresh > WINDOW_NANOS * 99 / 100, "{fresh}");
        assert_eq!(measure(3 * over), None, "published once");
    }

    #[test]
    fn calibration_rejects_windows_that_disagree() {
        let over = duration_nanos(CALIBRATE_OVER);
        let mut c = Calibration::default();
        assert_eq!(c.measure(0, 0, 0), None);
        assert_eq!(c.measure(over, over, over), None);
        // The counter ran three times as fast (a suspend, a migration).
        assert_eq!(c.measure(2 * over, 4 * over, 2 * over), None);
        // Backwards: measures zero.
        assert_eq!(c.measure(3 * over, 0, 3 * over), None);
        assert_eq!(c.measure(4 * over, over, 4 * over), None);
        assert!(c.measure(5 * over, 2 * over, 5 * over).is_some());
    }

    #[test]
    fn a_starved_clock_thread_never_makes_a_passed_deadline_look_ahead() {
        let starved = starve_clock();
        let source = TimeSource::system();
        // Beyond the precise window: only the counter's guard catches it.
        let deadline = source.now() + duration_nanos(Duration::from_millis(60));
        let watchdog = Instant::now() + Duration::from_secs(10);
        while precise_nanos() < deadline {
            assert!(Instant::now() < watchdog, "the precise clock stands still");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!source.is_surely_before(deadline), "stale coarse time used");
        assert!(!source.is_before(deadline));
        drop(starved);
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
