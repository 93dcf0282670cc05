//! The profile report: which cached functions pay off, and which do not.

use std::time::Duration;

use crate::cache::erased::CacheInfo;
use crate::cache::registry;
use crate::stats::{self, Stats};

mod measure;
mod table;
mod verdict;

use measure::{reference_hit_cost, timer_overhead};
pub use verdict::{HitCostSource, Mode, Verdict};

/// What every cached function of the program has done so far, and whether
/// its cache pays off.
///
/// The report reads every cache that has been used (see
/// [`caches`](crate::caches)), times one hit of each, and judges each one.
/// Taking it costs well under a millisecond per cache; it changes no counts.
///
/// # Method
/// - Counts (hits, misses, evictions, expirations, refreshes) are the caches' own
///   statistics, exact at the moment each cache is read.
/// - *Compute time* is timed around a miss's call of the function (every
///   miss at first, then a random sample, scaled: see
///   [`Stats::compute_time`](crate::Stats::compute_time)). Reading the clock costs time too (a few
///   ns); the report times that overhead once per report and takes it
///   off. The mean feeds the time saved; the median, which one preempted
///   call cannot move, feeds the verdict.
///   A recursive function's time includes its nested calls.
/// - *Hit cost* is timed when the report is made: 4 rounds of 64 probes of
///   a shard that holds an entry (its real lock, index and clock), the
///   fastest round. A probe is the part of a hit that the cache itself
///   does: the shared lock, a probe of the hash index and the entry's
///   liveness check. It runs none of the program's code: it leaves out
///   hashing the key and comparing it (the key's `Hash` and `Eq`) and
///   cloning the value (its `Clone`), so the report costs the same whatever
///   the keys and values, and a hit on a key or value that is costly to
///   hash, compare or clone costs more than the figure shown. The probes
///   count no hits and leave no trace. An empty cache has nothing to probe,
///   so it is given the hit cost of a reference cache of `u64` keys and
///   values instead. A warm probe in a loop is a lower bound on what a hit
///   costs a program whose cache is cold in the CPU's caches.
/// - *Time saved* is `hits × (mean compute − hit cost)`; negative when the
///   hits cost more than the calls they replaced.
///
/// ```
/// use memokit::{cached, Verdict};
/// use std::time::Duration;
///
/// #[cached]
/// fn slow_square(x: u64) -> u64 {
///     std::thread::sleep(Duration::from_millis(2));
///     x * x
/// }
///
/// for _ in 0..10 {
///     slow_square(7);
/// }
/// let report = memokit::report();
/// let row = report.row("slow_square").unwrap();
/// assert_eq!((row.hits, row.misses), (9, 1));
/// assert!(row.time_saved_ns > 0);
/// assert_eq!(row.verdict, Verdict::WorthIt);
/// println!("{report}"); // an aligned table, one row per function
/// ```
pub fn report() -> Report {
    let timer_overhead = timer_overhead();
    let mut reference = None;
    let mut rows: Vec<Row> = registry::caches()
        .into_iter()
        .map(|cache| {
            let (hit_cost, source) = match cache.hit_cost() {
                Some(cost) => (cost, HitCostSource::OwnEntry),
                None => (
                    *reference.get_or_insert_with(reference_hit_cost),
                    HitCostSource::Reference,
                ),
            };
            Row::new(cache, hit_cost, source, timer_overhead)
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.time_saved_ns));
    Report {
        rows,
        timer_overhead,
        stats_enabled: stats::is_enabled(),
    }
}

/// The profile of every cached function; see [`report`].
///
/// Its `Display` renders an aligned table, most time saved first:
///
/// ```text
/// function          mode                 entries  hits   misses  hit rate  evicted  expired  refreshed                      compute  hit cost  saved     verdict
/// app::slow_square  permanent                 10    90      10     90.0%        0        0                                  2.1 ms     25 ns  189.0 ms  worth it
/// app::config       ttl 10m, refresh 8m        1  9998       2     99.9%        0        0  1, 0 failed, 3 hits meanwhile   1.1 ms     14 ns   11.0 s   worth it
/// app::add_one      permanent                100  9900     100     99.0%        0        0                                    1 ns     21 ns   -198 µs  not worth it: computes in 1 ns and a hit costs 21 ns
/// ```
#[derive(Clone, Debug)]
pub struct Report {
    /// One row per cached function (per instantiation of a generic one),
    /// most time saved first.
    pub rows: Vec<Row>,
    /// What reading the clock around a computation costs; taken off every
    /// compute time.
    pub timer_overhead: Duration,
    /// Whether statistics were on ([`stats::set_enabled`]); when they were
    /// off for a while, counts miss what happened meanwhile.
    pub stats_enabled: bool,
}

impl Report {
    /// The first row whose function is `name`: a bare name (`"resolve"`) or
    /// a path suffix (`"net::resolve"`).
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|row| {
            row.path == name
                || row
                    .path
                    .strip_suffix(name)
                    .is_some_and(|prefix| prefix.ends_with("::"))
        })
    }
}

/// One cached function in a [`Report`].
#[derive(Clone, Debug)]
pub struct Row {
    /// The function's name as written: `resolve`.
    pub name: &'static str,
    /// The function's path with its instantiation: `app::net::resolve`,
    /// `app::Store<u8>::get` for a method or associated function (its
    /// `Self` type as `std::any::type_name` spells it),
    /// `app::parse::<u32>` for an instantiation of a generic function.
    pub path: String,
    /// Where the function is defined: `src/net.rs:12:1`.
    pub location: String,
    /// Its options: permanent, `ttl`, `capacity`.
    pub mode: Mode,
    /// `refresh`: an entry this old is recomputed ahead of its `ttl`.
    pub refresh: Option<Duration>,
    /// Live entries now.
    pub entries: usize,
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that ran the function.
    pub misses: u64,
    /// `hits / (hits + misses)`, 0 before the first call.
    pub hit_rate: f64,
    /// Entries removed to respect `capacity`.
    pub evictions: u64,
    /// Entries removed because their `ttl` passed.
    pub expirations: u64,
    /// With `refresh`: recomputations of entries due for it (see
    /// [`Stats::refreshes`](crate::Stats::refreshes)).
    pub refreshes: u64,
    /// Of those, the ones that returned an `Err` or panicked.
    pub failed_refreshes: u64,
    /// Hits served an entry due for a refresh while its refresh ran.
    pub refresh_hits: u64,
    /// Mean time of one miss's computation, without the timer's overhead.
    pub mean_compute: Duration,
    /// Median time of one miss's computation, without the timer's overhead:
    /// what the verdict compares with the hit cost.
    pub median_compute: Duration,
    /// Estimated time of one hit; see `hit_cost_source`. With a tier
    /// (`disk`), the mean over memory's hits and the tier's, each at its
    /// own cost: a hit read from the tier costs `mean_tier_read`.
    pub hit_cost: Duration,
    /// Of `hits`, those read from the function's tier (`disk`).
    pub tier_hits: u64,
    /// Failures of the tier, none of which failed a call.
    pub tier_errors: u64,
    /// Mean time of one read of the tier.
    pub mean_tier_read: Duration,
    /// How `hit_cost` was obtained.
    pub hit_cost_source: HitCostSource,
    /// `hits × (mean_compute − hit_cost)` in nanoseconds; negative when the
    /// cache costs more than it saves.
    pub time_saved_ns: i64,
    /// Whether the cache pays off; see [`Verdict`] for the thresholds.
    pub verdict: Verdict,
}

impl Row {
    fn new(
        cache: &dyn CacheInfo,
        hit_cost: Duration,
        hit_cost_source: HitCostSource,
        timer_overhead: Duration,
    ) -> Row {
        let config = cache.config();
        // `len` sweeps expired entries first, so read the counters after it.
        let entries = cache.len();
        let stats = cache.stats();
        let (id_path, location) = split_id(config.id);
        let path = match cache.path() {
            "" => id_path,
            path => path.to_owned(),
        };
        let mode = Mode::of(config);
        let mean_compute = stats.mean_compute().saturating_sub(timer_overhead);
        let median_compute = stats.median_compute.saturating_sub(timer_overhead);
        let hit_cost = with_tier_hits(&stats, hit_cost);
        let verdict = Verdict::judge(&mode, entries, &stats, median_compute, hit_cost);
        Row {
            name: config.name,
            path,
            location,
            mode,
            refresh: config.refresh,
            entries,
            hits: stats.hits,
            misses: stats.misses,
            hit_rate: stats.hit_rate(),
            evictions: stats.evictions,
            expirations: stats.expirations,
            refreshes: stats.refreshes,
            failed_refreshes: stats.failed_refreshes,
            refresh_hits: stats.refresh_hits,
            mean_compute,
            median_compute,
            hit_cost,
            hit_cost_source,
            tier_hits: stats.tier_hits,
            tier_errors: stats.tier_errors,
            mean_tier_read: stats.mean_tier_read(),
            time_saved_ns: time_saved(stats.hits, mean_compute, hit_cost),
            verdict,
        }
    }
}

/// The mean cost of a hit when `stats.tier_hits` of the hits were read
/// from the tier (at its mean read time) and the rest from memory (at
/// `memory_hit`).
fn with_tier_hits(stats: &Stats, memory_hit: Duration) -> Duration {
    if stats.tier_hits == 0 || stats.hits == 0 {
        return memory_hit;
    }
    let tier = stats.tier_hits.min(stats.hits);
    let total = memory_hit.as_nanos() * u128::from(stats.hits - tier)
        + stats.mean_tier_read().as_nanos() * u128::from(tier);
    let mean = total / u128::from(stats.hits);
    Duration::from_nanos(u64::try_from(mean).unwrap_or(u64::MAX))
}

/// `"a::f (src/a.rs:3:1) #7"` → `("a::f", "src/a.rs:3:1")`.
fn split_id(id: &str) -> (String, String) {
    let id = id.rsplit_once(" #").map_or(id, |(id, _)| id);
    match id.split_once(" (") {
        Some((path, rest)) => {
            let location = rest.strip_suffix(')').unwrap_or(rest);
            (path.to_owned(), location.to_owned())
        }
        None => (id.to_owned(), String::new()),
    }
}

fn time_saved(hits: u64, mean_compute: Duration, hit_cost: Duration) -> i64 {
    let per_hit = mean_compute.as_nanos() as i128 - hit_cost.as_nanos() as i128;
    let saved = per_hit.saturating_mul(i128::from(hits));
    saved.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::table::human;
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(0), "0 ns");
        assert_eq!(human(850), "850 ns");
        assert_eq!(human(2_140), "2.1 µs");
        assert_eq!(human(-3_400_000), "-3.4 ms");
        assert_eq!(human(1_250_000_000), "1.25 s");
    }

    #[test]
    fn a_hit_read_from_the_tier_costs_what_the_tier_read_did() {
        let ns = Duration::from_nanos;
        let stats = Stats {
            hits: 4,
            tier_hits: 1,
            tier_reads: 2,
            tier_read_time: ns(20_000),
            ..Stats::default()
        };
        // 3 memory hits at 20 ns, 1 tier hit at 10 µs.
        assert_eq!(with_tier_hits(&stats, ns(20)), ns((3 * 20 + 10_000) / 4));
        let no_tier = Stats {
            hits: 4,
            ..Stats::default()
        };
        assert_eq!(with_tier_hits(&no_tier, ns(20)), ns(20));
        // A costly tier read can make a cache not worth it.
        let verdict = Verdict::judge(
            &Mode::Permanent,
            1,
            &Stats { misses: 1, ..stats },
            ns(3_000),
            with_tier_hits(&stats, ns(20)),
        );
        assert!(matches!(verdict, Verdict::NotWorthIt { .. }), "{verdict:?}");
    }

    #[test]
    fn ids_split_into_path_and_location() {
        assert_eq!(
            split_id("app::net::resolve (src/net.rs:12:1)"),
            ("app::net::resolve".to_owned(), "src/net.rs:12:1".to_owned())
        );
        assert_eq!(
            split_id("app::f (src/a (1).rs:3:1) #7").1,
            "src/a (1).rs:3:1"
        );
        assert_eq!(
            split_id("app::f (src/a.rs:3:1) #7"),
            ("app::f".to_owned(), "src/a.rs:3:1".to_owned())
        );
        assert_eq!(split_id("bare"), ("bare".to_owned(), String::new()));
    }

    fn stats(hits: u64, misses: u64) -> Stats {
        Stats {
            hits,
            misses,
            ..Stats::default()
        }
    }

    #[test]
    fn verdicts_follow_the_documented_order() {
        let ns = Duration::from_nanos;
        let judge = |mode, entries, s: Stats, compute| {
            Verdict::judge(&mode, entries, &s, ns(compute), ns(20))
        };
        assert_eq!(
            judge(Mode::Permanent, 10, stats(90, 10), 30),
            Verdict::NotWorthIt {
                compute: ns(30),
                hit: ns(20)
            }
        );
        assert!(matches!(
            judge(Mode::Permanent, 5000, stats(100, 5000), 1000),
            Verdict::UnboundedGrowth { entries: 5000, .. }
        ));
        assert!(matches!(
            judge(Mode::Capacity(10), 10, stats(5, 500), 1000),
            Verdict::Cold { calls: 505, .. }
        ));
        assert!(matches!(
            judge(Mode::Permanent, 50, stats(0, 50), 1000),
            Verdict::TooFewCalls { calls: 50 }
        ));
        // Every hit read from a second tier, nothing computed here yet.
        assert!(matches!(
            judge(Mode::Permanent, 1, stats(3, 0), 0),
            Verdict::TooFewCalls { calls: 3 }
        ));
        assert_eq!(
            judge(Mode::Permanent, 1, stats(100, 0), 0),
            Verdict::WorthIt
        );
        assert_eq!(
            judge(Mode::Permanent, 500, stats(500, 500), 1000),
            Verdict::WorthIt
        );
    }

    #[test]
    fn time_saved_is_signed() {
        let ns = Duration::from_nanos;
        assert_eq!(time_saved(10, ns(100), ns(20)), 800);
        assert_eq!(time_saved(10, ns(5), ns(20)), -150);
    }
}
