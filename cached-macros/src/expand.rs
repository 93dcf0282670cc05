//! Code generation. For
//!
//! ```ignore
//! #[cached(ttl = "1s")]
//! pub fn resolve(host: &str, port: u16) -> io::Result<IpAddr> { body }
//! ```
//!
//! the output is the function, whose body looks the call up by borrowing
//! its arguments and otherwise runs `body` as a closure under single-flight,
//! plus a companion `resolve_memokit()` returning the cache's control API:
//!
//! ```ignore
//! pub fn resolve(host: &str, port: u16) -> io::Result<IpAddr> {
//!     static __MEMOKIT_SITE: Site = Site::new(&Config { id, name, ttl, capacity, refresh });
//!     let values = (&Kind::<io::Result<IpAddr>>::new()).memokit_values();
//!     // Each check is one error at the checked type if it fails.
//!     let cache = Cacheable::pass(/* Ok type */, CacheableError::pass(/* Err type */,
//!         &__MEMOKIT_SITE)).cache::<(), _, io::Result<IpAddr>, _>(values);
//!     let miss = match cache.lookup((KeyBorrow::query(&*host), KeyArg::query(&port)), values) {
//!         Ok(hit) => return hit,
//!         Err(miss) => miss,
//!     };
//!     cache.compute(miss, values, move || -> io::Result<IpAddr> { body })
//! }
//! pub fn resolve_memokit() -> CacheRef<io::Result<IpAddr>, impl for<'a> KeyFn<(&'a str, u16)>> { .. }
//! ```
//!
//! The key type, `(String, u16)`, is inferred from the lookup.
//! Both statics resolve to one cache through the runtime's registry, which
//! keys them by the id (module path, name, source location and a number
//! unique to this expansion).
//!
//! A generic function passes its type parameters as the first argument of
//! `Site::cache`, so each instantiation gets its own cache; the companion
//! takes the same type parameters and where-clause:
//!
//! ```ignore
//! #[cached]
//! fn parse<T: FromStr + Clone>(s: &str) -> Option<T> { body }
//! // in parse:            Site::cache::<fn() -> (T,), String, Option<T>, _>(&SITE, values)
//! // and its companion:   fn parse_memokit<T: FromStr + Clone>() -> impl ..
//! ```
//!
//! Every site resolves with the type name of a closure in the function
//! (`type_name_of_val(&|| ())`), which names the instantiation and, in an
//! `impl` or a trait, `Self`: each `Self` type gets its own cache, with or
//! without a receiver. An `async fn` runs its body as an `async move` block
//! whose output type an unreachable first `return` fixes:
//!
//! ```ignore
//! cache.compute_async(miss, values, async move {
//!     if false { let r: Ret = loop {}; return r; }
//!     body
//! }).await
//! ```

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::attr::{Capacity, Options, Ttl};
use crate::companion::Companion;
use crate::errors::Errors;
use crate::fallback;
use crate::func::Func;
use crate::krate;
use crate::spans::{
    checked_const, checked_key, checked_tier_value, checked_value, key_binding, query_part,
    span_range, tier_key_part,
};
use crate::validate::{self, Decision};

pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::default();
    let mut options = Options::parse(args, &errors);
    let Some(func) = Func::parse(item.clone(), &errors) else {
        let errors = errors.into_compile_errors();
        return quote!(#errors #item);
    };
    let decision = validate::check(&mut options, &func, &errors);
    let krate = krate::path(options.krate.as_ref());
    let expansion = Expansion::new(&options, &func, krate);
    // Rejected options are left out and the rest expanded, so later type
    // errors are reported too; a function that cannot be cached is emitted
    // as written. Either way `f` and `f_memokit` exist for their callers.
    let code = match decision {
        Decision::Expand => expansion.emit(),
        Decision::Fallback => fallback::emit(&func, &expansion.krate),
    };
    let errors = errors.into_compile_errors();
    quote!(#errors #code)
}

struct Expansion<'a> {
    options: &'a Options,
    func: &'a Func,
    /// The path generated code names memokit by.
    krate: TokenStream,
    /// Numbers this expansion among all of this compilation's, so that
    /// the function and its companion, and nothing else, name one cache.
    serial: u64,
}

/// A number no other expansion of `#[cached]` in this compilation gets:
/// functions written by one `macro_rules!` invocation share `line!()` and
/// `column!()`, so the source location alone cannot tell them apart.
fn next_serial() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

impl<'a> Expansion<'a> {
    fn new(options: &'a Options, func: &'a Func, krate: TokenStream) -> Self {
        Expansion {
            options,
            func,
            krate,
            serial: next_serial(),
        }
    }

    fn emit(&self) -> TokenStream {
        let main = self.main_fn();
        let companion = self.companion_fn();
        quote!(#main #companion)
    }

    /// `checked`: whether constant option values are checked here; the
    /// function checks them, its companion only reads them, so each problem
    /// is reported once.
    fn config(&self, checked: bool) -> TokenStream {
        let name = self.func.name().to_string();
        let krate = &self.krate;
        let ttl = self.duration(self.options.ttl.as_ref(), "ttl", checked, None);
        // `validate` accepted `refresh` only beside a `ttl`.
        let shorter_than = self.options.ttl.as_ref().map(|(ttl, _)| match ttl {
            Ttl::Literal(d) => {
                let nanos = d.as_nanos();
                quote!(#nanos)
            }
            Ttl::Const(expr) => quote!(#krate::__private::ttl_value(#expr).as_nanos()),
        });
        let refresh = self.duration(
            self.options.refresh.as_ref(),
            "refresh",
            checked,
            shorter_than,
        );
        let capacity = match &self.options.capacity {
            Some((Capacity::Literal(n), _)) => {
                let n = proc_macro2::Literal::u64_unsuffixed(*n);
                quote!(::core::option::Option::Some(#n))
            }
            Some((Capacity::Const(expr), _)) => {
                let typed = quote!(#krate::__private::capacity_value);
                checked_const(
                    expr,
                    checked,
                    quote!(::core::primitive::usize),
                    typed,
                    |value| {
                        vec![quote!(
                            #value != 0,
                            "memokit: `capacity` must be at least 1: to keep every entry, leave `capacity` out"
                        )]
                    },
                )
            }
            None => quote!(::core::option::Option::None),
        };
        let serial = self.serial.to_string();
        quote! {
            &#krate::__private::Config {
                id: ::core::concat!(
                    ::core::module_path!(), "::", #name,
                    " (", ::core::file!(), ":", ::core::line!(), ":", ::core::column!(), ") #",
                    #serial
                ),
                name: #name,
                ttl: #ttl,
                capacity: #capacity,
                refresh: #refresh,
            }
        }
    }

    /// The `Option<Duration>` of `ttl` or `refresh` (`option`), a constant
    /// checked if `checked`; `shorter_than`: nanoseconds, a `u128`
    /// expression, that it must be shorter than (checked here when either
    /// side is a constant; `validate` compares two literals).
    fn duration(
        &self,
        value: Option<&(Ttl, Span)>,
        option: &str,
        checked: bool,
        shorter_than: Option<TokenStream>,
    ) -> TokenStream {
        let krate = &self.krate;
        let shorter = |value: &TokenStream| {
            shorter_than.as_ref().map(|limit| {
                let message = format!(
                    "memokit: `{option}` must be shorter than `ttl`: it is how old an entry gets before it is recomputed ahead of its expiry"
                );
                quote!(#value.as_nanos() < #limit, #message)
            })
        };
        match value {
            Some((Ttl::Literal(d), span)) => {
                let nanos = u64::try_from(d.as_nanos()).expect("checked by duration::parse");
                let value = quote!(::core::time::Duration::from_nanos(#nanos));
                // Two literals were compared by `validate`; against a
                // constant `ttl`, the compiler compares.
                let assert = shorter(&value)
                    .filter(|_| checked && self.ttl_is_const())
                    .map(|args| quote_spanned!(*span=> const _: () = ::core::assert!(#args);));
                match assert {
                    Some(assert) => quote!(::core::option::Option::Some({ #assert #value })),
                    None => quote!(::core::option::Option::Some(#value)),
                }
            }
            Some((Ttl::Const(expr), _)) => {
                let typed = match option {
                    "ttl" => quote!(#krate::__private::ttl_value),
                    _ => quote!(#krate::__private::refresh_value),
                };
                let zero = format!(
                    "memokit: `{option}` must be longer than zero: {}, leave `{option}` out",
                    if option == "ttl" {
                        "to cache forever"
                    } else {
                        "to recompute only at expiry"
                    }
                );
                let long =
                    format!("memokit: `{option}` is too long a duration: at most 584 years fit");
                checked_const(
                    expr,
                    checked,
                    quote!(::core::time::Duration),
                    typed,
                    |value| {
                        let value = quote!(#value);
                        let mut asserts = vec![
                            quote!(!#value.is_zero(), #zero),
                            quote!(
                                #value.as_nanos() <= ::core::primitive::u64::MAX as ::core::primitive::u128,
                                #long
                            ),
                        ];
                        asserts.extend(shorter(&value));
                        asserts
                    },
                )
            }
            None => quote!(::core::option::Option::None),
        }
    }

    fn ttl_is_const(&self) -> bool {
        matches!(self.options.ttl, Some((Ttl::Const(_), _)))
    }

    /// The site static, the value policy and the cache, as locals.
    fn prelude(&self, checked: bool) -> TokenStream {
        let site = mixed("__MEMOKIT_SITE");
        let values = mixed("__memokit_values");
        let cache = mixed("__memokit_cache");
        let config = self.config(checked);
        let ret = &self.func.ret;
        let krate = &self.krate;
        let checked_site = checked_value(krate, ret, quote!(&#site));
        let checked_site = match self.options.tier() {
            Some(_) => checked_tier_value(krate, ret, checked_site),
            None => checked_site,
        };
        let instance = self.instance_type();
        // A type parameter that is not `'static` cannot tell instantiations
        // apart; the compiler's error then points at the first parameter.
        let span = self
            .func
            .type_params
            .first()
            .map_or_else(Span::call_site, Ident::span);
        // The type name of a closure here spells this function's path with
        // the generic arguments of the function and of its `impl`, `Self`
        // included, also for an associated function without receiver.
        let (tier_spec, resolve) = match self.tier_spec() {
            Some(spec) => {
                let tier = mixed("__MEMOKIT_TIER");
                let resolve = quote_spanned! {span=>
                    #checked_site.cache_tiered::<#instance, _, #ret, _, _, _>(
                        ::core::any::type_name_of_val(&|| ()), #values,
                        || &#tier, #krate::__private::tier_codec,
                    )
                };
                (
                    Some(quote!(static #tier: #krate::__private::TierSpec = #spec;)),
                    resolve,
                )
            }
            None => (
                None,
                quote_spanned! {span=>
                    #checked_site.cache::<#instance, _, #ret, _>(
                        ::core::any::type_name_of_val(&|| ()), #values,
                    )
                },
            ),
        };
        quote! {
            static #site: #krate::__private::Site = #krate::__private::Site::new(#config);
            #tier_spec
            #[allow(unused_imports)]
            use #krate::__private::{PlainKind as _, ResultKind as _};
            let #values = (&#krate::__private::Kind::<#ret>::new()).memokit_values();
            let #cache = #resolve;
        }
    }

    /// The `TierSpec` of a tiered function, `None` for others.
    fn tier_spec(&self) -> Option<TokenStream> {
        let backend = self.options.tier()?;
        let store = Ident::new(&format!("{backend}_store"), Span::call_site());
        let krate = &self.krate;
        let fingerprint = proc_macro2::Literal::u64_suffixed(self.fingerprint());
        let version = self.options.version.as_ref().map_or(0, |(v, _)| *v);
        let version = proc_macro2::Literal::u64_suffixed(version);
        Some(quote! {
            #krate::__private::TierSpec {
                backend: #backend,
                store: #krate::__private::#store,
                krate: ::core::env!("CARGO_PKG_NAME"),
                fingerprint: #fingerprint,
                version: #version,
            }
        })
    }

    /// FNV-1a 64 of the signature's types as written (and of the `key`
    /// expression, which decides what a stored key means): a tier's entries
    /// written by another signature are never read by this one. Stable
    /// across builds and compilers, unlike `std`'s `Hash`.
    fn fingerprint(&self) -> u64 {
        let mut text = String::new();
        for arg in &self.func.args {
            text.push_str(&arg.ty.to_token_stream().to_string());
            text.push(',');
        }
        text.push_str("->");
        text.push_str(&self.func.ret.to_token_stream().to_string());
        if let Some(key) = self.options.key() {
            text.push_str(" key=");
            text.push_str(&key.expr.to_token_stream().to_string());
        }
        fnv1a64(text.as_bytes())
    }

    /// A key part checked for the tier too, when the function has one.
    fn tiered_part(&self, part: TokenStream, tokens: &impl ToTokens, after: Span) -> TokenStream {
        if self.options.tier().is_none() {
            return part;
        }
        let (start, end) = span_range(tokens);
        tier_key_part(&self.krate, part, start, end, after)
    }

    /// `fn() -> (T, U,)` of the type parameters, so each instantiation of a
    /// generic function gets its own cache; `()` when there are none.
    fn instance_type(&self) -> TokenStream {
        let params = &self.func.type_params;
        if params.is_empty() {
            quote!(())
        } else {
            quote!(fn() -> (#(#params,)*))
        }
    }

    /// The borrowed form of the key, built from the arguments.
    fn query(&self) -> TokenStream {
        let after = self.func.sig.paren_token.span.close();
        if let Some(key) = self.options.key() {
            let expr = key.expr.to_token_stream();
            let query = checked_key(&self.krate, &expr, key.name, self.func.name().span());
            let option = quote_spanned!(key.name=> key);
            return self.tiered_part(query, &quote!(#option #expr), self.func.name().span());
        }
        let parts: Vec<TokenStream> = self
            .func
            .args
            .iter()
            .map(|arg| {
                let part = query_part(&self.krate, arg, after);
                let name = &arg.name;
                let ty = &arg.ty;
                self.tiered_part(part, &quote!(#name #ty), after)
            })
            .collect();
        match parts.as_slice() {
            [] => quote!(&()),
            [one] => one.clone(),
            _ => quote!((#(#parts,)*)),
        }
    }

    fn main_fn(&self) -> TokenStream {
        let Func {
            outer_attrs,
            inner_attrs,
            vis,
            sig,
            ..
        } = self.func;
        let prelude = self.prelude(true);
        let values = mixed("__memokit_values");
        let cache = mixed("__memokit_cache");
        let miss = mixed("__memokit_miss");
        let hit = mixed("__memokit_hit");
        let key_let = self
            .options
            .key()
            .map(|key| key_binding(&self.krate, &key.expr.to_token_stream()));
        let query = self.query();
        let rebinds = &self.func.rebinds;
        // A `key` may name what a pattern binds, so patterns are bound
        // before it; without one, the lookup borrows the whole arguments.
        let (early, late) = match key_let {
            Some(_) => (rebinds.as_slice(), &[][..]),
            None => (&[][..], rebinds.as_slice()),
        };
        let compute = self.compute(quote!(#(#late)*));
        quote! {
            #(#outer_attrs)*
            #vis #sig {
                #(#inner_attrs)*
                #prelude
                #(#early)*
                #key_let
                let #miss = match #cache.lookup(#query, #values) {
                    ::core::result::Result::Ok(#hit) => return #hit,
                    ::core::result::Result::Err(#miss) => #miss,
                };
                #compute
            }
        }
    }
    /// Runs the body on a miss: as a closure, or for an `async fn` as an
    /// `async move` block, where `return` and `?` work as in the body.
    fn compute(&self, rebinds: TokenStream) -> TokenStream {
        let values = mixed("__memokit_values");
        let cache = mixed("__memokit_cache");
        let miss = mixed("__memokit_miss");
        let ret = &self.func.ret;
        if self.func.is_async {
            // An async block cannot declare its output type; a first
            // `return` of the declared type fixes it, so `?` infers and a
            // wrong `return` is reported at the user's token.
            let fake = Ident::new(
                "__memokit_return",
                Span::mixed_site().located_at(ret.span()),
            );
            let typed = quote_spanned! {ret.span()=>
                #[allow(
                    unknown_lints, unreachable_code, clippy::diverging_sub_expression,
                    clippy::empty_loop, clippy::let_unit_value, clippy::needless_return
                )]
                if false {
                    let #fake: #ret = loop {};
                    return #fake;
                }
            };
            let body = self.body(quote!(#typed #rebinds));
            quote! {
                #cache.compute_async(#miss, #values, async move #body).await
            }
        } else {
            let body = self.body(rebinds);
            quote! {
                #cache.compute(#miss, #values, move || -> #ret #body)
            }
        }
    }

    /// The user's block with the argument patterns rebound at its top, in
    /// the user's braces (so a missing tail expression is reported there,
    /// and `unused_braces` has no extra pair to flag).
    fn body(&self, rebinds: TokenStream) -> Group {
        let stmts = &self.func.body;
        let mut body = Group::new(Delimiter::Brace, quote!(#rebinds #stmts));
        body.set_span(self.func.braces);
        body
    }

    /// `<name>_memokit()`: the control API, reachable wherever the function is.
    fn companion_fn(&self) -> TokenStream {
        let func = self.func;
        let krate = &self.krate;
        let prelude = self.prelude(false);
        let cache = mixed("__memokit_cache");
        let self_name = Ident::new("__memokit_self", Span::call_site());
        let Companion {
            header,
            pattern,
            closure_type,
        } = Companion::new(
            func,
            &self.krate,
            &self.func.ret,
            &self_name,
            self.options.key().is_some(),
            |types| types,
        );
        let body = match self.options.key() {
            Some(key) => {
                let expr = replace_self(key.expr.to_token_stream(), &self_name);
                let binding = key_binding(krate, &expr);
                let query = checked_key(krate, &expr, key.name, func.name().span());
                let option = quote_spanned!(key.name=> key);
                let tokens = quote!(#option #expr);
                let query = self.tiered_part(query, &tokens, func.name().span());
                quote! {{
                    #binding
                    #krate::__private::Lookup::to_key(&#query)
                }}
            }
            None => {
                let query = self.query();
                quote!(#krate::__private::Lookup::to_key(&#query))
            }
        };
        let control = checked_value(
            krate,
            &self.func.ret,
            quote!(#krate::__private::CacheRef::new(#cache, move |#pattern: #closure_type| #body)),
        );
        quote! {
            #header {
                #prelude
                #control
            }
        }
    }
}

/// FNV-1a, 64 bits: a fixed, documented hash.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `self.id` in a key expression becomes `__memokit_self.id` in the
/// companion, whose closure takes the receiver as an ordinary argument.
fn replace_self(tokens: TokenStream, with: &Ident) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) if i == "self" => {
                TokenTree::Ident(Ident::new(&with.to_string(), i.span()))
            }
            TokenTree::Group(g) => {
                let mut new = Group::new(g.delimiter(), replace_self(g.stream(), with));
                new.set_span(g.span());
                TokenTree::Group(new)
            }
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fnv1a64;

    #[test]
    fn the_fingerprint_is_fnv1a_64() {
        // The published test vectors: the hash must never change, or every
        // stored entry would be orphaned by an upgrade.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
