//! The Redis tier, `#[cached(redis)]` (feature `redis`): one cache for
//! every process and machine that uses the same server, behind each
//! process's in-memory cache.
//!
//! A call checks memory (L1) first, then Redis, then computes; a computed
//! value is stored in both, with the function's `ttl` as Redis's own expiry
//! (`SET ... PX`); an `Err` is stored nowhere. Processes that miss one key
//! together compute it about once: the first takes a lease in Redis, the
//! others read the value when it lands, or compute themselves once the
//! lease runs out. `insert`, `invalidate` and `clear` reach the memory of
//! every other process through pub/sub; a process whose connection was lost
//! drops its memory of Redis-backed functions when it is back. A failing
//! server never fails a call: the call computes, the error is counted (in
//! the function's `Stats::tier_errors`) and logged once per kind, and after
//! repeated failures Redis is skipped for [`Options::cool_down`].
//!
//! Tell memokit where the server is once, early, with [`connect`] (or
//! [`connect_with`]), or set `MEMOKIT_REDIS_URL`; with neither, Redis-backed
//! functions use memory only, as the log says once.
//!
//! The facade, `memokit::redis`, shows it with `#[cached(redis)]`.
//!
//! A sync caller makes its round trip itself, on a pooled connection, waiting
//! at most [`Options::timeout`] (one `GET` for a hit: nothing between the
//! caller and the socket). An `async fn` awaits a read made on memokit's
//! tier threads (runtime-agnostic) and never blocks its executor thread.
//! Writes no caller waits for go to a background thread, pipelined.

mod client;
mod conn;
mod events;
mod resp;
mod store;
mod url;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::tier::namespace::Namespace;
use crate::tier::namespace::TierSpec;
use crate::tier::store::{Store, Stored, TierError, TierErrorKind, WallTime};

use self::client::{Client, Counters};
use self::store::RedisStore;

/// How memokit uses the server; [`Options::default`] and its methods.
///
/// ```
/// use std::time::Duration;
/// let options = memokit_core::redis::Options::default()
///     .prefix("billing:")
///     .timeout(Duration::from_millis(100));
/// assert_eq!(options.timeout_value(), Duration::from_millis(100));
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    prefix: String,
    timeout: Duration,
    cool_down: Duration,
    lease: Duration,
    max_wait: Duration,
    poll: Duration,
}

impl Default for Options {
    /// Prefix `memokit:`, timeout 200 ms, cool-down 1 s, lease 5 s,
    /// waiters polling every 5 ms for at most 60 s.
    fn default() -> Self {
        Options {
            prefix: "memokit:".into(),
            timeout: Duration::from_millis(200),
            cool_down: Duration::from_secs(1),
            lease: Duration::from_secs(5),
            max_wait: Duration::from_secs(60),
            poll: Duration::from_millis(5),
        }
    }
}

impl Options {
    /// The start of every Redis key and of the events channel memokit
    /// uses (default `memokit:`): separates applications sharing a server.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a call waits for the server (connecting, or a reply)
    /// before it computes without it (default 200 ms).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long Redis is skipped after repeated failures before it is tried
    /// again (default 1 s): an outage costs one timeout per cool-down, not
    /// one per call.
    pub fn cool_down(mut self, cool_down: Duration) -> Self {
        self.cool_down = cool_down;
        self
    }

    /// The lease's expiry in Redis (default 5 s): how long another process
    /// waits for the one computing a key it also missed, if that one dies.
    /// A live holder renews it every third of a lease, so a computation
    /// longer than the lease is still made once; a holder that crashes
    /// blocks no one longer than this.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// The longest a process waits for another's computation of a key (a
    /// live holder keeps its lease) before computing it itself (default
    /// 60 s): a holder that hangs does not hang the others.
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// How often a process waiting for another's computation looks for the
    /// value (default 5 ms).
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_micros(100));
        self
    }

    /// The timeout set.
    pub fn timeout_value(&self) -> Duration {
        self.timeout
    }
}

/// Why [`connect`] refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectError(String);

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "memokit::redis::connect: {}", self.0)
    }
}

impl std::error::Error for ConnectError {}

/// Uses the server at `url` for every `#[cached(redis)]` function of this
/// process, with [`Options::default`]: `redis://[user:password@]host[:port][/db]`
/// or `unix:///path/to/redis.sock[?db=N&password=...]`.
///
/// Returns once the URL is understood, without waiting for the server: a
/// server that is down now is used from when it is up. Fails for a URL it
/// does not understand, or when this process is connected to another
/// server already (connecting again to the same URL does nothing).
///
/// ```
/// assert!(memokit_core::redis::connect("http://localhost").is_err());
/// ```
pub fn connect(url: &str) -> Result<(), ConnectError> {
    connect_with(url, Options::default())
}

/// [`connect`] with `options`.
///
/// ```no_run
/// use std::time::Duration;
/// use memokit_core::redis::{connect_with, Options};
/// connect_with("unix:///run/redis.sock", Options::default().lease(Duration::from_secs(30))).unwrap();
/// ```
pub fn connect_with(url: &str, options: Options) -> Result<(), ConnectError> {
    let target = url::parse(url).map_err(ConnectError)?;
    let mut made = false;
    let store = STORE.get_or_init(|| {
        made = true;
        open(target.clone(), options)
    });
    if made || store.target == target {
        Ok(())
    } else {
        Err(ConnectError(format!(
            "this process uses the server at {} already; connect once, at start",
            store.target
        )))
    }
}

/// What the process's connection to Redis has done, for all functions
/// together (each function's own counts are in its `Stats`: `tier_hits`
/// are its Redis hits, `tier_errors` its Redis errors, `tier_read_time`
/// its Redis time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RedisStats {
    /// Whether a server is configured ([`connect`] or `MEMOKIT_REDIS_URL`).
    pub configured: bool,
    /// Whether the command connection is up now.
    pub connected: bool,
    /// Whether this process receives other processes' invalidations now.
    pub subscribed: bool,
    /// Connections made by callers (pooled: several under concurrency, and
    /// one more after each failure).
    pub connects: u64,
    /// Round trips to the server (several commands may share one).
    pub round_trips: u64,
    /// Their total time.
    pub round_trip_time: Duration,
    /// Failures of writes no caller waited for (a value stored after a
    /// miss, a lease released); the others are in each function's
    /// `tier_errors`.
    pub background_errors: u64,
}

impl RedisStats {
    /// `round_trip_time / round_trips`, zero before the first.
    pub fn mean_round_trip(&self) -> Duration {
        match u32::try_from(self.round_trips) {
            Ok(0) => Duration::ZERO,
            Ok(n) => self.round_trip_time / n,
            Err(_) => Duration::from_secs_f64(
                self.round_trip_time.as_secs_f64() / self.round_trips as f64,
            ),
        }
    }
}

/// A snapshot of [`RedisStats`].
///
/// ```
/// let stats = memokit_core::redis::stats();
/// assert!(!stats.configured, "no connect, no MEMOKIT_REDIS_URL read yet");
/// assert_eq!(stats.mean_round_trip(), std::time::Duration::ZERO);
/// ```
pub fn stats() -> RedisStats {
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    RedisStats {
        configured: STORE.get().is_some(),
        connected: COUNTERS.connected.load(Ordering::Relaxed),
        subscribed: events::SUBSCRIBED.load(Ordering::Relaxed),
        connects: load(&COUNTERS.connects),
        round_trips: load(&COUNTERS.round_trips),
        round_trip_time: Duration::from_nanos(load(&COUNTERS.round_trip_nanos)),
        background_errors: load(&COUNTERS.errors),
    }
}

/// One `GET` through memokit's connection, as a tier hit makes it: what
/// the benchmarks compare a hit with. Not for applications.
#[doc(hidden)]
pub fn raw_get(key: &[u8]) -> Result<Option<Vec<u8>>, TierError> {
    let store = STORE
        .get()
        .ok_or_else(|| TierError::new(TierErrorKind::Unavailable, "not connected"))?;
    match store.client.call(vec![store::cmd(&[b"GET", key])])?.pop() {
        Some(resp::Reply::Bulk(found)) => Ok(found),
        other => Err(TierError::new(TierErrorKind::Read, format!("{other:?}"))),
    }
}

/// The configured store, with where it is.
struct Configured {
    target: url::Target,
    store: RedisStore,
}

impl std::ops::Deref for Configured {
    type Target = RedisStore;
    fn deref(&self) -> &RedisStore {
        &self.store
    }
}

static STORE: OnceLock<Configured> = OnceLock::new();

/// Renews this process's leases every third of a lease
/// ("memokit-redis-leases").
fn start_renewing(every: Duration) {
    std::thread::Builder::new()
        .name("memokit-redis-leases".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            if let Some(store) = STORE.get() {
                store.renew_leases();
            }
        })
        .expect("memokit: cannot start the Redis lease thread");
}
static COUNTERS: Counters = Counters {
    round_trips: std::sync::atomic::AtomicU64::new(0),
    round_trip_nanos: std::sync::atomic::AtomicU64::new(0),
    errors: std::sync::atomic::AtomicU64::new(0),
    connects: std::sync::atomic::AtomicU64::new(0),
    connected: AtomicBool::new(false),
};

fn open(target: url::Target, options: Options) -> Configured {
    let client = Client::start(target.clone(), options.timeout, &COUNTERS);
    events::start(target.clone(), options.prefix.clone(), options.timeout);
    start_renewing(options.lease / 3);
    Configured {
        target,
        store: RedisStore::new(client, options),
    }
}

/// The store of `#[cached(redis)]` functions: the connected server, the one
/// `MEMOKIT_REDIS_URL` names, or none (memory only, said once in the log).
/// One server for every function, whatever its spec.
#[doc(hidden)]
pub fn store(_spec: &'static TierSpec) -> Result<&'static dyn Store, TierError> {
    if let Some(store) = STORE.get() {
        return Ok(&store.store);
    }
    static FROM_ENV: OnceLock<Result<(), String>> = OnceLock::new();
    let from_env = FROM_ENV.get_or_init(|| match std::env::var("MEMOKIT_REDIS_URL") {
        Ok(url) => connect(&url).map_err(|e| format!("MEMOKIT_REDIS_URL: {e}")),
        Err(_) => Err(
            "no server configured (neither memokit::redis::connect nor MEMOKIT_REDIS_URL)".into(),
        ),
    });
    match (from_env, STORE.get()) {
        (_, Some(store)) => Ok(&store.store),
        (Err(why), None) => {
            static SAID: AtomicBool = AtomicBool::new(false);
            if !SAID.swap(true, Ordering::Relaxed) {
                log::warn!(
                    "memokit: the Redis tier: {why}; `#[cached(redis)]` functions use memory only"
                );
            }
            Ok(&MemoryOnly)
        }
        (Ok(()), None) => Ok(&MemoryOnly),
    }
}

/// The store without a server: finds nothing, keeps nothing.
struct MemoryOnly;

impl Store for MemoryOnly {
    fn get(&self, _: &Namespace, _: &[u8], _: WallTime) -> Result<Option<Stored>, TierError> {
        Ok(None)
    }
    fn put(
        &self,
        _: &Namespace,
        _: &[u8],
        _: Vec<u8>,
        _: Option<WallTime>,
    ) -> Result<(), TierError> {
        Ok(())
    }
    fn remove(&self, _: &Namespace, _: &[u8]) -> Result<(), TierError> {
        Ok(())
    }
    fn clear(&self, _: &Namespace) -> Result<(), TierError> {
        Ok(())
    }
}

/// Logs a failure no function's policy logs (a background write, the
/// subscriber), once per kind.
fn log_once(error: &TierError) {
    static LOGGED: [AtomicBool; TierErrorKind::ALL.len()] =
        [const { AtomicBool::new(false) }; TierErrorKind::ALL.len()];
    if !LOGGED[error.kind.index()].swap(true, Ordering::Relaxed) {
        log::warn!("memokit: the Redis tier: {error}; calls go on without it (logged once per kind of failure)");
    }
}
