//! The `#[cached]` attribute of [memokit](https://docs.rs/memokit).
//!
//! Use it through the `memokit` crate, which documents it; this crate is
//! only the compiler plugin: `attr` parses the options, `func` models the
//! function, `validate` checks both and collects every error, `expand`
//! writes the code.

mod attr;
mod duration;
mod errors;
mod expand;
mod fallback;
mod func;
mod validate;

use proc_macro::TokenStream;

/// Memoizes a function. See the `memokit` crate for the options and semantics.
#[proc_macro_attribute]
pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::cached(args.into(), item.into()).into()
}
