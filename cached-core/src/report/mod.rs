//! The profile report: which cached functions pay off, and which do not.

use std::fmt;
use std::hint::black_box;
use std::time::Duration;

use crate::cache::config::Config;
use crate::cache::erased::CacheInfo;
use crate::cache::registry;
use crate::cache::values::AllValues;
use crate::cache::Cache;
use crate::stats::{self, Stats};
use crate::time::stopwatch::{self, Stopwatch};

/// What every cached function of the program has done so far, and whether
/// its cache pays off.
///
/// The report reads every cache that has been used (see
/// [`caches`](crate::caches)), times one hit of each, and judges each one.
/// Taking it costs well under a millisecond per cache; it changes no counts.
///
/// # Method
/// - Counts (hits, misses, evictions, expirations) are the caches' own
///   statistics, exact at the moment each cache is read.
/// - *Compute time* is timed around a miss's call of the function (every
///   miss at first, then a random sample, scaled: see
///   [`Stats::compute_time`]). Reading the clock costs time too (a few
///   ns); the report times that overhead once per report and takes it
///   off. The mean feeds the time saved; the median, which one preempted
///   call cannot move, feeds the verdict.
///   A recursive function's time includes its nested calls.
/// - *Hit cost* is timed when the report is made: 8 rounds of 256 probes of
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
/// function                 mode            entries  hits   misses  hit rate  evicted  expired  compute  hit cost  saved     verdict
/// app::slow_square         permanent             10    90      10     90.0%        0        0   2.1 ms     25 ns  189.0 ms  worth it
/// app::add_one             permanent            100  9900     100     99.0%        0        0     1 ns     21 ns   -198 µs  not worth it: computes in 1 ns and a hit costs 21 ns
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
    /// Mean time of one miss's computation, without the timer's overhead.
    pub mean_compute: Duration,
    /// Median time of one miss's computation, without the timer's overhead:
    /// what the verdict compares with the hit cost.
    pub median_compute: Duration,
    /// Estimated time of one hit; see `hit_cost_source`.
    pub hit_cost: Duration,
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
        let verdict = Verdict::judge(&mode, entries, &stats, median_compute, hit_cost);
        Row {
            name: config.name,
            path,
            location,
            mode,
            entries,
            hits: stats.hits,
            misses: stats.misses,
            hit_rate: stats.hit_rate(),
            evictions: stats.evictions,
            expirations: stats.expirations,
            mean_compute,
            median_compute,
            hit_cost,
            hit_cost_source,
            time_saved_ns: time_saved(stats.hits, mean_compute, hit_cost),
            verdict,
        }
    }
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

/// A cached function's options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No options: an entry per distinct argument set, kept forever.
    Permanent,
    /// `ttl = "..."`: entries expire.
    Ttl(Duration),
    /// `capacity = N`: at most N entries.
    Capacity(usize),
    /// Both `capacity` and `ttl`.
    CapacityTtl(usize, Duration),
}

impl Mode {
    fn of(config: &Config) -> Mode {
        match (config.capacity, config.ttl) {
            (None, None) => Mode::Permanent,
            (None, Some(ttl)) => Mode::Ttl(ttl),
            (Some(cap), None) => Mode::Capacity(cap),
            (Some(cap), Some(ttl)) => Mode::CapacityTtl(cap, ttl),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Permanent => f.write_str("permanent"),
            Mode::Ttl(ttl) => write!(f, "ttl {ttl:?}"),
            Mode::Capacity(cap) => write!(f, "capacity {cap}"),
            Mode::CapacityTtl(cap, ttl) => write!(f, "capacity {cap}, ttl {ttl:?}"),
        }
    }
}

/// Where a row's hit cost comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HitCostSource {
    /// Timed on the cache's own lock and index, on a shard holding one of
    /// its entries, without running the key's `Hash` or `Eq` or the value's
    /// `Clone`.
    OwnEntry,
    /// The cache was empty: timed on a reference cache of `u64` keys and
    /// values, a lower bound for larger keys and values.
    Reference,
}

/// Whether a cache pays off, judged in this order (the first that applies).
///
/// 1. [`NotWorthIt`](Verdict::NotWorthIt): the median computation takes
///    less than [`MIN_SPEEDUP`](Verdict::MIN_SPEEDUP) times a hit.
/// 2. [`UnboundedGrowth`](Verdict::UnboundedGrowth): a permanent cache with
///    at least [`GROWTH_MIN_ENTRIES`](Verdict::GROWTH_MIN_ENTRIES) entries
///    and a hit rate below [`GROWTH_HIT_RATE`](Verdict::GROWTH_HIT_RATE).
///    Every miss of a permanent cache adds an entry for good, so with that
///    hit rate its size rises with the number of calls.
/// 3. [`Cold`](Verdict::Cold): after at least [`MIN_CALLS`](Verdict::MIN_CALLS)
///    calls, a hit rate below [`COLD_HIT_RATE`](Verdict::COLD_HIT_RATE).
/// 4. [`TooFewCalls`](Verdict::TooFewCalls): no hit yet, and fewer than
///    `MIN_CALLS` calls to judge from.
/// 5. [`WorthIt`](Verdict::WorthIt) otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Hits are much cheaper than the computation and frequent enough.
    WorthIt,
    /// The function is about as fast as a cache hit, or faster: remove the
    /// cache.
    NotWorthIt {
        /// Median computation time, without the timer's overhead.
        compute: Duration,
        /// Estimated cost of one hit.
        hit: Duration,
    },
    /// The inputs rarely repeat: the cache stores values nobody asks for
    /// again. Remove it, or choose a `key` that repeats.
    Cold {
        /// The hit rate.
        hit_rate: f64,
        /// The calls it was measured over.
        calls: u64,
    },
    /// A permanent cache that keeps growing: add `capacity` or `ttl`.
    UnboundedGrowth {
        /// Live entries now.
        entries: usize,
        /// The hit rate.
        hit_rate: f64,
    },
    /// Not enough calls to judge.
    TooFewCalls {
        /// Calls so far.
        calls: u64,
    },
}

impl Verdict {
    /// A hit must be at least this many times faster than the computation
    /// it replaces: a cache also costs a slower first call, memory, and a
    /// value that may go stale.
    pub const MIN_SPEEDUP: f64 = 2.0;
    /// Calls needed before a cache can be called cold.
    pub const MIN_CALLS: u64 = 100;
    /// Below this hit rate (after `MIN_CALLS` calls) a cache is cold.
    pub const COLD_HIT_RATE: f64 = 0.1;
    /// A permanent cache this large, with a hit rate below
    /// `GROWTH_HIT_RATE`, is growing without bound.
    pub const GROWTH_MIN_ENTRIES: usize = 1_000;
    /// See `GROWTH_MIN_ENTRIES`.
    pub const GROWTH_HIT_RATE: f64 = 0.5;

    fn judge(
        mode: &Mode,
        entries: usize,
        stats: &Stats,
        median_compute: Duration,
        hit_cost: Duration,
    ) -> Verdict {
        let (calls, hit_rate) = (stats.calls(), stats.hit_rate());
        let compute = median_compute.as_secs_f64();
        if stats.misses > 0 && compute < Self::MIN_SPEEDUP * hit_cost.as_secs_f64() {
            Verdict::NotWorthIt {
                compute: median_compute,
                hit: hit_cost,
            }
        } else if *mode == Mode::Permanent
            && entries >= Self::GROWTH_MIN_ENTRIES
            && hit_rate < Self::GROWTH_HIT_RATE
        {
            Verdict::UnboundedGrowth { entries, hit_rate }
        } else if calls >= Self::MIN_CALLS && hit_rate < Self::COLD_HIT_RATE {
            Verdict::Cold { hit_rate, calls }
        } else if stats.hits == 0 {
            Verdict::TooFewCalls { calls }
        } else {
            Verdict::WorthIt
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Verdict::WorthIt => f.write_str("worth it"),
            Verdict::NotWorthIt { compute, hit } => write!(
                f,
                "not worth it: computes in {} and a hit costs {}",
                human(compute.as_nanos() as i128),
                human(hit.as_nanos() as i128)
            ),
            Verdict::Cold { hit_rate, calls } => write!(
                f,
                "cold: {} hits after {calls} calls; remove the cache or pick a `key` that repeats",
                percent(hit_rate)
            ),
            Verdict::UnboundedGrowth { entries, hit_rate } => write!(
                f,
                "unbounded growth: {entries} entries, {} hits; add `capacity` or `ttl`",
                percent(hit_rate)
            ),
            Verdict::TooFewCalls { calls } => write!(f, "too few calls ({calls}) to judge"),
        }
    }
}

const COLUMNS: [(&str, Align); 12] = [
    ("function", Align::Left),
    ("mode", Align::Left),
    ("entries", Align::Right),
    ("hits", Align::Right),
    ("misses", Align::Right),
    ("hit rate", Align::Right),
    ("evicted", Align::Right),
    ("expired", Align::Right),
    ("compute", Align::Right),
    ("hit cost", Align::Right),
    ("saved", Align::Right),
    ("verdict", Align::Left),
];

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

impl Row {
    fn cells(&self) -> [String; 12] {
        let reference = match self.hit_cost_source {
            HitCostSource::OwnEntry => "",
            HitCostSource::Reference => "*",
        };
        [
            self.path.clone(),
            self.mode.to_string(),
            self.entries.to_string(),
            self.hits.to_string(),
            self.misses.to_string(),
            percent(self.hit_rate),
            self.evictions.to_string(),
            self.expirations.to_string(),
            human(self.mean_compute.as_nanos() as i128),
            format!("{}{reference}", human(self.hit_cost.as_nanos() as i128)),
            human(i128::from(self.time_saved_ns)),
            self.verdict.to_string(),
        ]
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return writeln!(f, "memokit: no cached function has been used yet");
        }
        let header = COLUMNS.map(|(name, _)| name.to_owned());
        let lines: Vec<[String; 12]> = std::iter::once(header)
            .chain(self.rows.iter().map(Row::cells))
            .collect();
        let widths: Vec<usize> = (0..COLUMNS.len())
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for line in &lines {
            write_line(f, line, &widths)?;
        }
        writeln!(
            f,
            "\ncompute: mean time of one miss, less {} of timer overhead; \
             hit cost: the cache's own part of a hit, without the key's Hash/Eq or the value's Clone (* empty cache: a reference cache);\n\
             saved: hits × (compute − hit cost)",
            human(self.timer_overhead.as_nanos() as i128)
        )?;
        if !self.stats_enabled {
            writeln!(
                f,
                "statistics are off (memokit::stats::set_enabled): counts miss what happened while off"
            )?;
        }
        Ok(())
    }
}

fn write_line(f: &mut fmt::Formatter<'_>, cells: &[String; 12], widths: &[usize]) -> fmt::Result {
    let last = cells.len() - 1;
    for (c, cell) in cells.iter().enumerate() {
        let width = widths[c];
        match (c == last, COLUMNS[c].1) {
            (true, _) => write!(f, "{cell}")?,
            (false, Align::Left) => write!(f, "{cell:<width$}  ")?,
            (false, Align::Right) => write!(f, "{cell:>width$}  ")?,
        }
    }
    writeln!(f)
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// `850 ns`, `2.1 µs`, `3.4 ms`, `1.25 s`, with a sign when negative.
fn human(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs() as f64;
    match n {
        n if n < 1e3 => format!("{sign}{n} ns"),
        n if n < 1e6 => format!("{sign}{:.1} µs", n / 1e3),
        n if n < 1e9 => format!("{sign}{:.1} ms", n / 1e6),
        n => format!("{sign}{:.2} s", n / 1e9),
    }
}

/// The median time measured around nothing, as a miss is measured.
fn timer_overhead() -> Duration {
    let mut samples: Vec<u64> = (0..1001)
        .map(|_| black_box(Stopwatch::start()).ticks())
        .collect();
    samples.sort_unstable();
    Duration::from_nanos(stopwatch::to_nanos(samples[samples.len() / 2]))
}

/// The hit cost of a permanent cache of `u64` keys and values.
fn reference_hit_cost() -> Duration {
    static REFERENCE: Config = Config {
        id: "memokit::report (reference cache)",
        name: "reference",
        ttl: None,
        capacity: None,
    };
    let cache: Cache<u64, u64> = Cache::new(&REFERENCE, String::new(), AllValues);
    cache.insert(1, 1);
    stopwatch::time_per_call(|| {
        black_box(cache.peek(black_box(&1u64)));
    })
}

#[cfg(test)]
mod tests {
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
