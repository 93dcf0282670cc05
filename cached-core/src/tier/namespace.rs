//! Which entries of a store are one function's.

use crate::tier::store::{Store, TierError};

/// What the attribute tells the runtime about a function's tier; generated
/// code builds it as a `static`, users never write it.
#[derive(Debug)]
pub struct TierSpec {
    /// The tier's name, for messages: `disk`.
    pub backend: &'static str,
    /// The store every function of this tier shares, opened on first use
    /// (the spec of the first function to use it may name its default
    /// location: the disk tier's file is under the crate's name).
    pub store: fn(&'static TierSpec) -> Result<&'static dyn Store, TierError>,
    /// The crate the function is in (`CARGO_PKG_NAME`).
    pub krate: &'static str,
    /// FNV-1a 64 of the argument and return types (and the `key`
    /// expression) as written, taken by the macro: a changed signature
    /// names other entries.
    pub fingerprint: u64,
    /// `version = N`, 0 when not given.
    pub version: u64,
}

/// The prefix of one function's entries in a store: crate, the function's
/// path with its instantiation (`app::parse::<u32>`), the fingerprint of its
/// signature and its `version`, e.g.
/// `memokit1/app/app::render/5f0c3e1a9d2b4c77/v2`.
///
/// Entries written under one namespace are never read under another, so
/// changing a function's types or bumping `version` leaves the old entries
/// unreachable (a backend deletes them as they expire), never misread.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Namespace {
    name: String,
    /// `capacity = N` of the function: the most entries it keeps in the
    /// store too.
    capacity: Option<usize>,
}

/// Bumped if this crate ever changes how it encodes keys or values.
const LAYOUT: &str = "memokit1";

impl Namespace {
    /// The namespace of the instance `path` of a function with `spec`.
    pub fn new(spec: &TierSpec, path: &str) -> Namespace {
        Namespace {
            name: format!(
                "{LAYOUT}/{}/{path}/{:016x}/v{}",
                spec.krate, spec.fingerprint, spec.version
            ),
            capacity: None,
        }
    }

    /// This namespace bounded to `capacity` entries.
    pub fn with_capacity(mut self, capacity: Option<usize>) -> Namespace {
        self.capacity = capacity;
        self
    }

    /// The most entries the store keeps in this namespace; `None`: no bound.
    pub fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// A namespace of this exact name, for a backend's own tests.
    pub fn named(name: impl Into<String>) -> Namespace {
        Namespace {
            name: name.into(),
            capacity: None,
        }
    }

    /// The namespace as text; unique per function, instantiation,
    /// signature and version.
    pub fn as_str(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unusable(_: &'static TierSpec) -> Result<&'static dyn Store, TierError> {
        Err(TierError::new(
            crate::tier::store::TierErrorKind::Unavailable,
            "test",
        ))
    }

    fn spec(fingerprint: u64, version: u64) -> TierSpec {
        TierSpec {
            backend: "test",
            store: unusable,
            krate: "app",
            fingerprint,
            version,
        }
    }

    #[test]
    fn signature_version_and_instance_each_name_other_entries() {
        let base = Namespace::new(&spec(1, 0), "app::f");
        assert_eq!(base.as_str(), "memokit1/app/app::f/0000000000000001/v0");
        assert_ne!(base, Namespace::new(&spec(2, 0), "app::f"));
        assert_ne!(base, Namespace::new(&spec(1, 1), "app::f"));
        assert_ne!(base, Namespace::new(&spec(1, 0), "app::f::<u8>"));
        assert_eq!(base, Namespace::new(&spec(1, 0), "app::f"));
    }
}
