//! The layer every tier beyond one process shares (`disk`, `redis`).
//!
//! A tier is a second level behind a function's in-process cache (L1). This
//! layer knows nothing of files or servers; a backend implements [`Store`]
//! on bytes, and this layer turns a function's keys and values into those
//! bytes and back, names each function's entries, and keeps a failing store
//! from failing a call:
//! - [`codec`]: keys and values as postcard bytes (a stable, documented serde
//!   format); a `Result` stores its `Ok` value only;
//! - [`namespace`]: crate, function path, a fingerprint of the signature as
//!   written and `version`, so a changed function never misreads old entries;
//! - [`store`]: the byte-level store trait a backend implements, and the
//!   wall-clock time its expiries are in;
//! - [`health`]: the error policy (count, log once per kind, circuit breaker);
//! - [`link`]: one function's view of its tier, what the cache calls;
//! - [`oneshot`] and [`offload`]: an answer from another thread, awaited,
//!   and the threads an `async fn` reads a remote
//!   store on, so no executor thread waits for a network;
//! - [`checks`]: the compile-time checks of key and value types, in
//!   memokit's words.

pub(crate) mod checks;
pub(crate) mod codec;
pub(crate) mod health;
pub(crate) mod link;
pub(crate) mod namespace;
pub(crate) mod offload;
pub(crate) mod oneshot;
pub(crate) mod store;
