//! The command connection, owned by one I/O thread ("memokit-redis"):
//! callers hand it commands and wait for the replies with a bound (a sync
//! caller) or await them (an async one), so no caller's thread reads a
//! socket. Commands queued while a round trip is out go together in the
//! next one (pipelining), in order.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::redis::conn::{is_timeout, Conn, ConnError};
use crate::redis::resp::Reply;
use crate::redis::url::Target;
use crate::tier::oneshot::{self, Answer, Got};
use crate::tier::store::{TierError, TierErrorKind};

/// One command: its arguments.
pub(crate) type Command = Vec<Vec<u8>>;

/// The replies to a group of commands, one each, in order.
pub(crate) type Replies = Result<Vec<Reply>, TierError>;

/// A group of commands sent together, and who waits for the replies
/// (`None`: nobody; failures are counted and logged by the thread).
struct Job {
    commands: Vec<Command>,
    reply: Option<oneshot::Reply<Replies>>,
}

/// The process-wide counters of the connection (see `RedisStats`).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) round_trips: AtomicU64,
    pub(crate) round_trip_nanos: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) connects: AtomicU64,
    pub(crate) connected: AtomicBool,
    pub(crate) stuck: AtomicBool,
}

/// The handle callers use.
pub(crate) struct Client {
    jobs: Sender<Job>,
    timeout: Duration,
    /// Set when a caller gave up waiting, cleared by the next round trip
    /// that succeeds: while the thread is stuck on an unanswering server,
    /// later calls (the write after a failed read, other functions) do not
    /// each wait a whole timeout.
    stuck: &'static AtomicBool,
}

impl Client {
    /// Starts the I/O thread for `target`; it connects on first use.
    pub(crate) fn start(target: Target, timeout: Duration, counters: &'static Counters) -> Client {
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("memokit-redis".into())
            .spawn(move || {
                Worker {
                    target,
                    timeout,
                    counters,
                    conn: None,
                }
                .run(queue)
            })
            .expect("memokit: cannot start the Redis I/O thread");
        Client {
            jobs,
            timeout,
            stuck: &counters.stuck,
        }
    }

    /// Sends `commands` and waits at most the timeout for their replies
    /// (a moment only while an earlier call is still unanswered).
    pub(crate) fn call(&self, commands: Vec<Command>) -> Replies {
        let answer = self.submit(commands);
        let bound = if self.stuck.load(Ordering::Relaxed) {
            Duration::from_millis(1)
        } else {
            self.timeout
        };
        match answer.wait(bound) {
            Got::Answer(replies) => replies,
            Got::Gone => Err(gone()),
            Got::Late => {
                self.stuck.store(true, Ordering::Relaxed);
                Err(TierError::new(
                    TierErrorKind::Read,
                    format!("no answer within {:?} (the timeout)", self.timeout),
                ))
            }
        }
    }

    /// Sends `commands` without waiting: a failure is counted in the
    /// connection's statistics and logged once.
    pub(crate) fn send(&self, commands: Vec<Command>) {
        let _ = self.jobs.send(Job {
            commands,
            reply: None,
        });
    }

    fn submit(&self, commands: Vec<Command>) -> Answer<Replies> {
        let (reply, answer) = oneshot::channel();
        // A send fails only if the thread is gone; the answer then is too.
        let _ = self.jobs.send(Job {
            commands,
            reply: Some(reply),
        });
        answer
    }
}

fn gone() -> TierError {
    TierError::new(
        TierErrorKind::Unavailable,
        "the Redis I/O thread has stopped",
    )
}

/// The I/O thread's state.
struct Worker {
    target: Target,
    timeout: Duration,
    counters: &'static Counters,
    conn: Option<Conn>,
}

/// The most jobs sent in one round trip.
const BATCH: usize = 128;

impl Worker {
    fn run(mut self, queue: Receiver<Job>) {
        while let Ok(first) = queue.recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.serve(batch);
        }
    }

    fn serve(&mut self, batch: Vec<Job>) {
        let started = Instant::now();
        let result = self.round_trip(&batch);
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.counters.round_trips.fetch_add(1, Ordering::Relaxed);
        self.counters
            .round_trip_nanos
            .fetch_add(took, Ordering::Relaxed);
        let mut replies = match result {
            Ok(replies) => {
                self.counters.stuck.store(false, Ordering::Relaxed);
                replies.into_iter()
            }
            Err(error) => {
                self.conn = None;
                self.counters.connected.store(false, Ordering::Relaxed);
                for job in batch {
                    self.answer(job, Err(error.clone()));
                }
                return;
            }
        };
        for job in batch {
            let mine = replies.by_ref().take(job.commands.len()).collect();
            self.answer(job, Ok(mine));
        }
    }

    fn answer(&self, job: Job, replies: Replies) {
        match job.reply {
            Some(reply) => reply.send(replies),
            None => {
                let refused = match &replies {
                    Err(e) => Some(e.clone()),
                    Ok(replies) => replies
                        .iter()
                        .find_map(Reply::error)
                        .map(|e| TierError::new(TierErrorKind::Write, e)),
                };
                if let Some(error) = refused {
                    self.counters.errors.fetch_add(1, Ordering::Relaxed);
                    crate::redis::log_once(&error);
                }
            }
        }
    }

    /// Writes every job's commands, then reads every reply.
    fn round_trip(&mut self, batch: &[Job]) -> Result<Vec<Reply>, TierError> {
        let conn = self.connection()?;
        let mut count = 0;
        for job in batch {
            for command in &job.commands {
                let args: Vec<&[u8]> = command.iter().map(Vec::as_slice).collect();
                conn.queue(&args);
                count += 1;
            }
        }
        let lost = |e: std::io::Error| {
            let what = if is_timeout(&e) {
                "no answer in time"
            } else {
                "the connection broke"
            };
            TierError::new(TierErrorKind::Read, format!("{what}: {e}"))
        };
        conn.flush().map_err(lost)?;
        (0..count).map(|_| conn.read().map_err(lost)).collect()
    }

    fn connection(&mut self) -> Result<&mut Conn, TierError> {
        if self.conn.is_none() {
            let conn = Conn::open(&self.target, self.timeout)
                .map_err(|e| unreachable(&self.target, &e))?;
            self.counters.connects.fetch_add(1, Ordering::Relaxed);
            self.counters.connected.store(true, Ordering::Relaxed);
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("just connected"))
    }
}

/// The error of a connection that could not be made.
pub(crate) fn unreachable(target: &Target, e: &ConnError) -> TierError {
    TierError::new(
        TierErrorKind::Unavailable,
        format!("cannot use the server at {target}: {e}"),
    )
}
