//! Timing computations for the statistics: every miss reads this clock
//! twice, so it must be cheaper than `Instant::now` (about 16 ns here, as
//! much as the rest of a miss's bookkeeping).
//!
//! On x86-64 with an invariant time-stamp counter (constant rate, running
//! in every power state, synchronised across cores: every x86-64 CPU of the
//! last decade) a reading is one `rdtsc`, about 7 ns. Ticks become
//! nanoseconds only when statistics are read, by the ratio of elapsed
//! nanoseconds to elapsed ticks since the first reading: no calibration
//! loop at start-up, and the ratio sharpens as the process runs. Elsewhere
//! (and under Miri), ticks are nanoseconds from `Instant`.
//!
//! The same counter bounds the staleness of the coarse TTL clock
//! ([`clock`](crate::time::clock)), hence [`counter`] is shared.

use std::sync::OnceLock;
use std::time::Instant;

/// Started at a computation's start; [`ticks`](Self::ticks) since then.
pub(crate) struct Stopwatch {
    start: u64,
}

impl Stopwatch {
    #[inline]
    pub(crate) fn start() -> Self {
        Stopwatch { start: now() }
    }

    /// Ticks since [`start`](Self::start); see [`to_nanos`].
    #[inline]
    pub(crate) fn ticks(&self) -> u64 {
        now().saturating_sub(self.start)
    }
}

/// The clock chosen at the first reading, and that reading.
struct Anchor {
    counter: bool,
    instant: Instant,
    ticks: u64,
}

fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| {
        let counter = counter::usable();
        Anchor {
            counter,
            instant: Instant::now(),
            ticks: if counter { counter::read() } else { 0 },
        }
    })
}

#[inline]
fn now() -> u64 {
    let anchor = anchor();
    if anchor.counter {
        counter::read()
    } else {
        nanos_since(anchor.instant)
    }
}

fn nanos_since(instant: Instant) -> u64 {
    u64::try_from(instant.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Converts a number of ticks to nanoseconds.
pub(crate) fn to_nanos(ticks: u64) -> u64 {
    let anchor = anchor();
    if !anchor.counter || ticks == 0 {
        return ticks;
    }
    let elapsed_ticks = counter::read().saturating_sub(anchor.ticks);
    let elapsed_nanos = nanos_since(anchor.instant);
    if elapsed_ticks == 0 {
        return 0;
    }
    let nanos = ticks as f64 * (elapsed_nanos as f64 / elapsed_ticks as f64);
    // `as` saturates: a huge count stays the largest duration.
    nanos as u64
}

/// The time-stamp counter: one `rdtsc` per reading.
#[cfg(all(target_arch = "x86_64", not(miri)))]
pub(crate) mod counter {
    use std::arch::x86_64::{__cpuid, _mm_lfence, _rdtsc};

    /// Whether the CPU says its time-stamp counter is invariant
    /// (CPUID 8000_0007h, EDX bit 8).
    pub(crate) fn usable() -> bool {
        const POWER_MANAGEMENT: u32 = 0x8000_0007;
        const INVARIANT_TSC: u32 = 1 << 8;
        __cpuid(0x8000_0000).eax >= POWER_MANAGEMENT
            && __cpuid(POWER_MANAGEMENT).edx & INVARIANT_TSC != 0
    }

    /// A reading; the CPU may take it a little before or after the
    /// instructions around it.
    #[inline]
    pub(crate) fn read() -> u64 {
        // SAFETY: `rdtsc` exists on every x86-64 CPU and touches no memory.
        unsafe { _rdtsc() }
    }

    /// A reading taken after every earlier instruction has finished and
    /// before any later one starts (`lfence` on both sides).
    #[inline]
    pub(crate) fn read_ordered() -> u64 {
        // SAFETY: `lfence` and `rdtsc` exist on every x86-64 CPU and touch
        // no memory.
        unsafe {
            _mm_lfence();
            let ticks = _rdtsc();
            _mm_lfence();
            ticks
        }
    }
}

/// No counter: [`usable`](counter::usable) says so, and nothing reads it.
#[cfg(not(all(target_arch = "x86_64", not(miri))))]
pub(crate) mod counter {
    pub(crate) fn usable() -> bool {
        false
    }

    pub(crate) fn read() -> u64 {
        unreachable!("the time-stamp counter is only used on x86-64")
    }

    pub(crate) fn read_ordered() -> u64 {
        unreachable!("the time-stamp counter is only used on x86-64")
    }
}

/// The time per call of `f`: the fastest of several rounds, so that a
/// round in which the thread was preempted does not count.
pub(crate) fn time_per_call(mut f: impl FnMut()) -> std::time::Duration {
    const CALLS: u32 = 64;
    const ROUNDS: usize = 4;
    (0..ROUNDS)
        .map(|_| {
            let start = std::time::Instant::now();
            for _ in 0..CALLS {
                f();
            }
            start.elapsed() / CALLS
        })
        .min()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_sleep_measures_at_least_its_length_and_not_much_more() {
        let watch = Stopwatch::start();
        std::thread::sleep(Duration::from_millis(20));
        let nanos = to_nanos(watch.ticks());
        assert!(nanos >= 19_000_000, "{nanos} ns");
        // Generous: a loaded machine may oversleep, but not by seconds.
        assert!(nanos < 5_000_000_000, "{nanos} ns");
    }

    #[test]
    fn ticks_never_go_backwards_and_zero_is_zero() {
        let watch = Stopwatch::start();
        let (a, b) = (watch.ticks(), watch.ticks());
        assert!(b >= a);
        assert_eq!(to_nanos(0), 0);
    }
}
