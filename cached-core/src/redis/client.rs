//! Round trips to the server. A caller makes its own on a pooled
//! connection, every wait bounded by the timeout (an `async fn`'s read runs
//! on memokit's tier threads, see `tier/offload.rs`, never on its
//! executor's); writes nobody waits for (a value stored after a miss, a
//! lease released) go to one background thread ("memokit-redis") that
//! sends whatever has queued up together (pipelining), in order.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::redis::conn::{is_timeout, Conn, ConnError};
use crate::redis::resp::Reply;
use crate::redis::url::Target;
use crate::tier::store::{TierError, TierErrorKind};

/// One command: its arguments.
pub(crate) type Command = Vec<Vec<u8>>;

/// The replies to a group of commands, one each, in order.
pub(crate) type Replies = Result<Vec<Reply>, TierError>;

/// The process-wide counters of the connections (see `RedisStats`).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) round_trips: AtomicU64,
    pub(crate) round_trip_nanos: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connected: AtomicBool,
}

/// The most idle connections kept.
const POOL: usize = 32;

/// The handle callers use.
pub(crate) struct Client {
    target: Target,
    timeout: Duration,
    counters: &'static Counters,
    idle: Mutex<Vec<Conn>>,
    background: Sender<Vec<Command>>,
    /// When (nanoseconds after `epoch()`, 0: never) a round trip last ran
    /// out of time: for one timeout after it, calls fail at once, so that a
    /// failing read and the write after it (or several functions' calls)
    /// cost one timeout, not one each.
    timed_out_at: AtomicU64,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn since_epoch() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Client {
    /// A client of `target`; it connects on first use.
    pub(crate) fn start(target: Target, timeout: Duration, counters: &'static Counters) -> Client {
        let (background, queue) = mpsc::channel();
        let worker = (target.clone(), timeout);
        std::thread::Builder::new()
            .name("memokit-redis".into())
            .spawn(move || write_behind(&worker.0, worker.1, counters, queue))
            .expect("memokit: cannot start the Redis I/O thread");
        Client {
            target,
            timeout,
            counters,
            idle: Mutex::new(Vec::new()),
            background,
            timed_out_at: AtomicU64::new(0),
        }
    }

    /// Sends `commands` together and reads their replies, on this thread,
    /// waiting at most the timeout for each step.
    pub(crate) fn call(&self, commands: Vec<Command>) -> Replies {
        let failed = self.timed_out_at.load(Ordering::Relaxed);
        let window = u64::try_from(self.timeout.as_nanos()).unwrap_or(u64::MAX);
        if failed != 0 && since_epoch().saturating_sub(failed) < window {
            return Err(TierError::new(
                TierErrorKind::Read,
                "the server did not answer a moment ago (skipped without waiting)",
            ));
        }
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let was_pooled = pooled.is_some();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.open()?,
        };
        let mut result = self.trip(&mut conn, &commands);
        // A pooled connection the server closed (it restarted) fails at
        // once, before the server saw anything: one retry on a new one.
        if was_pooled && result.as_ref().is_err_and(|e| !timed_out(e)) {
            conn = self.open()?;
            result = self.trip(&mut conn, &commands);
        }
        match &result {
            Ok(_) => {
                self.counters.connected.store(true, Ordering::Relaxed);
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                if idle.len() < POOL {
                    idle.push(conn);
                }
            }
            Err(e) => self.lost(e),
        }
        result
    }

    fn trip(&self, conn: &mut Conn, commands: &[Command]) -> Replies {
        timed(self.counters, || {
            settle(conn, self.counters)?;
            round_trip(conn, commands)
        })
    }

    /// Sends `commands` without waiting for their replies: written on an
    /// idle pooled connection, whose next round trip reads them first (so
    /// they cost no round trip of their own), or else by the background
    /// thread. A failure is counted in the connection's statistics and
    /// logged once.
    pub(crate) fn send(&self, commands: Vec<Command>) {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let Some(mut conn) = pooled else {
            let _ = self.background.send(commands);
            return;
        };
        for command in &commands {
            let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
            conn.queue(&args);
        }
        match conn.flush() {
            Ok(()) => {
                conn.owed += commands.len();
                self.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(conn);
            }
            Err(e) => {
                background_failed(self.counters, TierError::new(TierErrorKind::Write, e));
                self.lost(&TierError::new(TierErrorKind::Write, "a write failed"));
            }
        }
    }

    fn open(&self) -> Result<Conn, TierError> {
        match Conn::open(&self.target, self.timeout) {
            Ok(conn) => {
                self.counters.connects.fetch_add(1, Ordering::Relaxed);
                Ok(conn)
            }
            Err(e) => {
                let error = unreachable(&self.target, &e);
                if matches!(&e, ConnError::Io(io) if is_timeout(io)) {
                    self.lost(&error);
                }
                self.counters.connected.store(false, Ordering::Relaxed);
                Err(error)
            }
        }
    }

    /// A round trip failed: its connection is dropped (its replies may be
    /// out of step), and the pooled ones too, which likely broke with it.
    fn lost(&self, error: &TierError) {
        self.counters.connected.store(false, Ordering::Relaxed);
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if timed_out(error) {
            self.timed_out_at.store(since_epoch(), Ordering::Relaxed);
        }
    }
}

/// Whether `error` is a wait that ran out of time.
fn timed_out(error: &TierError) -> bool {
    error.message.contains(NO_ANSWER)
}

const NO_ANSWER: &str = "no answer in time";

/// Runs `trip`, adding it to the round-trip counters.
fn timed<T>(counters: &Counters, trip: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = trip();
    let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    counters.round_trips.fetch_add(1, Ordering::Relaxed);
    counters.round_trip_nanos.fetch_add(took, Ordering::Relaxed);
    result
}

/// Reads the replies `conn` owes for commands sent without waiting.
fn settle(conn: &mut Conn, counters: &Counters) -> Result<(), TierError> {
    while conn.owed > 0 {
        let reply = conn.read().map_err(lost)?;
        conn.owed -= 1;
        if let Some(refused) = reply.error() {
            background_failed(counters, TierError::new(TierErrorKind::Write, refused));
        }
    }
    Ok(())
}

fn background_failed(counters: &Counters, error: TierError) {
    counters.errors.fetch_add(1, Ordering::Relaxed);
    crate::redis::log_once(&error);
}

fn lost(e: std::io::Error) -> TierError {
    let what = if is_timeout(&e) {
        NO_ANSWER
    } else {
        "the connection broke"
    };
    TierError::new(TierErrorKind::Read, format!("{what}: {e}"))
}

/// Writes `commands`, then reads one reply each.
fn round_trip(conn: &mut Conn, commands: &[Command]) -> Replies {
    for command in commands {
        let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
        conn.queue(&args);
    }
    conn.flush().map_err(lost)?;
    (0..commands.len())
        .map(|_| conn.read().map_err(lost))
        .collect()
}

/// The background thread: sends queued writes, several per round trip.
fn write_behind(
    target: &Target,
    timeout: Duration,
    counters: &'static Counters,
    queue: Receiver<Vec<Command>>,
) {
    let mut conn: Option<Conn> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = first;
        while batch.len() < 256 {
            match queue.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        let result = match conn.take() {
            Some(c) => Ok(c),
            None => Conn::open(target, timeout).map_err(|e| unreachable(target, &e)),
        }
        .and_then(|mut c| {
            let replies = timed(counters, || round_trip(&mut c, &batch))?;
            conn = Some(c);
            Ok(replies)
        });
        let refused = match result {
            Err(e) => Some(e),
            Ok(replies) => replies
                .iter()
                .find_map(Reply::error)
                .map(|e| TierError::new(TierErrorKind::Write, e)),
        };
        if let Some(error) = refused {
            background_failed(counters, error);
        }
    }
}

/// The error of a connection that could not be made.
pub(crate) fn unreachable(target: &Target, e: &ConnError) -> TierError {
    TierError::new(
        TierErrorKind::Unavailable,
        format!("cannot use the server at {target}: {e}"),
    )
}
