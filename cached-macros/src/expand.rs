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
//!     static __MEMOKIT_SITE: Site = Site::new(&Config { id, name, ttl, capacity });
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
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Lifetime, Type};

use crate::attr::{Capacity, Options, Ttl};
use crate::errors::Errors;
use crate::fallback;
use crate::func::{Arg, Func};
use crate::krate;
use crate::validate::{self, Decision};

pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::default();
    let options = Options::parse(args, &errors);
    let Some(func) = Func::parse(item.clone(), &errors) else {
        let errors = errors.into_compile_errors();
        return quote!(#errors #item);
    };
    let decision = validate::check(&options, &func, &errors);
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
        let ttl = match &self.options.ttl {
            Some((Ttl::Literal(d), _)) => {
                let nanos = u64::try_from(d.as_nanos()).expect("checked by duration::parse");
                quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#nanos)))
            }
            Some((Ttl::Const(expr), _)) => {
                checked_const(expr, checked, quote!(::core::time::Duration), |value| {
                    quote! {
                        ::core::assert!(
                            !#value.is_zero(),
                            "memokit: `ttl` must be longer than zero: to cache forever, leave `ttl` out"
                        );
                        ::core::assert!(
                            #value.as_nanos() <= ::core::primitive::u64::MAX as ::core::primitive::u128,
                            "memokit: `ttl` is too long a duration: at most 584 years fit"
                        );
                    }
                })
            }
            None => quote!(::core::option::Option::None),
        };
        let capacity = match &self.options.capacity {
            Some((Capacity::Literal(n), _)) => {
                let n = proc_macro2::Literal::u64_unsuffixed(*n);
                quote!(::core::option::Option::Some(#n))
            }
            Some((Capacity::Const(expr), _)) => {
                checked_const(expr, checked, quote!(::core::primitive::usize), |value| {
                    quote! {
                        ::core::assert!(
                            #value != 0,
                            "memokit: `capacity` must be at least 1: to keep every entry, leave `capacity` out"
                        );
                    }
                })
            }
            None => quote!(::core::option::Option::None),
        };
        let serial = self.serial.to_string();
        let krate = &self.krate;
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
            }
        }
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
        let resolve = quote_spanned! {span=>
            #checked_site.cache::<#instance, _, #ret, _>(
                ::core::any::type_name_of_val(&|| ()), #values,
            )
        };
        quote! {
            static #site: #krate::__private::Site = #krate::__private::Site::new(#config);
            #[allow(unused_imports)]
            use #krate::__private::{PlainKind as _, ResultKind as _};
            let #values = (&#krate::__private::Kind::<#ret>::new()).memokit_values();
            let #cache = #resolve;
        }
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
        if let Some(key) = self.options.key() {
            let expr = key.expr.to_token_stream();
            return checked_key(&self.krate, &expr, key.name, self.func.name().span());
        }
        let after = self.func.sig.paren_token.span.close();
        let parts: Vec<TokenStream> = self
            .func
            .args
            .iter()
            .map(|arg| query_part(&self.krate, arg, after))
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

/// The signature of `<name>_memokit()` and the argument pattern and type of
/// the closure inside that turns arguments into a key.
pub(crate) struct Companion {
    pub header: TokenStream,
    pattern: TokenStream,
    pub closure_type: TokenStream,
}

impl Companion {
    /// `adjust` rewrites the argument types and the return type (last)
    /// before they are written into the signature.
    pub fn new(
        func: &Func,
        krate: &TokenStream,
        ret: &Type,
        self_name: &Ident,
        key_given: bool,
        adjust: impl FnOnce(Vec<Type>) -> Vec<Type>,
    ) -> Companion {
        let name = func.name();
        let companion = format_ident!("{}_memokit", name);
        let vis = &func.vis;
        let cfgs = func.outer_attrs.iter().filter(|a| a.path().is_ident("cfg"));
        let doc = format!(
            " Control of the cache of `{name}`: clear it, invalidate, insert or peek the entry \
             for given arguments, count its entries, read its statistics. Generated by `#[cached]`."
        );
        let mut names: Vec<TokenStream> = Vec::new();
        let mut types: Vec<Type> = Vec::new();
        if func.receiver.is_some() {
            names.push(self_name.to_token_stream());
            types.push(syn::parse_quote!(&Self));
        }
        for arg in &func.args {
            // With `key = ...` the closure binds the argument patterns,
            // which the key may name.
            match (&arg.pattern, key_given) {
                (Some(pattern), true) => names.push(pattern.to_token_stream()),
                _ => names.push(arg.name.to_token_stream()),
            }
            types.push((*arg.ty).clone());
        }
        types.push(ret.clone());
        let mut types = adjust(types);
        let ret = types.pop().expect("the return type was pushed last");
        let (lifetimes, named_types) = name_elided_lifetimes(&func.sig.generics, types.clone());
        let types = elide_lifetimes(&func.sig.generics, types);
        let (pattern, closure_type, args_type) = match (names.as_slice(), types.as_slice()) {
            ([name], [ty]) => (quote!(#name), quote!(#ty), quote!(#(#named_types)*)),
            _ => (
                quote!((#(#names,)*)),
                quote!((#(#types,)*)),
                quote!((#(#named_types,)*)),
            ),
        };
        let for_lifetimes = (!lifetimes.is_empty()).then(|| quote!(for<#(#lifetimes),*>));
        let generics = type_generics(&func.sig.generics);
        let (generics, _, where_clause) = generics.split_for_impl();
        let header = quote! {
            #(#cfgs)*
            #[doc = #doc]
            #[allow(dead_code, unused_variables)]
            #vis fn #companion #generics() -> #krate::CacheRef<#ret, impl #for_lifetimes #krate::__private::KeyFn<#args_type>>
            #where_clause
        };
        Companion {
            header,
            pattern,
            closure_type,
        }
    }
}

// The checks of argument, key and return types are calls spanned over what
// they check, so a failed check is reported under it, and only there.
// An argument or key check is `check(&x)`:
// - `&` carries the span of the range's end and `x` that of its start, so
//   rustc's span for `&x`, the one it reports, covers the range;
// - the parentheses carry a span after the range, so the call's span is not
//   that of `&x`: rustc then finds `&x` as the expression to blame, and does
//   not suggest borrowing it (`&T` passes a check that ignores lifetimes,
//   but would not pass the cache);
// - `check` spans the range too, so rustc adds no second label for it.
// Names keep the user's hygiene: with `Span::mixed_site()` rustc would
// report the attribute instead.

/// `Some(<expr>)` for a constant option value of type `ty`, evaluated and
/// checked at compile time: a value of another type is one error at
/// `expr`, and a value `check` rejects one error there too.
fn checked_const(
    expr: &syn::Expr,
    checked: bool,
    ty: TokenStream,
    check: impl FnOnce(&Ident) -> TokenStream,
) -> TokenStream {
    let span = expr.span();
    let value = Ident::new("__MEMOKIT_VALUE", Span::mixed_site());
    let ty = respan(ty, span);
    let check = checked.then(|| {
        let check = respan(check(&value), span);
        quote_spanned!(span=> const _: () = { #check };)
    });
    quote_spanned! {span=>
        ::core::option::Option::Some({
            const #value: #ty = #expr;
            #check
            #value
        })
    }
}

/// `tokens` located at `span`, hygiene kept, so what the compiler reports of
/// them lands there.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut new = Group::new(g.delimiter(), respan(g.stream(), span));
                new.set_span(g.span().located_at(span));
                tt = TokenTree::Group(new);
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}

/// The crate's path with every token spanned at `span`, as if written
/// with `quote_spanned!`: a path that starts elsewhere would widen the span
/// rustc reports for the call it starts.
fn spanned_krate(krate: &TokenStream, span: Span) -> TokenStream {
    krate
        .clone()
        .into_iter()
        .map(|mut tt| {
            tt.set_span(span);
            tt
        })
        .collect()
}

/// The name the value of `key = <expr>` is bound to, by reference.
fn key_name(expr: &TokenStream) -> Ident {
    let (_, last) = span_range(expr);
    Ident::new("__memokit_key", last)
}

/// The value of `key = <expr>`, as the lookup borrows it, checked to be
/// usable as a key: a type that is not is one error at `key = <expr>`.
/// `option` is the span of the option's name, `after` one that follows.
fn checked_key(krate: &TokenStream, expr: &TokenStream, option: Span, after: Span) -> TokenStream {
    let (_, last) = span_range(expr);
    let key = Ident::new("__memokit_key", last.located_at(option));
    let at_option = spanned_krate(krate, option);
    let query = quote_spanned!(option=> *(&#at_option::__private::KeyProbe(#key)).memokit_query());
    check_call(krate, "KeyExpr", query, option, last, after)
}

/// `key = <expr>` evaluated once, by reference, so `key = name` does not
/// move an argument the body uses.
fn key_binding(krate: &TokenStream, expr: &TokenStream) -> TokenStream {
    let key = key_name(expr);
    quote! {
        #[allow(unused_imports)]
        use #krate::__private::{BorrowedKey as _, OwnedKey as _};
        let #key = &(#expr);
    }
}

/// One argument as the lookup borrows it, checked to be usable as part of a
/// key: a type that is not is one error at the argument.
fn query_part(krate: &TokenStream, arg: &Arg, after: Span) -> TokenStream {
    let (_, last) = span_range(&arg.ty);
    let name = &arg.name;
    let start = name.span();
    match arg.referent() {
        Some(_) => check_call(
            krate,
            "KeyBorrow",
            quote_spanned!(start=> *#name),
            start,
            last,
            after,
        ),
        None => check_call(krate, "KeyArg", quote!(#name), start, last, after),
    }
}

/// `::memokit::__private::<check>::query(&<value>)`, spanned as the comment
/// above says.
fn check_call(
    krate: &TokenStream,
    check: &str,
    value: TokenStream,
    start: Span,
    end: Span,
    after: Span,
) -> TokenStream {
    let path = spanned_path(krate, check, start, end);
    let borrow = quote_spanned!(end=> &);
    let mut args = Group::new(Delimiter::Parenthesis, quote!(#borrow #value));
    args.set_span(after);
    quote!(#path #args)
}

/// `value` once the return type `ret` is checked to be cacheable: if it is
/// not, that is one error at `ret`, and `value`'s type is left unknown so
/// no code using it reports the same problem again.
fn checked_value(krate: &TokenStream, ret: &Type, value: TokenStream) -> TokenStream {
    let (first, last) = span_range(ret);
    let at_first = spanned_krate(krate, first);
    let kind = quote_spanned!(first=> (&#at_first::__private::Kind::<#ret>::new()));
    let (stored, error) = (quote_spanned!(last=> 0), quote_spanned!(last=> 1));
    let cacheable = spanned_path(krate, "Cacheable", first, last);
    let cacheable_error = spanned_path(krate, "CacheableError", first, last);
    quote_spanned! {first=>
        #cacheable(
            &#kind.memokit_parts().#stored,
            #cacheable_error(&#kind.memokit_parts().#error, #value),
        )
    }
}

/// `::memokit::__private::<check>::pass` or `::query`, from `first` to `last`.
fn spanned_path(krate: &TokenStream, check: &str, first: Span, last: Span) -> TokenStream {
    let method = if check.starts_with("Cacheable") {
        "pass"
    } else {
        "query"
    };
    let check = Ident::new(check, first);
    let method = Ident::new(method, last);
    let krate = spanned_krate(krate, first);
    quote_spanned!(first=> #krate::__private::#check::#method)
}

/// The spans of the first and last tokens of `tokens`: generated code
/// spanning from one to the other is reported under all of `tokens`.
fn span_range(tokens: &impl ToTokens) -> (Span, Span) {
    let mut iter = tokens.to_token_stream().into_iter();
    let first = iter.next().map_or_else(Span::call_site, |t| t.span());
    let last = iter.last().map_or(first, |t| t.span());
    (first, last)
}

/// Gives every elided lifetime in `types` a name, so the companion's return
/// type can quantify over them (`for<'m0> KeyFn<&'m0 str>`), together
/// with the function's own lifetime parameters.
pub(crate) fn name_elided_lifetimes(
    generics: &syn::Generics,
    mut types: Vec<Type>,
) -> (Vec<Lifetime>, Vec<Type>) {
    struct Namer {
        named: Vec<Lifetime>,
    }
    impl Namer {
        fn fresh(&mut self, span: Span) -> Lifetime {
            let l = Lifetime::new(&format!("'__memokit{}", self.named.len()), span);
            self.named.push(l.clone());
            l
        }
    }
    impl VisitMut for Namer {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(self.fresh(r.and_token.span));
            }
            visit_mut::visit_type_reference_mut(self, r);
        }
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            if l.ident == "_" {
                *l = self.fresh(l.span());
            }
        }
    }
    let mut namer = Namer { named: Vec::new() };
    for ty in &mut types {
        namer.visit_type_mut(ty);
    }
    let mut lifetimes: Vec<Lifetime> = generics.lifetimes().map(|l| l.lifetime.clone()).collect();
    lifetimes.extend(namer.named);
    (lifetimes, types)
}

/// The function's generics less its lifetime parameters, which the
/// companion quantifies over in its return type instead (`for<'a>`): its
/// type parameters, with the bounds and predicates that do not mention
/// those lifetimes.
fn type_generics(generics: &syn::Generics) -> syn::Generics {
    let lifetimes: Vec<&Lifetime> = generics.lifetimes().map(|l| &l.lifetime).collect();
    let free = |tokens: &dyn ToTokens| !mentions_any(tokens, &lifetimes);
    let mut out = generics.clone();
    out.params = generics
        .params
        .iter()
        .filter(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
        .cloned()
        .map(|mut p| {
            if let syn::GenericParam::Type(t) = &mut p {
                t.bounds = t.bounds.iter().filter(|b| free(*b)).cloned().collect();
            }
            p
        })
        .collect();
    if let Some(clause) = &mut out.where_clause {
        clause.predicates = clause
            .predicates
            .iter()
            .filter_map(|pred| match pred {
                syn::WherePredicate::Type(t) if free(&t.bounded_ty) => {
                    let mut t = t.clone();
                    t.bounds = t.bounds.iter().filter(|b| free(*b)).cloned().collect();
                    (!t.bounds.is_empty()).then_some(syn::WherePredicate::Type(t))
                }
                syn::WherePredicate::Lifetime(_) | syn::WherePredicate::Type(_) => None,
                other => Some(other.clone()),
            })
            .collect();
    }
    out
}

/// Whether `tokens` name one of `lifetimes`.
fn mentions_any(tokens: &dyn ToTokens, lifetimes: &[&Lifetime]) -> bool {
    fn walk(stream: TokenStream, lifetimes: &[&Lifetime]) -> bool {
        let mut tokens = stream.into_iter().peekable();
        while let Some(tt) = tokens.next() {
            match tt {
                TokenTree::Punct(p) if p.as_char() == '\'' => {
                    if let Some(TokenTree::Ident(i)) = tokens.peek() {
                        if lifetimes.iter().any(|l| l.ident == *i) {
                            return true;
                        }
                    }
                }
                TokenTree::Group(g) if walk(g.stream(), lifetimes) => return true,
                _ => {}
            }
        }
        false
    }
    !lifetimes.is_empty() && walk(tokens.to_token_stream(), lifetimes)
}

/// The closure in the companion cannot name the function's lifetime
/// parameters: it takes `&'_ str` where the function took `&'a str`.
fn elide_lifetimes(generics: &syn::Generics, mut types: Vec<Type>) -> Vec<Type> {
    struct Elider(Vec<Lifetime>);
    impl VisitMut for Elider {
        fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
            if self.0.contains(l) {
                *l = Lifetime::new("'_", l.span());
            }
        }
    }
    let mut elider = Elider(generics.lifetimes().map(|l| l.lifetime.clone()).collect());
    for ty in &mut types {
        elider.visit_type_mut(ty);
    }
    types
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
