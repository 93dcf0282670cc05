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

/// What a cache key must be. Implemented for every type that is
/// `Hash + Eq + Clone + Send + Sync + 'static`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a cache key",
    label = "not `Hash + Eq + Clone + Send + Sync + 'static`",
    note = "a cached function is keyed by its arguments; choose what identifies a call with `key = ...`"
)]
pub trait CacheKey {
    /// The type itself.
    type Key: Hash + Eq + Clone + Send + Sync + 'static;
}

impl<T: Hash + Eq + Clone + Send + Sync + 'static> CacheKey for T {
    type Key = T;
}

/// What a `&X` argument stores in the key: `X::Owned` (`&str` → `String`,
/// `&[T]` → `Vec<T>`, `&T` → `T`).
#[diagnostic::on_unimplemented(
    message = "`&{Self}` cannot be part of a cache key",
    label = "`{Self}` must be `Hash + Eq + ToOwned` with an owned form that is `Hash + Eq + Clone + Send + Sync + 'static`",
    note = "a cached function is keyed by its arguments; choose what identifies a call with `key = ...`"
)]
pub trait KeyRef {
    /// The owned form stored in the key.
    type Key: Hash + Eq + Clone + Send + Sync + 'static + Borrow<Self>;
}

impl<X> KeyRef for X
where
    X: ?Sized + Hash + Eq + ToOwned,
    X::Owned: Hash + Eq + Clone + Send + Sync + 'static,
{
    type Key = X::Owned;
}

/// Checks a `key = ...` expression, so a bad key type is reported at it.
#[inline]
pub fn key<K>(key: K) -> <K as CacheKey>::Key
where
    K: CacheKey<Key = K>,
{
    key
}
