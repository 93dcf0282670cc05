//! Borrowed lookups: a hit never builds an owned key.
//!
//! A function `f(host: &str, port: u16)` is keyed by `(String, u16)`; a call
//! looks its entry up with `(host, &port)`, a tuple of borrows that hashes
//! exactly like the owned key, so nothing is allocated on a hit.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

/// A borrowed form of a cache key `K`: the arguments of a call, by reference.
///
/// Implemented for `&Q` where `K: Borrow<Q>` (one argument, or a whole key)
/// and for tuples of references `(&Q1, &Q2, ...)` against owned tuples
/// `(K1, K2, ...)` (several arguments), up to twelve elements.
///
/// ```
/// use memokit::Lookup;
/// let hasher = std::hash::RandomState::new();
/// let key: (String, u16) = ("example.com".to_owned(), 443);
/// let query = ("example.com", &443u16);
/// assert!(query.matches(&key));
/// assert_eq!(query.hash_with(&hasher), Lookup::<(String, u16)>::hash_with(&&key, &hasher));
/// assert_eq!(query.to_key(), key);
/// ```
pub trait Lookup<K> {
    /// Hashes the query exactly as `K` hashes.
    fn hash_with<S: BuildHasher>(&self, state: &S) -> u64;
    /// Whether `key` is the key this query stands for.
    fn matches(&self, key: &K) -> bool;
    /// Builds the owned key (on a miss only).
    fn to_key(&self) -> K;
}

impl<K, Q> Lookup<K> for &Q
where
    K: Borrow<Q>,
    Q: ?Sized + Hash + Eq + ToOwned<Owned = K>,
{
    #[inline]
    fn hash_with<S: BuildHasher>(&self, state: &S) -> u64 {
        state.hash_one(*self)
    }

    #[inline]
    fn matches(&self, key: &K) -> bool {
        key.borrow() == *self
    }

    #[inline]
    fn to_key(&self) -> K {
        (*self).to_owned()
    }
}

macro_rules! tuple_lookup {
    ($(($k:ident, $q:ident, $i:tt)),+) => {
        impl<$($k, $q),+> Lookup<($($k,)+)> for ($(&$q,)+)
        where
            $($k: Borrow<$q>, $q: ?Sized + Hash + Eq + ToOwned<Owned = $k>,)+
        {
            #[inline]
            fn hash_with<S: BuildHasher>(&self, state: &S) -> u64 {
                // A tuple hashes field by field, and `&Q` hashes as `Q`, which
                // hashes as `K` (the `Borrow` contract): the same hash as the key.
                state.hash_one(self)
            }

            #[inline]
            fn matches(&self, key: &($($k,)+)) -> bool {
                $(key.$i.borrow() == self.$i)&&+
            }

            #[inline]
            fn to_key(&self) -> ($($k,)+) {
                ($(self.$i.to_owned(),)+)
            }
        }
    };
}

tuple_lookup!((K0, Q0, 0), (K1, Q1, 1));
tuple_lookup!((K0, Q0, 0), (K1, Q1, 1), (K2, Q2, 2));
tuple_lookup!((K0, Q0, 0), (K1, Q1, 1), (K2, Q2, 2), (K3, Q3, 3));
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5),
    (K6, Q6, 6)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5),
    (K6, Q6, 6),
    (K7, Q7, 7)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5),
    (K6, Q6, 6),
    (K7, Q7, 7),
    (K8, Q8, 8)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5),
    (K6, Q6, 6),
    (K7, Q7, 7),
    (K8, Q8, 8),
    (K9, Q9, 9)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5),
    (K6, Q6, 6),
    (K7, Q7, 7),
    (K8, Q8, 8),
    (K9, Q9, 9),
    (K10, Q10, 10)
);
tuple_lookup!(
    (K0, Q0, 0),
    (K1, Q1, 1),
    (K2, Q2, 2),
    (K3, Q3, 3),
    (K4, Q4, 4),
    (K5, Q5, 5),
    (K6, Q6, 6),
    (K7, Q7, 7),
    (K8, Q8, 8),
    (K9, Q9, 9),
    (K10, Q10, 10),
    (K11, Q11, 11)
);

// The checks below turn a key or value type that cannot be cached into one
// error, in memokit's words, at the user's argument or return type. Each
// trait has its real impl and an impossible one, told apart by a marker `M`
// that generated code leaves to inference (`KeyArg::query(&x)`). With two
// candidates rustc evaluates both before choosing; when both fail it reports
// the check itself, once, rather than each missing bound (`Hash`, then `Eq`)
// and then every later use of the key. The marker stays unknown, so whatever
// is derived from the check is an inference failure in an already failed
// body, which rustc does not report again.

/// The marker of the impls that apply.
#[doc(hidden)]
pub enum Valid {}

/// The marker of the impls that never apply.
#[doc(hidden)]
pub enum Impossible {}

pub(crate) mod sealed {
    /// Implemented by no type: the bound of the impossible impls.
    pub trait Never {}
}

/// What an argument `x: T` of a `#[cached]` function must be: `T` is stored
/// in the cache key, so it is `Hash + Eq + Clone + Send + Sync + 'static`.
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error an argument that cannot be a key
/// gets, at that argument:
///
/// ```text
/// error[E0277]: `f64` cannot be part of a cache key
///  --> src/lib.rs:4:9
///   |
/// 4 | fn area(side: f64) -> f64 {
///   |         ^^^^^^^^^ arguments are stored in the cache key, so each must be ...
/// ```
///
/// `M` lets rustc weigh the requirement as a whole (see the source).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a cache key",
    label = "arguments are stored in the cache key, so each must be `Hash + Eq + Clone + Send + Sync + 'static`",
    note = "to key calls by something else, add `key = ...`, e.g. `#[cached(key = x.to_bits())]` for a float, or `key = (user.id, page)`"
)]
pub trait KeyArg<M> {
    /// The form a lookup borrows: `T` itself.
    #[doc(hidden)]
    type Query: ?Sized;
    /// The argument, as a lookup borrows it.
    #[doc(hidden)]
    fn query(&self) -> &Self::Query;
}

#[diagnostic::do_not_recommend]
impl<T: Hash + Eq + Clone + Send + Sync + 'static> KeyArg<Valid> for T {
    type Query = T;
    #[inline]
    fn query(&self) -> &T {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<T: ?Sized + sealed::Never> KeyArg<Impossible> for T {
    type Query = T;
    fn query(&self) -> &T {
        self
    }
}

/// What an argument `x: &X` of a `#[cached]` function must be: it is stored
/// in the cache key as `X::Owned` (`&str` as `String`, `&[T]` as `Vec<T>`),
/// so `X` is `Hash + Eq + ToOwned` and `X::Owned` is
/// `Hash + Eq + Clone + Send + Sync + 'static`.
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error an argument that cannot be a key
/// gets, at that argument, like [`KeyArg`].
#[diagnostic::on_unimplemented(
    message = "`&{Self}` cannot be part of a cache key",
    label = "a `&T` argument is stored in the cache key as its owned form, so `T` must be `Hash + Eq + ToOwned`, with an owned form that is `Clone + Send + Sync + 'static`",
    note = "to key calls by something else, add `key = ...`, e.g. `#[cached(key = (user.id, page))]`"
)]
pub trait KeyBorrow<M> {
    /// The form a lookup borrows: `X` itself.
    #[doc(hidden)]
    type Query: ?Sized;
    /// The argument, as a lookup borrows it.
    #[doc(hidden)]
    fn query(&self) -> &Self::Query;
}

#[diagnostic::do_not_recommend]
impl<X> KeyBorrow<Valid> for X
where
    X: ?Sized + Hash + Eq + ToOwned,
    X::Owned: Hash + Eq + Clone + Send + Sync + 'static,
{
    type Query = X;
    #[inline]
    fn query(&self) -> &X {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<X: ?Sized + sealed::Never> KeyBorrow<Impossible> for X {
    type Query = X;
    fn query(&self) -> &X {
        self
    }
}

/// What the value of `#[cached(key = <expr>)]` must be: it is stored as
/// the cache key, a borrow `&X` as `X::Owned` (so `key = name` with
/// `name: &str` stores a `String`), so it is
/// `Hash + Eq + Clone + Send + Sync + 'static` once owned.
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error a bad key gets, at `key = <expr>`,
/// like [`KeyArg`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a cache key",
    label = "the `key` expression is stored as the cache key (a borrow `&T` as its owned form), so it must be `Hash + Eq + Clone + Send + Sync + 'static`",
    note = "build the key from owned parts, e.g. `key = (name.to_owned(), x.to_bits())`"
)]
pub trait KeyExpr<M> {
    /// The form a lookup borrows: `Self`.
    #[doc(hidden)]
    type Query: ?Sized;
    /// The key, as a lookup borrows it.
    #[doc(hidden)]
    fn query(&self) -> &Self::Query;
}

#[diagnostic::do_not_recommend]
impl<Q> KeyExpr<Valid> for Q
where
    Q: ?Sized + Hash + Eq + ToOwned,
    Q::Owned: Hash + Eq + Clone + Send + Sync + 'static,
{
    type Query = Q;
    #[inline]
    fn query(&self) -> &Q {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<Q: ?Sized + sealed::Never> KeyExpr<Impossible> for Q {
    type Query = Q;
    fn query(&self) -> &Q {
        self
    }
}

/// The value `E` of a `key = <expr>` option, by reference. Method calls on
/// `&KeyProbe` resolve to [`BorrowedKey`] when `E` is a borrow `&X`, and to
/// [`OwnedKey`] otherwise (one autoref further), so a borrowed key is looked
/// up as `X` and stored as `X::Owned` instead of as a borrow.
#[doc(hidden)]
pub struct KeyProbe<'k, E: ?Sized>(pub &'k E);

/// A `key` value that is a borrow `&X`: looked up as `X`.
#[doc(hidden)]
pub trait BorrowedKey<'k> {
    /// `X`.
    type Query: ?Sized;
    /// The borrowed `X`.
    fn memokit_query(&self) -> &'k Self::Query;
}

impl<'k, 'a: 'k, X: ?Sized> BorrowedKey<'k> for KeyProbe<'k, &'a X> {
    type Query = X;
    #[inline]
    fn memokit_query(&self) -> &'k X {
        self.0
    }
}

/// Any other `key` value `E`: looked up as `E`.
#[doc(hidden)]
pub trait OwnedKey<'k> {
    /// `E`.
    type Query: ?Sized;
    /// The borrowed `E`.
    fn memokit_query(&self) -> &'k Self::Query;
}

impl<'k, E: ?Sized> OwnedKey<'k> for &KeyProbe<'k, E> {
    type Query = E;
    #[inline]
    fn memokit_query(&self) -> &'k E {
        self.0
    }
}
