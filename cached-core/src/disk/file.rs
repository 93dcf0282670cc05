//! The disk tier's store: one redb file, read directly, written through
//! the background [`Writer`](crate::disk::writer::Writer).
//!
//! Changes not yet committed are kept in [`Pending`], which reads consult
//! first, so a process sees its own writes, removals and clears at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redb::{Database, ReadOnlyTable, ReadableTable, TableDefinition, TableError};

use crate::disk::record;
use crate::disk::writer::{Op, Writer};
use crate::tier::namespace::Namespace;
use crate::tier::store::{Store, Stored, TierError, TierErrorKind, WallTime};

/// Every namespace's table name starts so (see `Namespace`).
pub(crate) const NAMESPACE_PREFIX: &str = "memokit1/";
/// The format of the file's contents, kept in [`META`]: bumped if the
/// record layout ever changes; a file of another format is not used.
pub(crate) const FORMAT: u64 = 1;
const META: TableDefinition<&str, u64> = TableDefinition::new("memokit");

/// The table of one namespace's entries.
pub(crate) fn entries(namespace: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(namespace)
}

/// The name of the table ordering a bounded namespace's entries by write.
pub(crate) fn order(namespace: &str) -> String {
    format!("{namespace}\0order")
}

/// Changes queued but not yet committed, by namespace and key; each with
/// the sequence number of the change that made it. Looked up by borrowed
/// keys, so a read allocates nothing.
#[derive(Default)]
pub(crate) struct Pending {
    namespaces: HashMap<String, Queued, foldhash::fast::RandomState>,
}

/// One namespace's queued changes.
#[derive(Default)]
struct Queued {
    entries: HashMap<Vec<u8>, (u64, Option<Stored>), foldhash::fast::RandomState>,
    /// The sequence number of a queued clear.
    clear: Option<u64>,
}

/// What `Pending` knows of a key.
enum Known {
    /// Written or removed (`None`) and not yet committed.
    Changed(Option<Stored>),
    /// Nothing queued: the file answers.
    Unknown,
}

impl Pending {
    fn lookup(&self, namespace: &str, key: &[u8]) -> Known {
        let Some(queued) = self.namespaces.get(namespace) else {
            return Known::Unknown;
        };
        match queued.entries.get(key) {
            Some((_, change)) => Known::Changed(change.clone()),
            None if queued.clear.is_some() => Known::Changed(None),
            None => Known::Unknown,
        }
    }

    fn queued(&mut self, namespace: &str) -> &mut Queued {
        if !self.namespaces.contains_key(namespace) {
            self.namespaces
                .insert(namespace.to_owned(), Queued::default());
        }
        self.namespaces.get_mut(namespace).expect("inserted above")
    }

    fn change(&mut self, namespace: &str, key: &[u8], seq: u64, change: Option<Stored>) {
        self.queued(namespace)
            .entries
            .insert(key.to_vec(), (seq, change));
    }

    fn clear(&mut self, namespace: &str, seq: u64) {
        let queued = self.queued(namespace);
        queued.entries.clear();
        queued.clear = Some(seq);
    }

    /// The change `seq` of a key is committed (or failed): forgotten here
    /// unless a later one replaced it.
    pub(crate) fn settled(&mut self, namespace: &str, key: &[u8], seq: u64) {
        if let Some(queued) = self.namespaces.get_mut(namespace) {
            if queued.entries.get(key).is_some_and(|(s, _)| *s == seq) {
                queued.entries.remove(key);
            }
            self.forget_if_empty(namespace);
        }
    }

    /// The clear `seq` of a namespace is committed (or failed).
    pub(crate) fn cleared(&mut self, namespace: &str, seq: u64) {
        if let Some(queued) = self.namespaces.get_mut(namespace) {
            if queued.clear == Some(seq) {
                queued.clear = None;
            }
            self.forget_if_empty(namespace);
        }
    }

    fn forget_if_empty(&mut self, namespace: &str) {
        if self
            .namespaces
            .get(namespace)
            .is_some_and(|q| q.entries.is_empty() && q.clear.is_none())
        {
            self.namespaces.remove(namespace);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
    }
}

/// Failures of background commits, reported to each namespace they
/// touched on its next call, so they are counted for its function.
#[derive(Default)]
pub(crate) struct Failures {
    any: AtomicBool,
    by_namespace: Mutex<HashMap<String, TierError>>,
}

impl Failures {
    pub(crate) fn push(&self, namespace: &str, error: TierError) {
        let mut map = self.by_namespace.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(namespace.to_owned(), error);
        self.any.store(true, Ordering::Release);
    }

    /// The failure of a background commit for `namespace`, if one is due.
    fn take(&self, namespace: &str) -> Result<(), TierError> {
        if !self.any.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut map = self.by_namespace.lock().unwrap_or_else(|e| e.into_inner());
        let taken = map.remove(namespace);
        if map.is_empty() {
            self.any.store(false, Ordering::Release);
        }
        taken.map_or(Ok(()), Err)
    }
}

/// A namespace's table, read-only.
type EntriesTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// The tables of one committed state of the file, kept between reads until
/// the writer commits again: opening a read transaction and a table costs
/// more than the lookup itself.
struct Snapshot {
    generation: u64,
    /// `None`: the namespace has no table in this state.
    tables: HashMap<String, Option<EntriesTable>, foldhash::fast::RandomState>,
}

/// The disk tier's store.
pub(crate) struct DiskStore {
    path: PathBuf,
    db: Arc<Database>,
    pending: Arc<Mutex<Pending>>,
    /// Whether `pending` may hold anything: a read of a store with nothing
    /// queued takes no lock.
    queued: Arc<AtomicBool>,
    failures: Arc<Failures>,
    /// Bumped by the writer after each commit, before the queue forgets it.
    generation: Arc<AtomicU64>,
    snapshot: Mutex<Option<Snapshot>>,
    /// `None` once dropped.
    queue: Mutex<Option<Sender<Op>>>,
    seq: AtomicU64,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Drop for DiskStore {
    /// Commits what is queued and closes the file (the writer holds it).
    fn drop(&mut self) {
        self.queue
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(writer) = self
            .writer
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = writer.join();
        }
    }
}

fn unavailable(path: &Path, e: impl std::fmt::Display) -> TierError {
    TierError::new(
        TierErrorKind::Unavailable,
        format!("{}: {e}", path.display()),
    )
}

fn read_error(e: impl std::fmt::Display) -> TierError {
    TierError::new(TierErrorKind::Read, e)
}

fn system_wall() -> WallTime {
    WallTime::now()
}

impl DiskStore {
    /// Opens (or creates, with its directory) the file at `path`. Fails for
    /// a path that cannot be created or opened, a file that is not a redb
    /// database of a format this build reads (corrupt, or of another
    /// format), and one another process holds.
    pub(crate) fn open(path: &Path) -> Result<DiskStore, TierError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| unavailable(path, e))?;
        }
        // redb asserts some of its invariants on a damaged file (one cut
        // short) instead of returning an error: either way, not usable.
        let opened = std::panic::catch_unwind(|| Database::create(path));
        let db = match opened {
            Ok(db) => db.map_err(|e| unavailable(path, e))?,
            Err(_) => return Err(unavailable(path, "the file is damaged (redb refused it)")),
        };
        Self::start(path, db, system_wall)
    }

    /// Uses `db` (opened on any backend) for the file at `path`.
    pub(crate) fn start(
        path: &Path,
        db: Database,
        now: fn() -> WallTime,
    ) -> Result<DiskStore, TierError> {
        check_format(&db).map_err(|e| unavailable(path, e))?;
        let db = Arc::new(db);
        let pending = Arc::new(Mutex::new(Pending::default()));
        let queued = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(AtomicU64::new(0));
        let failures = Arc::new(Failures::default());
        let (queue, received) = mpsc::channel();
        let writer = Writer {
            db: Arc::clone(&db),
            pending: Arc::clone(&pending),
            queued: Arc::clone(&queued),
            generation: Arc::clone(&generation),
            failures: Arc::clone(&failures),
            now,
        };
        let writer = std::thread::Builder::new()
            .name("memokit-disk".to_owned())
            .spawn(move || writer.run(received))
            .map_err(|e| unavailable(path, e))?;
        Ok(DiskStore {
            path: path.to_owned(),
            db,
            pending,
            queued,
            generation,
            snapshot: Mutex::new(None),
            failures,
            queue: Mutex::new(Some(queue)),
            seq: AtomicU64::new(1),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The queued changes, to add one: readers look from now on.
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        self.queued.store(true, Ordering::Release);
        pending
    }

    /// What the queue knows of `key`, without a lock when it is empty.
    fn queued_change(&self, namespace: &str, key: &[u8]) -> Known {
        if !self.queued.load(Ordering::Acquire) {
            return Known::Unknown;
        }
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.lookup(namespace, key)
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    fn send(&self, op: Op) -> Result<(), TierError> {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        let sent = queue.as_ref().map(|queue| queue.send(op));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(TierError::new(
                TierErrorKind::Write,
                "the disk writer stopped",
            )),
        }
    }

    /// Waits until every change queued so far is committed, or `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (done, wait) = mpsc::channel();
        self.send(Op::Flush(done)).is_ok() && wait.recv_timeout(timeout).is_ok()
    }

    fn read_file(&self, namespace: &str, key: &[u8]) -> Result<Option<Vec<u8>>, TierError> {
        let generation = self.generation.load(Ordering::Acquire);
        let mut snapshot = self.snapshot.lock().unwrap_or_else(|e| e.into_inner());
        if snapshot.as_ref().is_none_or(|s| s.generation != generation) {
            *snapshot = Some(Snapshot {
                generation,
                tables: HashMap::default(),
            });
        }
        let snapshot = snapshot.as_mut().expect("set above");
        if !snapshot.tables.contains_key(namespace) {
            let table = self.open_table(namespace)?;
            snapshot.tables.insert(namespace.to_owned(), table);
        }
        let Some(table) = &snapshot.tables[namespace] else {
            return Ok(None);
        };
        let found = table.get(key).map_err(read_error)?;
        Ok(found.map(|record| record.value().to_vec()))
    }

    /// The namespace's table in the file's latest committed state.
    fn open_table(&self, namespace: &str) -> Result<Option<EntriesTable>, TierError> {
        let txn = self.db.begin_read().map_err(read_error)?;
        match txn.open_table(entries(namespace)) {
            Ok(table) => Ok(Some(table)),
            Err(TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(read_error(e)),
        }
    }

    /// Runs `f` on the database, for tests that look at the file itself.
    #[cfg(test)]
    pub(crate) fn raw<T>(&self, f: impl FnOnce(&Database) -> T) -> T {
        f(&self.db)
    }

    /// Queues the removal of an entry the file should no longer hold.
    fn forget(&self, namespace: &Namespace, key: &[u8]) {
        let _ = self.remove(namespace, key);
    }
}

/// Writes this build's format into a new file; refuses one of another.
fn check_format(db: &Database) -> Result<(), String> {
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    {
        let mut meta = txn.open_table(META).map_err(|e| e.to_string())?;
        let format = meta
            .get("format")
            .map_err(|e| e.to_string())?
            .map(|v| v.value());
        match format {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(format!(
                    "written by another version of memokit (format {other}, this build reads {FORMAT}); delete the file to start afresh"
                ))
            }
            None => {
                meta.insert("format", FORMAT).map_err(|e| e.to_string())?;
            }
        }
    }
    txn.commit().map_err(|e| e.to_string())
}

impl Store for DiskStore {
    fn get(
        &self,
        namespace: &Namespace,
        key: &[u8],
        now: WallTime,
    ) -> Result<Option<Stored>, TierError> {
        self.failures.take(namespace.as_str())?;
        let live = |s: &Stored| s.expires.is_none_or(|e| e > now);
        if let Known::Changed(change) = self.queued_change(namespace.as_str(), key) {
            return Ok(change.filter(live));
        }
        let Some(bytes) = self.read_file(namespace.as_str(), key)? else {
            return Ok(None);
        };
        match record::decode(&bytes) {
            Ok(stored) if live(&stored) => Ok(Some(stored)),
            Ok(_) => {
                self.forget(namespace, key);
                Ok(None)
            }
            Err(record::Malformed) => {
                self.forget(namespace, key);
                Err(TierError::new(
                    TierErrorKind::Codec,
                    "an entry of the file is malformed (deleted)",
                ))
            }
        }
    }

    fn put(
        &self,
        namespace: &Namespace,
        key: &[u8],
        value: Vec<u8>,
        expires: Option<WallTime>,
    ) -> Result<(), TierError> {
        self.failures.take(namespace.as_str())?;
        let seq = self.next_seq();
        let record = record::encode(&value, expires, seq);
        let stored = Stored { value, expires };
        self.pending()
            .change(namespace.as_str(), key, seq, Some(stored));
        self.send(Op::Put {
            namespace: namespace.as_str().to_owned(),
            capacity: namespace.capacity(),
            key: key.to_vec(),
            record,
            seq,
        })
    }

    fn remove(&self, namespace: &Namespace, key: &[u8]) -> Result<(), TierError> {
        let seq = self.next_seq();
        self.pending().change(namespace.as_str(), key, seq, None);
        self.send(Op::Remove {
            namespace: namespace.as_str().to_owned(),
            key: key.to_vec(),
            seq,
        })
    }

    fn clear(&self, namespace: &Namespace) -> Result<(), TierError> {
        let seq = self.next_seq();
        self.pending().clear(namespace.as_str(), seq);
        self.send(Op::Clear {
            namespace: namespace.as_str().to_owned(),
            seq,
        })
    }
}
