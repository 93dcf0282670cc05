//! The disk store on real files, and each way a file can fail.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redb::backends::FileBackend;
use redb::{Database, StorageBackend};

use super::file::{entries, DiskStore, FORMAT};
use super::record;
use crate::tier::namespace::Namespace;
use crate::tier::store::{Store, TierErrorKind, WallTime};

/// A fresh directory for one test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("memokit-disk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Dir(dir)
    }
    fn file(&self) -> PathBuf {
        self.0.join("cache.redb")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ns(name: &str) -> Namespace {
    Namespace::named(format!("memokit1/test/{name}"))
}

const NOW: WallTime = WallTime(1_000_000);

fn value(store: &DiskStore, ns: &Namespace, key: &[u8]) -> Option<Vec<u8>> {
    store.get(ns, key, NOW).unwrap().map(|s| s.value)
}

#[test]
fn writes_survive_a_reopen_and_a_process_sees_its_own_at_once() {
    let dir = Dir::new("reopen");
    let a = ns("a");
    {
        let store = DiskStore::open(&dir.file()).unwrap();
        store.put(&a, b"k", b"v".to_vec(), None).unwrap();
        assert_eq!(
            value(&store, &a, b"k").as_deref(),
            Some(&b"v"[..]),
            "before the commit"
        );
        store.put(&a, b"gone", b"x".to_vec(), None).unwrap();
        store.remove(&a, b"gone").unwrap();
        assert_eq!(value(&store, &a, b"gone"), None);
    }
    let store = DiskStore::open(&dir.file()).unwrap();
    assert_eq!(value(&store, &a, b"k").as_deref(), Some(&b"v"[..]));
    assert_eq!(value(&store, &a, b"gone"), None);
}

#[test]
fn expired_entries_are_never_read_and_are_deleted_on_open() {
    let dir = Dir::new("expiry");
    let a = ns("a");
    {
        let store = DiskStore::open(&dir.file()).unwrap();
        store
            .put(&a, b"old", b"1".to_vec(), Some(WallTime(5)))
            .unwrap();
        // The sweep reads the system's clock: far ahead of it.
        let future = WallTime::now().after(Duration::from_secs(3600));
        store.put(&a, b"new", b"2".to_vec(), Some(future)).unwrap();
        assert_eq!(value(&store, &a, b"old"), None);
        assert!(store.flush(Duration::from_secs(5)));
    }
    let store = DiskStore::open(&dir.file()).unwrap();
    assert!(
        store.flush(Duration::from_secs(5)),
        "the sweep on open ran first"
    );
    assert_eq!(raw_len(&store, &a), 1, "swept");
    assert_eq!(value(&store, &a, b"new").as_deref(), Some(&b"2"[..]));
}

fn raw_len(store: &DiskStore, namespace: &Namespace) -> u64 {
    use redb::ReadableTableMetadata;
    store.raw(|db| {
        let txn = db.begin_read().unwrap();
        txn.open_table(entries(namespace.as_str()))
            .map_or(0, |t| t.len().unwrap())
    })
}

#[test]
fn capacity_bounds_a_namespace_on_disk_oldest_first() {
    let dir = Dir::new("capacity");
    let bounded = ns("bounded").with_capacity(Some(3));
    let store = DiskStore::open(&dir.file()).unwrap();
    for i in 0u8..10 {
        store.put(&bounded, &[i], vec![i], None).unwrap();
        assert!(store.flush(Duration::from_secs(5)));
    }
    assert_eq!(raw_len(&store, &bounded), 3);
    assert_eq!(value(&store, &bounded, &[9]), Some(vec![9]));
    assert_eq!(value(&store, &bounded, &[6]), None);
}

#[test]
fn clear_removes_one_namespace_only() {
    let dir = Dir::new("clear");
    let (a, b) = (ns("a"), ns("b"));
    let store = DiskStore::open(&dir.file()).unwrap();
    store.put(&a, b"k", b"1".to_vec(), None).unwrap();
    store.put(&b, b"k", b"2".to_vec(), None).unwrap();
    store.clear(&a).unwrap();
    assert_eq!(value(&store, &a, b"k"), None, "before the commit");
    assert!(store.flush(Duration::from_secs(5)));
    assert_eq!(value(&store, &a, b"k"), None);
    assert_eq!(value(&store, &b, b"k"), Some(b"2".to_vec()));
}

fn open_error(path: &std::path::Path) -> String {
    match DiskStore::open(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => {
            assert_eq!(e.kind, TierErrorKind::Unavailable);
            e.message
        }
    }
}

#[test]
fn a_corrupt_file_is_refused() {
    let dir = Dir::new("corrupt");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.file(), vec![0x5a; 64 * 1024]).unwrap();
    open_error(&dir.file());
}

#[test]
fn a_truncated_file_is_refused_or_repaired_never_misread() {
    let dir = Dir::new("truncated");
    let a = ns("a");
    {
        let store = DiskStore::open(&dir.file()).unwrap();
        for i in 0u16..500 {
            store.put(&a, &i.to_le_bytes(), vec![7; 100], None).unwrap();
        }
    }
    let len = std::fs::metadata(dir.file()).unwrap().len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.file())
        .unwrap();
    file.set_len(len / 3).unwrap();
    drop(file);
    if let Ok(store) = DiskStore::open(&dir.file()) {
        for i in 0u16..500 {
            if let Ok(Some(found)) = store.get(&a, &i.to_le_bytes(), NOW) {
                assert_eq!(found.value, vec![7; 100]);
            }
        }
    }
}

#[test]
fn a_file_of_another_format_is_refused() {
    let dir = Dir::new("format");
    std::fs::create_dir_all(&dir.0).unwrap();
    {
        let db = Database::create(dir.file()).unwrap();
        let txn = db.begin_write().unwrap();
        let meta: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("memokit");
        txn.open_table(meta)
            .unwrap()
            .insert("format", FORMAT + 1)
            .unwrap();
        txn.commit().unwrap();
    }
    assert!(open_error(&dir.file()).contains("another version of memokit"));
}

#[test]
fn a_missing_directory_is_created_and_an_unusable_one_refused() {
    let dir = Dir::new("dirs");
    let deep = dir.0.join("a/b/c.redb");
    drop(DiskStore::open(&deep).unwrap());
    assert!(deep.exists());
    // A directory that cannot exist: its parent is a file.
    std::fs::write(dir.0.join("plain"), b"").unwrap();
    open_error(&dir.0.join("plain/x.redb"));
    // A read-only file system, whoever runs the test (root included).
    open_error(std::path::Path::new("/proc/memokit-test/x.redb"));
}

#[test]
fn a_file_another_holder_has_open_is_refused() {
    let dir = Dir::new("held");
    let _held = DiskStore::open(&dir.file()).unwrap();
    open_error(&dir.file());
}

/// A file that can grow only to `limit` bytes: a full disk.
#[derive(Debug)]
struct TinyDisk {
    file: FileBackend,
    limit: Arc<AtomicU64>,
}

impl StorageBackend for TinyDisk {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.file.len()
    }
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, std::io::Error> {
        self.file.read(offset, len)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        if len > self.limit.load(Ordering::Relaxed) {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        self.file.set_len(len)
    }
    fn sync_data(&self, eventual: bool) -> Result<(), std::io::Error> {
        self.file.sync_data(eventual)
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        if offset + data.len() as u64 > self.limit.load(Ordering::Relaxed) {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        self.file.write(offset, data)
    }
}

#[test]
fn a_full_disk_fails_writes_reported_to_their_namespace_and_reads_go_on() {
    let dir = Dir::new("full");
    std::fs::create_dir_all(&dir.0).unwrap();
    let limit = Arc::new(AtomicU64::new(u64::MAX));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.file())
        .unwrap();
    let backend = TinyDisk {
        file: FileBackend::new(file).unwrap(),
        limit: Arc::clone(&limit),
    };
    let db = Database::builder().create_with_backend(backend).unwrap();
    let store = DiskStore::start(&dir.file(), db, || NOW).unwrap();
    let (a, b) = (ns("a"), ns("b"));
    store.put(&a, b"small", b"1".to_vec(), None).unwrap();
    assert!(store.flush(Duration::from_secs(5)));
    limit.store(
        std::fs::metadata(dir.file()).unwrap().len(),
        Ordering::Relaxed,
    );
    store.put(&a, b"big", vec![1; 1 << 20], None).unwrap();
    assert!(store.flush(Duration::from_secs(5)));
    // The failed commit is reported to the namespace it was for, once.
    let failed = store.put(&a, b"next", b"2".to_vec(), None).unwrap_err();
    assert_eq!(failed.kind, TierErrorKind::Write);
    store.put(&b, b"k", b"3".to_vec(), None).unwrap();
    // After an I/O error redb refuses the file until it is reopened: each
    // call is then an error (the tier counts it and falls back to memory),
    // never a panic or a wrong value.
    assert!(store.flush(Duration::from_secs(5)));
    match store.get(&a, b"small", NOW) {
        Ok(found) => assert_eq!(found.map(|s| s.value), Some(b"1".to_vec())),
        Err(e) => assert_eq!(e.kind, TierErrorKind::Read),
    }
}

#[test]
fn a_malformed_entry_is_an_error_and_is_deleted() {
    let dir = Dir::new("malformed");
    let a = ns("a");
    std::fs::create_dir_all(&dir.0).unwrap();
    {
        let db = Database::create(dir.file()).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(entries(a.as_str()))
            .unwrap()
            .insert(&b"k"[..], &b"short"[..])
            .unwrap();
        txn.commit().unwrap();
    }
    let store = DiskStore::open(&dir.file()).unwrap();
    // The sweep on open may have deleted it already: both are right.
    match store.get(&a, b"k", NOW) {
        Err(e) => assert_eq!(e.kind, TierErrorKind::Codec),
        Ok(found) => assert_eq!(found, None),
    }
    assert!(store.flush(Duration::from_secs(5)));
    assert_eq!(raw_len(&store, &a), 0);
    assert!(record::decode(b"short").is_err());
}
