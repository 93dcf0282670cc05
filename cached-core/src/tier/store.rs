//! What a tier's backend implements: a store of bytes, per namespace.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::tier::namespace::Namespace;

/// A store of entries on bytes, grouped by [`Namespace`]: what a tier's
/// backend (a file, a server) implements. Object safe, so the cache holds
/// any backend as `&dyn Store`.
///
/// Expiries are absolute wall-clock times in milliseconds since the Unix
/// epoch ([`WallTime`]): monotonic time does not survive a restart. A store
/// never returns an entry whose expiry has passed (`now` says when that is,
/// so tests can move time), and deletes such entries without their key
/// being asked again.
///
/// Every method may fail; the caller (this crate) never fails a call for it.
pub trait Store: Send + Sync {
    /// The entry of `key` in `namespace`, if one is stored and live at `now`.
    fn get(
        &self,
        namespace: &Namespace,
        key: &[u8],
        now: WallTime,
    ) -> Result<Option<Stored>, TierError>;
    /// Stores `value` for `key`, replacing any entry; `expires` is `None`
    /// for an entry that never expires. A backend may write it later (in
    /// a group with others), but a `get` in this process sees it at once.
    fn put(
        &self,
        namespace: &Namespace,
        key: &[u8],
        value: Vec<u8>,
        expires: Option<WallTime>,
    ) -> Result<(), TierError>;
    /// Removes the entry of `key`, if any.
    fn remove(&self, namespace: &Namespace, key: &[u8]) -> Result<(), TierError>;
    /// Removes every entry of `namespace`, and no other.
    fn clear(&self, namespace: &Namespace) -> Result<(), TierError>;
    /// The computation that followed a `get` finding nothing stored none
    /// (an `Err`, a panic, a key forgotten meanwhile): a store that makes
    /// other processes wait for it (Redis's lease) lets them go. Nothing by
    /// default.
    fn abandon(&self, namespace: &Namespace, key: &[u8]) {
        let _ = (namespace, key);
    }
    /// Whether its calls wait for a network (Redis): an `async fn` then
    /// reads it on memokit's tier threads, never on its executor's.
    fn is_remote(&self) -> bool {
        false
    }
    /// How long the circuit breaker skips this store once it opens.
    fn cool_down(&self) -> Duration {
        crate::tier::health::COOL_DOWN
    }
}

/// A stored entry: the value's bytes and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// The encoded value.
    pub value: Vec<u8>,
    /// `None`: never expires.
    pub expires: Option<WallTime>,
}

/// A wall-clock time, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WallTime(pub u64);

impl WallTime {
    /// The system's wall clock.
    pub fn now() -> WallTime {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        WallTime(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }

    /// The wall clock under an injected clock that has advanced by
    /// `advanced`: the system's time when first asked in this process,
    /// moved on only as the clock moves, so that a tier's expiries in a test
    /// depend on the clock alone and not on how long the test took.
    pub fn injected(advanced: Duration) -> WallTime {
        static START: OnceLock<WallTime> = OnceLock::new();
        START.get_or_init(WallTime::now).after(advanced)
    }

    /// This time plus `by`, saturating.
    pub fn after(self, by: Duration) -> WallTime {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        WallTime(self.0.saturating_add(by))
    }

    /// How long from `now` until this time; `None` once it has passed.
    pub fn remaining_after(self, now: WallTime) -> Option<Duration> {
        (self.0 > now.0).then(|| Duration::from_millis(self.0 - now.0))
    }
}

/// The kinds of tier failure, each counted and logged once per function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TierErrorKind {
    /// The store cannot be used at all: the file cannot be opened or
    /// created, is of another format, or another process holds it.
    Unavailable,
    /// Reading an entry failed.
    Read,
    /// Writing or removing an entry failed (a full or read-only disk).
    Write,
    /// A stored key or value does not decode (it is then deleted), or a
    /// key or value does not encode.
    Codec,
}

impl TierErrorKind {
    pub(crate) const ALL: [TierErrorKind; 4] = [
        TierErrorKind::Unavailable,
        TierErrorKind::Read,
        TierErrorKind::Write,
        TierErrorKind::Codec,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    fn describe(self) -> &'static str {
        match self {
            TierErrorKind::Unavailable => "the store is unusable",
            TierErrorKind::Read => "a read failed",
            TierErrorKind::Write => "a write failed",
            TierErrorKind::Codec => "an entry does not decode",
        }
    }
}

/// A failure of a tier's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierError {
    /// What failed.
    pub kind: TierErrorKind,
    /// The store's own words.
    pub message: String,
}

impl TierError {
    /// A failure of `kind`, described by `message`.
    pub fn new(kind: TierErrorKind, message: impl fmt::Display) -> TierError {
        TierError {
            kind,
            message: message.to_string(),
        }
    }
}

impl fmt::Display for TierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.describe(), self.message)
    }
}

impl std::error::Error for TierError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time_ends_at_the_expiry() {
        let now = WallTime(10_000);
        assert_eq!(
            now.after(Duration::from_secs(2)).remaining_after(now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(now.remaining_after(now), None);
        assert_eq!(WallTime(9_999).remaining_after(now), None);
    }

    #[test]
    fn an_injected_clock_moves_the_wall_clock_by_its_advances_only() {
        let start = WallTime::injected(Duration::ZERO);
        assert!(start <= WallTime::now());
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(WallTime::injected(Duration::ZERO), start);
        assert_eq!(
            WallTime::injected(Duration::from_secs(3600)),
            start.after(Duration::from_secs(3600))
        );
    }
}
