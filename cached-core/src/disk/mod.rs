//! The disk tier, `#[cached(disk)]`: entries that survive restarts, in one
//! redb file per program.
//!
//! The file is, in this order: the path given to [`open`] before the first
//! use; else the `MEMOKIT_DISK` environment variable; else
//! `$XDG_CACHE_HOME/<crate>/memokit.redb`, else
//! `~/.cache/<crate>/memokit.redb`, where `<crate>` is the package of the
//! first `disk` function called. Its directory is created when missing.
//!
//! A file that cannot be used (an unwritable directory, a corrupt file or
//! one of another format, one another process holds) costs nothing but
//! speed: every call still returns its value, the failure is counted in the
//! function's `tier_errors` and logged once, and the functions go on with
//! memory alone, trying the file again after a cool-down. One process at a
//! time uses a file (redb locks it); the others keep to memory, so two
//! processes never corrupt it.
//!
//! Writes go through a background thread that commits whatever has queued
//! in one transaction: a call never waits for the disk. An entry is
//! durable a few milliseconds after its call returns (at most two commits
//! later); a crash before that loses only those entries, which is only
//! work; the file stays whole (redb commits atomically). A normal exit
//! flushes the queue; [`flush`] waits for it at any time.

mod file;
mod location;
mod record;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use file::DiskStore;

use crate::tier::namespace::TierSpec;
use crate::tier::store::{Store, TierError, TierErrorKind};

pub use location::ENV;

/// The file in use, once opened.
static OPENED: OnceLock<DiskStore> = OnceLock::new();
/// The path [`open`] was given, which later attempts keep to.
static CHOSEN: Mutex<Option<PathBuf>> = Mutex::new(None);

/// How long a normal exit waits for queued writes.
const EXIT_FLUSH: Duration = Duration::from_secs(5);

/// Why [`open`] could not use a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskError {
    path: PathBuf,
    message: String,
}

impl DiskError {
    /// The path that could not be used.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memokit: cannot use {} for the disk tier: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for DiskError {}

/// Uses the file at `path` for every `disk` function of the program,
/// creating it (and its directory) if missing; call it before the first
/// such call. Returns an error for a path it cannot use: the functions then
/// keep to memory, and try this path again after a cool-down.
///
/// Opening the file already in use again is `Ok`; another path once one is
/// open is an error.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("memokit-doc-open-{}", std::process::id()));
/// let path = dir.join("app.redb");
/// # use memokit_core as memokit; // this crate's doc; users write `memokit::disk`
/// memokit::disk::open(&path).unwrap();
/// assert_eq!(memokit::disk::path().as_deref(), Some(path.as_path()));
/// assert!(memokit::disk::open(dir.join("other.redb")).is_err());
/// # std::fs::remove_dir_all(&dir).ok();
/// ```
pub fn open(path: impl AsRef<Path>) -> Result<(), DiskError> {
    let path = path.as_ref();
    let mut chosen = CHOSEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(store) = OPENED.get() {
        if store.path() == path {
            return Ok(());
        }
        return Err(DiskError {
            path: path.to_owned(),
            message: format!(
                "{} is already in use; open the file before the first call",
                store.path().display()
            ),
        });
    }
    *chosen = Some(path.to_owned());
    open_locked(path).map(|_| ()).map_err(|e| DiskError {
        path: path.to_owned(),
        message: e.message,
    })
}

/// The file in use, if one is open.
pub fn path() -> Option<PathBuf> {
    OPENED.get().map(|store| store.path().to_owned())
}

/// Waits until every write queued so far is on disk (at most 5 seconds);
/// false if it was not, or no file is open.
pub fn flush() -> bool {
    OPENED.get().is_some_and(|store| store.flush(EXIT_FLUSH))
}

/// The store of the disk tier, opened on first use; what generated code
/// names in a `disk` function's [`TierSpec`].
#[doc(hidden)]
pub fn store(spec: &'static TierSpec) -> Result<&'static dyn Store, TierError> {
    if let Some(store) = OPENED.get() {
        return Ok(store);
    }
    let chosen = CHOSEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(store) = OPENED.get() {
        return Ok(store);
    }
    let path = match chosen.clone() {
        Some(path) => path,
        None => location::default_path(spec.krate).ok_or_else(|| {
            TierError::new(
                TierErrorKind::Unavailable,
                format!("no file: set {ENV}, XDG_CACHE_HOME or HOME, or call memokit::disk::open"),
            )
        })?,
    };
    open_locked(&path)
}

/// Opens `path` as the file in use; the caller holds [`CHOSEN`].
fn open_locked(path: &Path) -> Result<&'static dyn Store, TierError> {
    let store = DiskStore::open(path)?;
    let store = OPENED.get_or_init(|| store);
    flush_at_exit();
    Ok(store)
}

/// Has a normal exit wait for the queued writes (on Linux: `atexit`).
fn flush_at_exit() {
    #[cfg(target_os = "linux")]
    {
        extern "C" fn at_exit() {
            let _ = flush();
        }
        // SAFETY: `at_exit` is a plain `extern "C" fn` that does not
        // unwind (`flush` only sends on a channel and waits with a timeout);
        // registering it has no other requirement.
        unsafe {
            libc::atexit(at_exit);
        }
    }
}

#[cfg(test)]
mod tests;
