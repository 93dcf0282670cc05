//! Keys and values as bytes: postcard, a stable and documented serde
//! format (its wire format is fixed for 1.x), compact (variable-length
//! integers, no field names).
//!
//! The codec is built where the macro knows the key and value types satisfy
//! serde's traits, and handed to the cache as a trait object, so the cache
//! itself requires nothing of them.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::values::{AllValues, OkValues, ValuePolicy};

/// The part of a return value a tier stores: all of it, or `T` of
/// `Result<T, E>` (an `Err` is stored nowhere).
pub trait StoredPart<V>: ValuePolicy<V> {
    /// What is stored.
    type Stored;
    /// The stored part of `value`, if it is stored.
    fn stored(value: &V) -> Option<&Self::Stored>;
    /// The return value a stored part stands for.
    fn restored(stored: Self::Stored) -> V;
}

impl<V: Clone> StoredPart<V> for AllValues {
    type Stored = V;
    fn stored(value: &V) -> Option<&V> {
        Some(value)
    }
    fn restored(stored: V) -> V {
        stored
    }
}

impl<T: Clone, E> StoredPart<Result<T, E>> for OkValues {
    type Stored = T;
    fn stored(value: &Result<T, E>) -> Option<&T> {
        value.as_ref().ok()
    }
    fn restored(stored: T) -> Result<T, E> {
        Ok(stored)
    }
}

/// Encodes one function's keys and values; see the module's doc.
pub trait Codec<K, V>: Send + Sync {
    /// The key's bytes.
    fn key(&self, key: &K) -> Result<Vec<u8>, postcard::Error>;
    /// The value's bytes; `None` for a value that is not stored (an `Err`).
    fn value(&self, value: &V) -> Option<Result<Vec<u8>, postcard::Error>>;
    /// The value stored as `bytes`.
    fn decode(&self, bytes: &[u8]) -> Result<V, postcard::Error>;
}

/// The postcard codec of keys `K` and values `V` under policy `P`.
struct Postcard<K, V, P>(PhantomData<fn(K, P) -> V>);

impl<K, V, P> Codec<K, V> for Postcard<K, V, P>
where
    K: Serialize,
    P: StoredPart<V>,
    P::Stored: Serialize + DeserializeOwned,
{
    fn key(&self, key: &K) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(key)
    }

    fn value(&self, value: &V) -> Option<Result<Vec<u8>, postcard::Error>> {
        P::stored(value).map(postcard::to_allocvec)
    }

    fn decode(&self, bytes: &[u8]) -> Result<V, postcard::Error> {
        // Trailing bytes mean the value was written as another type.
        let (stored, rest) = postcard::take_from_bytes::<P::Stored>(bytes)?;
        if !rest.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        Ok(P::restored(stored))
    }
}

/// The codec of a tiered function with policy `P`: generated code passes
/// this function (its bounds checked where the types are known) to
/// [`Site::cache_tiered`](crate::Site::cache_tiered).
#[doc(hidden)]
pub fn codec<K, V, P>(_values: P) -> Box<dyn Codec<K, V>>
where
    K: Serialize + 'static,
    V: 'static,
    P: StoredPart<V>,
    P::Stored: Serialize + DeserializeOwned,
{
    Box::new(Postcard::<K, V, P>(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_encode_stably_and_compactly() {
        let c = codec::<(String, u16), u32, _>(AllValues);
        // postcard: a varint length, the bytes, then a varint integer.
        assert_eq!(
            c.key(&("ab".to_owned(), 300)).unwrap(),
            [2, b'a', b'b', 0xac, 0x02]
        );
    }

    #[test]
    fn results_store_their_ok_value_only() {
        let c = codec::<u8, Result<String, std::io::Error>, _>(OkValues);
        let bytes = c.value(&Ok("x".to_owned())).unwrap().unwrap();
        assert_eq!(bytes, [1, b'x']);
        assert!(c.value(&Err(std::io::Error::other("no"))).is_none());
        assert_eq!(c.decode(&bytes).unwrap().unwrap(), "x");
    }

    #[test]
    fn a_value_of_another_type_does_not_decode() {
        let as_pair = codec::<u8, (u32, u32), _>(AllValues);
        let as_one = codec::<u8, u32, _>(AllValues);
        let bytes = as_pair.value(&(1, 2)).unwrap().unwrap();
        assert!(as_one.decode(&bytes).is_err(), "trailing bytes");
        assert!(as_pair.decode(&[0xff]).is_err(), "truncated");
    }
}
