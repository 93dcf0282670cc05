//! What a tiered function's key and value types must be, as one error in
//! memokit's words at the user's argument or return type; see the comment
//! above `KeyArg` in `cache/key.rs` for how the marker `M` makes that so.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::cache::key::{sealed, Impossible, Valid};
use crate::cache::values::Kind;

/// What a part of the key of a `#[cached(disk)]` or `#[cached(redis)]` function must be: stored
/// in a file (or a server) that other runs read, it is serialized with
/// serde, so its owned form is `serde::Serialize`.
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error such a key gets, at the argument
/// (or at `key = <expr>`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of the key of a `disk` or `redis` function",
    label = "the key is stored for later runs and other processes, so it must be `serde::Serialize` (a `&T` argument as its owned form)",
    note = "derive `serde::Serialize` for a type you own, or add `key = ...` built from serializable parts"
)]
pub trait TierKey<M> {
    /// The form a lookup borrows: `Self`.
    #[doc(hidden)]
    type Query: ?Sized;
    /// The key part, as a lookup borrows it.
    #[doc(hidden)]
    fn query(&self) -> &Self::Query;
}

#[diagnostic::do_not_recommend]
impl<Q> TierKey<Valid> for Q
where
    Q: ?Sized + ToOwned,
    Q::Owned: Serialize,
{
    type Query = Q;
    #[inline]
    fn query(&self) -> &Q {
        self
    }
}

#[diagnostic::do_not_recommend]
impl<Q: ?Sized + sealed::Never> TierKey<Impossible> for Q {
    type Query = Q;
    fn query(&self) -> &Q {
        self
    }
}

/// What the value of a `#[cached(disk)]` or `#[cached(redis)]` function must be (`T` of a
/// `Result<T, E>`, of which only `Ok` is stored): written for later runs
/// and read back, so `serde::Serialize + serde::de::DeserializeOwned`.
///
/// Implemented for every such type; never implemented or called by hand. It
/// names the requirement in the one error such a value gets, at the return
/// type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the value of a `disk` or `redis` function",
    label = "values are stored for later runs and other processes and read back, so they must be `serde::Serialize + serde::Deserialize`",
    note = "derive `serde::Serialize` and `serde::Deserialize` for a type you own"
)]
pub trait TierValue<M>: Sized {
    /// `P` once the check passed.
    #[doc(hidden)]
    type Pass<P>;
    /// Passes `value` on.
    #[doc(hidden)]
    fn pass<P>(stored: &Kind<Self>, value: P) -> Self::Pass<P>;
}

#[diagnostic::do_not_recommend]
impl<V: Serialize + DeserializeOwned> TierValue<Valid> for V {
    type Pass<P> = P;
    #[inline]
    fn pass<P>(_: &Kind<Self>, value: P) -> P {
        value
    }
}

#[diagnostic::do_not_recommend]
impl<V: sealed::Never> TierValue<Impossible> for V {
    type Pass<P> = P;
    fn pass<P>(_: &Kind<Self>, value: P) -> P {
        value
    }
}
