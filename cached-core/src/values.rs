//! Which return values are stored, and how a stored value is handed out.
//!
//! A function returning `Result<T, E>` caches only `Ok`, and `E` need not be
//! `Clone` (`io::Error` is not). The macro cannot see through type aliases
//! (`io::Result<T>`, a user's `type Res<T> = ...`), so the choice is made by
//! the type checker: [`Kind`] plus autoref method resolution picks
//! [`OkValues`] for any `Result` and [`AllValues`] for everything else.

use std::marker::PhantomData;

/// How a cache treats the values of one function. Zero-sized and `Copy`,
/// so the hot path inlines it.
pub trait ValuePolicy<V>: Copy + Send + Sync + 'static {
    /// Whether a freshly computed value may be stored.
    fn is_cacheable(v: &V) -> bool;
    /// Copies a stored value out for a caller.
    fn clone_value(v: &V) -> V;
}

/// Every value is stored and returned by `Clone`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllValues;

impl<V: Clone> ValuePolicy<V> for AllValues {
    #[inline]
    fn is_cacheable(_: &V) -> bool {
        true
    }

    #[inline]
    fn clone_value(v: &V) -> V {
        v.clone()
    }
}

/// Only `Ok` is stored; `E` needs no `Clone`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OkValues;

impl<T: Clone, E> ValuePolicy<Result<T, E>> for OkValues {
    #[inline]
    fn is_cacheable(v: &Result<T, E>) -> bool {
        v.is_ok()
    }

    #[inline]
    fn clone_value(v: &Result<T, E>) -> Result<T, E> {
        match v {
            Ok(t) => Ok(t.clone()),
            Err(_) => unreachable!("memokit stores only Ok values"),
        }
    }
}

/// Type carrier for picking a [`ValuePolicy`] by method resolution.
///
/// `(&Kind::<R>::new()).memokit_values()` resolves to [`ResultKind`] when `R`
/// is a `Result` (the method takes `&Kind<R>` directly) and to [`PlainKind`]
/// otherwise (one autoref further).
pub struct Kind<R>(PhantomData<fn() -> R>);

impl<R> Kind<R> {
    /// A new carrier.
    #[inline]
    pub const fn new() -> Self {
        Kind(PhantomData)
    }
}

impl<R> Default for Kind<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// Picks [`OkValues`] for `Result` return types.
pub trait ResultKind {
    /// The policy for this return type.
    #[inline]
    fn memokit_values(&self) -> OkValues {
        OkValues
    }
}

impl<T, E> ResultKind for Kind<Result<T, E>> {}

/// Picks [`AllValues`] for every other return type.
pub trait PlainKind {
    /// The policy for this return type.
    #[inline]
    fn memokit_values(&self) -> AllValues {
        AllValues
    }
}

impl<R> PlainKind for &Kind<R> {}

/// Function pointers for the control API, which must clone values without
/// knowing the policy type.
pub(crate) struct ValueOps<V> {
    pub(crate) is_cacheable: fn(&V) -> bool,
    pub(crate) clone_value: fn(&V) -> V,
}

impl<V> ValueOps<V> {
    pub(crate) fn of<P: ValuePolicy<V>>() -> Self {
        ValueOps {
            is_cacheable: P::is_cacheable,
            clone_value: P::clone_value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_name<P: 'static>(_: P) -> &'static str {
        std::any::type_name::<P>()
    }

    #[test]
    fn results_and_aliases_pick_ok_values() {
        type Res<T> = Result<T, std::io::Error>;
        assert!(policy_name(Kind::<Res<u8>>::new().memokit_values()).ends_with("OkValues"));
        assert!(
            policy_name(Kind::<std::io::Result<u8>>::new().memokit_values()).ends_with("OkValues")
        );
        assert!(policy_name((&Kind::<Option<u8>>::new()).memokit_values()).ends_with("AllValues"));
        assert!(policy_name((&Kind::<u8>::new()).memokit_values()).ends_with("AllValues"));
    }

    #[test]
    fn ok_values_keeps_ok_only() {
        let ok: Result<u8, std::io::Error> = Ok(1);
        let err: Result<u8, std::io::Error> = Err(std::io::Error::other("x"));
        assert!(OkValues::is_cacheable(&ok));
        assert!(!OkValues::is_cacheable(&err));
        assert_eq!(OkValues::clone_value(&ok).unwrap(), 1);
    }
}
