//! The background writer: every change to the file goes through one
//! thread, which commits whatever has queued up as one transaction, so a
//! caller never waits for the disk and a burst of misses costs one `fsync`
//! per group, not per entry.
//!
//! Durability: an entry is committed (redb's commit is atomic and
//! `fsync`ed) by the first commit that starts after its call returns:
//! usually within a few milliseconds, at most the time of two commits. A
//! crash before then loses the entries not yet committed, which for a cache
//! is only work: the file itself is never left half-written. A process
//! that exits normally flushes the queue first.

use std::collections::HashSet;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle};

use crate::disk::file::{entries, order, Failures, Pending, NAMESPACE_PREFIX};
use crate::disk::record;
use crate::tier::store::{TierError, TierErrorKind, WallTime};

/// How often expired entries are swept from the file.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The most changes one transaction groups.
const MAX_BATCH: usize = 4096;

/// A change queued for the file.
pub(crate) enum Op {
    Put {
        namespace: String,
        capacity: Option<usize>,
        key: Vec<u8>,
        record: Vec<u8>,
        seq: u64,
    },
    Remove {
        namespace: String,
        key: Vec<u8>,
        seq: u64,
    },
    Clear {
        namespace: String,
        seq: u64,
    },
    /// Answered once everything queued before it is committed.
    Flush(Sender<()>),
}

/// What the writer thread shares with the store.
pub(crate) struct Writer {
    pub(crate) db: Arc<Database>,
    pub(crate) pending: Arc<Mutex<Pending>>,
    /// Bumped after each commit, so readers take a new snapshot.
    pub(crate) generation: Arc<std::sync::atomic::AtomicU64>,
    /// Whether `pending` may hold anything (see `DiskStore`).
    pub(crate) queued: Arc<std::sync::atomic::AtomicBool>,
    pub(crate) failures: Arc<Failures>,
    /// The wall clock's offset for sweeps (tests move it).
    pub(crate) now: fn() -> WallTime,
}

impl Writer {
    /// Sweeps the file once, then commits queued changes until the store
    /// is dropped.
    pub(crate) fn run(self, queue: Receiver<Op>) {
        self.sweep();
        loop {
            let first = match queue.recv_timeout(SWEEP_EVERY) {
                Ok(op) => op,
                Err(RecvTimeoutError::Timeout) => {
                    self.sweep();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(op) => batch.push(op),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
    }

    /// Applies `batch` in one transaction; on failure, each namespace it
    /// touched is told on its next call (see [`Failures`]).
    fn commit(&self, batch: Vec<Op>) {
        let result = self.apply(&batch);
        // Before the queue forgets the batch: a read that no longer finds a
        // change queued then reads a snapshot that has it.
        self.new_generation();
        let mut flushes = Vec::new();
        let mut failed = HashSet::new();
        {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for op in &batch {
                match op {
                    Op::Put {
                        namespace,
                        key,
                        seq,
                        ..
                    }
                    | Op::Remove {
                        namespace,
                        key,
                        seq,
                    } => {
                        pending.settled(namespace, key, *seq);
                        failed.insert(namespace.as_str());
                    }
                    Op::Clear { namespace, seq } => {
                        pending.cleared(namespace, *seq);
                        failed.insert(namespace.as_str());
                    }
                    Op::Flush(done) => flushes.push(done),
                }
            }
            let left = !pending.is_empty();
            self.queued
                .store(left, std::sync::atomic::Ordering::Release);
        }
        if let Err(error) = result {
            for namespace in failed {
                self.failures.push(namespace, error.clone());
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }

    fn apply(&self, batch: &[Op]) -> Result<(), TierError> {
        let write = |e: &dyn std::fmt::Display| TierError::new(TierErrorKind::Write, e);
        let txn = self.db.begin_write().map_err(|e| write(&e))?;
        let mut bounded = Vec::new();
        for op in batch {
            match op {
                Op::Put {
                    namespace,
                    capacity,
                    key,
                    record,
                    seq,
                } => {
                    let mut table = txn.open_table(entries(namespace)).map_err(|e| write(&e))?;
                    table
                        .insert(key.as_slice(), record.as_slice())
                        .map_err(|e| write(&e))?;
                    if let Some(capacity) = capacity {
                        let name = order(namespace);
                        let mut order =
                            txn.open_table(order_table(&name)).map_err(|e| write(&e))?;
                        order.insert(*seq, key.as_slice()).map_err(|e| write(&e))?;
                        bounded.push((namespace.as_str(), *capacity));
                    }
                }
                Op::Remove { namespace, key, .. } => {
                    let mut table = txn.open_table(entries(namespace)).map_err(|e| write(&e))?;
                    table.remove(key.as_slice()).map_err(|e| write(&e))?;
                }
                Op::Clear { namespace, .. } => {
                    txn.delete_table(entries(namespace))
                        .map_err(|e| write(&e))?;
                    let name = order(namespace);
                    txn.delete_table(order_table(&name))
                        .map_err(|e| write(&e))?;
                }
                Op::Flush(_) => {}
            }
        }
        bounded.sort_unstable();
        bounded.dedup();
        for (namespace, capacity) in bounded {
            evict(&txn, namespace, capacity).map_err(|e| write(&e))?;
        }
        txn.commit().map_err(|e| write(&e))
    }

    /// Deletes every expired (or malformed) entry of every namespace.
    pub(crate) fn sweep(&self) {
        if let Err(error) = self.try_sweep() {
            // A sweep is nobody's call: the next write reports a broken file.
            log::debug!("memokit: sweeping the disk tier failed: {error}");
        }
    }

    fn try_sweep(&self) -> Result<(), String> {
        let now = (self.now)();
        let txn = self.db.begin_write().map_err(text)?;
        let names: Vec<String> = txn
            .list_tables()
            .map_err(text)?
            .map(|t| t.name().to_owned())
            .filter(|name| name.starts_with(NAMESPACE_PREFIX) && !name.contains('\0'))
            .collect();
        for name in names {
            let mut table = txn.open_table(entries(&name)).map_err(text)?;
            table
                .retain(|_, record| !record::is_expired(record, now))
                .map_err(text)?;
        }
        txn.commit().map_err(text)?;
        self.new_generation();
        Ok(())
    }

    fn new_generation(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }
}

/// A redb error as text (redb's errors are large to return by value).
fn text(e: impl Into<redb::Error>) -> String {
    e.into().to_string()
}

fn order_table(name: &str) -> TableDefinition<'_, u64, &'static [u8]> {
    TableDefinition::new(name)
}

/// Removes the oldest entries of `namespace` until at most `capacity` are
/// left; the order table names them by write sequence.
fn evict(txn: &redb::WriteTransaction, namespace: &str, capacity: usize) -> Result<(), String> {
    let mut table = txn.open_table(entries(namespace)).map_err(text)?;
    let name = order(namespace);
    let mut order = txn.open_table(order_table(&name)).map_err(text)?;
    while table.len().map_err(text)? > capacity as u64 {
        let Some((seq, key)) = order.pop_first().map_err(text)? else {
            break;
        };
        let (seq, key) = (seq.value(), key.value().to_vec());
        // A key written again since has a later sequence: this one is stale.
        let current = table
            .get(key.as_slice())
            .map_err(text)?
            .map(|r| record::written(r.value()));
        if let Some(Ok(written)) = current {
            if written == seq {
                table.remove(key.as_slice()).map_err(text)?;
            }
        }
    }
    Ok(())
}
