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
//!     let cache = __MEMOKIT_SITE.cache::<(), (String, u16), io::Result<IpAddr>, _>(values);
//!     let miss = match cache.lookup((host, &port), values) {
//!         Ok(hit) => return hit,
//!         Err(miss) => miss,
//!     };
//!     cache.compute(miss, values, move || -> io::Result<IpAddr> { body })
//! }
//! pub fn resolve_memokit() -> CacheRef<io::Result<IpAddr>, impl for<'a> KeyFn<(&'a str, u16)>> { .. }
//! ```
//!
//! Both statics resolve to one cache through the runtime's registry, which
//! keys them by the id (module path, name and source location).
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
//! A method (a function with a receiver) resolves with `Site::method_cache`,
//! also passing `type_name::<Self>()`, so a generic `impl` block has one
//! cache per `Self`. An `async fn` runs its body as an `async move` block
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
use syn::{ItemFn, Lifetime, ReturnType, Type};

use crate::attr::Options;
use crate::errors::Errors;
use crate::func::{Arg, Func};
use crate::validate;

pub fn cached(args: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::default();
    let options = Options::parse(args, &errors);
    let func = Func::parse(item.clone(), &errors);
    if let Some(func) = &func {
        validate::check(&options, func, &errors);
    }
    match func {
        Some(func) if errors.is_empty() => Expansion::new(&options, &func).emit(),
        _ => fallback(item, errors),
    }
}

/// The user's item unchanged (less any second `#[cached]`) beside the
/// errors, so nothing else fails and IDEs keep working.
fn fallback(item: TokenStream, errors: Errors) -> TokenStream {
    let errors = errors.into_compile_errors();
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(mut f) => {
            f.attrs
                .retain(|a| a.path().segments.last().is_none_or(|s| s.ident != "cached"));
            quote!(#errors #f)
        }
        Err(_) => quote!(#errors #item),
    }
}

struct Expansion<'a> {
    options: &'a Options,
    func: &'a Func,
    ret: Type,
}

fn mixed(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

impl<'a> Expansion<'a> {
    fn new(options: &'a Options, func: &'a Func) -> Self {
        let ret = match &func.sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        Expansion { options, func, ret }
    }

    fn emit(&self) -> TokenStream {
        let main = self.main_fn();
        let companion = self.companion_fn();
        quote!(#main #companion)
    }

    fn config(&self) -> TokenStream {
        let name = self.func.name().to_string();
        let ttl = match self.options.ttl {
            Some((d, _)) => {
                let nanos = u64::try_from(d.as_nanos()).expect("checked by duration::parse");
                quote!(::core::option::Option::Some(::core::time::Duration::from_nanos(#nanos)))
            }
            None => quote!(::core::option::Option::None),
        };
        let capacity = match self.options.capacity {
            Some((n, _)) => {
                let n = proc_macro2::Literal::u64_unsuffixed(n);
                quote!(::core::option::Option::Some(#n))
            }
            None => quote!(::core::option::Option::None),
        };
        quote! {
            &::memokit::__private::Config {
                id: ::core::concat!(
                    ::core::module_path!(), "::", #name,
                    " (", ::core::file!(), ":", ::core::line!(), ":", ::core::column!(), ")"
                ),
                name: #name,
                ttl: #ttl,
                capacity: #capacity,
            }
        }
    }

    /// The site static, the value policy and the cache, as locals.
    fn prelude(&self) -> TokenStream {
        let site = mixed("__MEMOKIT_SITE");
        let values = mixed("__memokit_values");
        let cache = mixed("__memokit_cache");
        let config = self.config();
        let ret = &self.ret;
        let key = self.key_type();
        let values_of = quote_spanned! {ret.span()=>
            (&::memokit::__private::Kind::<#ret>::new()).memokit_values()
        };
        let instance = self.instance_type();
        // A type parameter that is not `'static` cannot tell instantiations
        // apart; the compiler's error then points at the first parameter.
        let span = self
            .func
            .sig
            .generics
            .type_params()
            .next()
            .map_or_else(Span::call_site, |p| p.ident.span());
        let resolve = match &self.func.receiver {
            Some(_) => quote_spanned! {span=>
                ::memokit::__private::Site::method_cache::<#instance, #key, #ret, _>(
                    &#site, ::core::any::type_name::<Self>(), #values,
                )
            },
            None => quote_spanned! {span=>
                ::memokit::__private::Site::cache::<#instance, #key, #ret, _>(&#site, #values)
            },
        };
        quote! {
            static #site: ::memokit::__private::Site = ::memokit::__private::Site::new(#config);
            #[allow(unused_imports)]
            use ::memokit::__private::{PlainKind as _, ResultKind as _};
            let #values = #values_of;
            let #cache = #resolve;
        }
    }

    /// `fn() -> (T, U,)` of the type parameters, so each instantiation of a
    /// generic function gets its own cache; `()` when there are none.
    fn instance_type(&self) -> TokenStream {
        let params: Vec<&Ident> = self
            .func
            .sig
            .generics
            .type_params()
            .map(|p| &p.ident)
            .collect();
        if params.is_empty() {
            quote!(())
        } else {
            quote!(fn() -> (#(#params,)*))
        }
    }

    /// The owned key type, or `_` when `key = ...` decides it.
    fn key_type(&self) -> TokenStream {
        if self.options.key.is_some() {
            return quote!(_);
        }
        let parts: Vec<TokenStream> = self.func.args.iter().map(key_part).collect();
        match parts.as_slice() {
            [one] => one.clone(),
            _ => quote!((#(#parts,)*)),
        }
    }

    /// The borrowed form of the key, built from the arguments.
    fn query(&self) -> TokenStream {
        if self.options.key.is_some() {
            let key = mixed("__memokit_key");
            return quote!(&#key);
        }
        let parts: Vec<TokenStream> = self.func.args.iter().map(query_part).collect();
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
            args,
            ..
        } = self.func;
        let prelude = self.prelude();
        let values = mixed("__memokit_values");
        let cache = mixed("__memokit_cache");
        let miss = mixed("__memokit_miss");
        let hit = mixed("__memokit_hit");
        let key_let = self.options.key.as_ref().map(|expr| {
            let key = mixed("__memokit_key");
            let checked = quote_spanned!(expr.span()=> ::memokit::__private::key(#expr));
            quote!(let #key = #checked;)
        });
        let query = self.query();
        let rebinds = args
            .iter()
            .filter_map(|Arg { name, pattern, .. }| {
                pattern.as_ref().map(|pat| quote!(let #pat = #name;))
            })
            .collect();
        let compute = self.compute(rebinds);
        quote! {
            #(#outer_attrs)*
            #vis #sig {
                #(#inner_attrs)*
                #prelude
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
        let ret = &self.ret;
        if self.func.sig.asyncness.is_some() {
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
        let block = &self.func.block;
        let stmts = &block.stmts;
        let mut body = Group::new(Delimiter::Brace, quote!(#rebinds #(#stmts)*));
        body.set_span(block.brace_token.span.join());
        body
    }

    /// `<name>_memokit()`: the control API, reachable wherever the function is.
    fn companion_fn(&self) -> TokenStream {
        let func = self.func;
        let name = func.name();
        let companion = format_ident!("{}_memokit", name);
        let vis = &func.vis;
        let cfgs = func.outer_attrs.iter().filter(|a| a.path().is_ident("cfg"));
        let doc = format!(
            " Control of the cache of `{name}`: clear it, invalidate, insert or peek the entry \
             for given arguments, count its entries, read its statistics. Generated by `#[cached]`."
        );
        let prelude = self.prelude();
        let cache = mixed("__memokit_cache");
        let ret = &self.ret;

        let self_name = Ident::new("__memokit_self", Span::call_site());
        let mut names: Vec<TokenStream> = Vec::new();
        let mut types: Vec<Type> = Vec::new();
        if func.receiver.is_some() {
            names.push(self_name.to_token_stream());
            types.push(syn::parse_quote!(&Self));
        }
        for arg in &func.args {
            names.push(arg.name.to_token_stream());
            types.push((*arg.ty).clone());
        }
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
        let body = match &self.options.key {
            Some(expr) => replace_self(expr.to_token_stream(), &self_name),
            None => {
                let key = self.key_type();
                let query = self.query();
                quote!(::memokit::__private::Lookup::<#key>::to_key(&#query))
            }
        };
        let generics = type_generics(&func.sig.generics);
        let (generics, _, where_clause) = generics.split_for_impl();
        quote! {
            #(#cfgs)*
            #[doc = #doc]
            #[allow(dead_code, unused_variables)]
            #vis fn #companion #generics() -> ::memokit::CacheRef<#ret, impl #for_lifetimes ::memokit::__private::KeyFn<#args_type>>
            #where_clause
            {
                #prelude
                ::memokit::__private::CacheRef::new(#cache, move |#pattern: #closure_type| #body)
            }
        }
    }
}

fn key_part(arg: &Arg) -> TokenStream {
    match arg.referent() {
        Some(x) => quote_spanned!(arg.ty.span()=> <#x as ::memokit::__private::KeyRef>::Key),
        None => {
            let ty = &arg.ty;
            quote_spanned!(ty.span()=> <#ty as ::memokit::__private::CacheKey>::Key)
        }
    }
}

fn query_part(arg: &Arg) -> TokenStream {
    let name = &arg.name;
    match arg.referent() {
        Some(_) => quote!(#name),
        None => quote!(&#name),
    }
}

/// Gives every elided lifetime in `types` a name, so the companion's return
/// type can quantify over them (`for<'m0> KeyFn<&'m0 str>`), together
/// with the function's own lifetime parameters.
fn name_elided_lifetimes(
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
