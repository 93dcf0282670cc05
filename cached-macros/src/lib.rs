//! The `#[cached]` attribute of [memokit](https://docs.rs/memokit).
//!
//! Use it through the `memokit` crate, which documents it; this crate is
//! only the compiler plugin: `attr` parses the options (one table of
//! them), `func` models the function, `validate` checks both and decides,
//! `expand` writes the code, or `fallback` the function as written; both
//! write the companion's signature with `companion`. `spans` holds the span
//! tricks that put compiler errors under the user's tokens, `lifetimes` the
//! rewriting of the companion's lifetimes, `krate` the path to memokit.

mod attr;
mod companion;
mod duration;
mod errors;
mod expand;
mod fallback;
mod func;
mod krate;
mod lifetimes;
mod spans;
mod validate;

use proc_macro::TokenStream;

/// Turns a function into a thread-safe cache of its results.
///
/// | option | meaning |
/// |---|---|
/// | (none) | permanent: one entry per distinct argument set |
/// | `ttl = "1s"` | entries expire this long after they are stored (`ms`, `s`, `m`, `h`, `d`, as in `"1h 30m"`); or a constant `Duration` |
/// | `refresh = "8m"` | with a longer `ttl`: an entry older than this is recomputed by the caller that finds it so, while the others keep getting it without waiting; or a constant `Duration` |
/// | `capacity = 10_000` | at most this many entries; a scan-resistant policy picks what to evict; or a constant `usize` expression |
/// | `key = <expr>` | the key is this expression over the arguments (and `self`) |
///
/// Only `Ok` values of a `Result` are stored; concurrent callers of one key
/// share one computation; the companion `<name>_memokit()` controls the
/// cache (clear, invalidate, insert, peek, len, stats).
///
/// ```
/// use memokit::cached;
///
/// #[cached(capacity = 1000, ttl = "10m")]
/// fn word_count(text: &str) -> usize {
///     text.split_whitespace().count()
/// }
///
/// assert_eq!(word_count("a b c"), 3);
/// assert_eq!(word_count("a b c"), 3); // answered from the cache
/// assert_eq!(word_count_memokit().stats().hits, 1);
/// ```
///
/// With `refresh`, the caller that finds an entry due recomputes it and
/// waits for that alone; the others are served the entry meanwhile. A
/// success replaces the entry and restarts both clocks; an `Err` or a
/// panic keeps it until its `ttl`:
///
/// ```
/// use memokit::{cached, ManualClock};
/// use std::time::Duration;
///
/// #[cached(ttl = "10m", refresh = "8m")]
/// fn version(service: &str) -> Result<u32, String> {
///     Ok(service.len() as u32)
/// }
///
/// let clock = ManualClock::new();
/// version_memokit().set_clock(clock.clone());
/// assert_eq!(version("db"), Ok(2));
/// clock.advance(Duration::from_secs(8 * 60));
/// assert_eq!(version("db"), Ok(2)); // recomputed by this call
/// clock.advance(Duration::from_secs(9 * 60));
/// assert_eq!(version_memokit().peek("db"), Some(Ok(2))); // the ttl restarted
/// assert_eq!(version_memokit().stats().refreshes, 1);
/// ```
///
/// # For facade crates
///
/// Generated code names memokit by an absolute path: `::memokit`, or the
/// name a renamed dependency has in the user's `Cargo.toml`
/// (`mk = { package = "memokit", .. }`). A crate that re-exports memokit
/// for its dependents has them pass the re-export's path with `crate`:
///
/// ```ignore
/// // facade crate `platform`: `pub use memokit; pub use memokit::cached;`
/// #[platform::cached(crate = platform::memokit, ttl = "1m")]
/// fn config(name: &str) -> String { load(name) }
/// ```
///
/// The `memokit` crate's documentation describes every option and guarantee.
#[proc_macro_attribute]
pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::cached(args.into(), item.into()).into()
}
