//! Which return values are stored, and how a stored value is handed out.
//!
//! A function returning `Result<T, E>` caches only `Ok`, and `E` need not be
//! `Clone` (`io::Error` is not). The macro cannot see through type aliases
//! (`io::Result<T>`, a user's `type Res<T> = ...`), so the choice is made by
//! the type checker: [`Kind`] plus autoref method resolution picks
//! [`OkValues`] for any `Result` and [`AllValues`] for everything else.

use std::marker::PhantomData;

use crate::cache::key::{sealed, Impossible, Valid};

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
    /// The stored part of the value: `T` of `Result<T, E>`.
    type Stored;
    /// The error part: `E` of `Result<T, E>`.
    type Error;

    /// The policy for this return type.
    #[inline]
    fn memokit_values(&self) -> OkValues {
        OkValues
    }

    /// The stored and error parts, for [`Cacheable`] and [`CacheableError`].
    #[inline]
    fn memokit_parts(&self) -> (Kind<Self::Stored>, Kind<Self::Error>) {
        (Kind::new(), Kind::new())
    }
}

impl<T, E> ResultKind for Kind<Result<T, E>> {
    type Stored = T;
    type Error = E;
}

/// Picks [`AllValues`] for every other return type.
pub trait PlainKind {
    /// The stored part of the value: all of it.
    type Stored;

    /// The policy for this return type.
    #[inline]
    fn memokit_values(&self) -> AllValues {
        AllValues
    }

    /// The stored part and `()` for the error part, which there is not.
    #[inline]
    fn memokit_parts(&self) -> (Kind<Self::Stored>, Kind<()>) {
        (Kind::new(), Kind::new())
    }
}

impl<R> PlainKind for &Kind<R> {
    type Stored = R;
}

// Checks of the return type, one error each at the return type; see the
// comment above `KeyArg` in `key.rs` for how the marker `M` makes that so.
// Each passes a value through (the site, the control handle), so a failed
// check leaves that value's type unknown and its later uses unreported.

/// What the return value of a `#[cached]` function must be: the value, or
/// `T` of a `Result<T, E>` (of which only `Ok` is stored), is handed out by
/// `Clone` and shared between threads, so it is
/// `Clone + Send + Sync + 'static`.
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error a value that cannot be cached
/// gets, at the return type:
///
/// ```text
/// error[E0277]: `Report` cannot be a cached value
///  --> src/lib.rs:8:22
///   |
/// 8 | fn report(n: u32) -> Report {
///   |                      ^^^^^^ cached values are handed out by `Clone` and shared ...
/// ```
///
/// `M` lets rustc weigh the requirement as a whole (see `KeyArg`'s source).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a cached value",
    label = "cached values are handed out by `Clone` and shared between threads, so they must be `Clone + Send + Sync + 'static`",
    note = "derive `Clone` for a type you own, or return an `Arc<T>` to share one value between callers (an `Rc` cannot cross threads)"
)]
pub trait Cacheable<M>: Sized {
    /// `P` once the check passed.
    #[doc(hidden)]
    type Pass<P>;
    /// Passes `value` on.
    #[doc(hidden)]
    fn pass<P>(stored: &Kind<Self>, value: P) -> Self::Pass<P>;
}

#[diagnostic::do_not_recommend]
impl<V: Clone + Send + Sync + 'static> Cacheable<Valid> for V {
    type Pass<P> = P;
    #[inline]
    fn pass<P>(_: &Kind<Self>, value: P) -> P {
        value
    }
}

#[diagnostic::do_not_recommend]
impl<V: sealed::Never> Cacheable<Impossible> for V {
    type Pass<P> = P;
    fn pass<P>(_: &Kind<Self>, value: P) -> P {
        value
    }
}

/// What the error type `E` of a `#[cached]` function returning
/// `Result<T, E>` must be: errors are never stored, but the cache's type
/// includes `E` and the cache is shared, so `E` is `Send + Sync + 'static`
/// (`Box<dyn Error + Send + Sync>`, not `Box<dyn Error>`).
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error such a function gets, at its
/// return type, like [`Cacheable`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error type of a cached function",
    label = "the cache is shared between threads, so the error type must be `Send + Sync + 'static` (errors are never stored)",
    note = "for a boxed error, return `Box<dyn Error + Send + Sync>`"
)]
pub trait CacheableError<M>: Sized {
    /// `P` once the check passed.
    #[doc(hidden)]
    type Pass<P>;
    /// Passes `value` on.
    #[doc(hidden)]
    fn pass<P>(error: &Kind<Self>, value: P) -> Self::Pass<P>;
}

#[diagnostic::do_not_recommend]
impl<E: Send + Sync + 'static> CacheableError<Valid> for E {
    type Pass<P> = P;
    #[inline]
    fn pass<P>(_: &Kind<Self>, value: P) -> P {
        value
    }
}

#[diagnostic::do_not_recommend]
impl<E: sealed::Never> CacheableError<Impossible> for E {
    type Pass<P> = P;
    fn pass<P>(_: &Kind<Self>, value: P) -> P {
        value
    }
}

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
    // The borrow is what generated code writes: the autoref step under test.
    #[allow(clippy::needless_borrow)]
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
