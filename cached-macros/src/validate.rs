//! Every check of the attribute against the function, in one place. Each
//! problem records one error under the token that causes it.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit::{self, Visit};
use syn::{Expr, GenericParam, ReturnType, Type, TypeImplTrait, TypeReference};

use crate::attr::{Options, Ttl};
use crate::errors::Errors;
use crate::func::Func;

/// What becomes of the function once checked.
pub enum Decision {
    /// Cache it; rejected options are simply left out.
    Expand,
    /// It cannot be cached as written: emit it unchanged, with a companion
    /// of the signature it would have.
    Fallback,
}

/// Records every problem of `func` under `options`, and decides. An option
/// that makes no sense beside the others is reported and left out.
pub fn check(options: &mut Options, func: &Func, errors: &Errors) -> Decision {
    for again in &func.repeated {
        errors.spanned(again, "#[cached] is applied twice: remove one");
    }
    check_refresh(options, errors);
    let mut problems = Problems {
        errors,
        found: false,
    };
    check_shape(func, &mut problems);
    check_receiver(options, func, &mut problems);
    check_args(options, func, &mut problems);
    if let Some(key) = options.key() {
        check_key(&key.expr, func, &mut problems);
    }
    check_return(func, &mut problems);
    check_version(options, errors);
    // A rejected `key` leaves the key unknown: expanding without it would
    // report the arguments as keys, on top of the key's own error.
    let key_rejected = matches!(options.key, Some(Err(_)));
    if !problems.found && !key_rejected {
        Decision::Expand
    } else {
        Decision::Fallback
    }
}

/// The problems of the function as written, each recorded as an error.
struct Problems<'a> {
    errors: &'a Errors,
    found: bool,
}

impl Problems<'_> {
    fn spanned(&mut self, tokens: impl quote::ToTokens, message: &str) {
        self.found = true;
        self.errors.spanned(tokens, message);
    }
}

/// `refresh` goes with a longer `ttl`: it is how old an entry gets before it
/// is recomputed ahead of its expiry. A constant on either side is checked
/// where it is evaluated (see `expand`).
fn check_refresh(options: &mut Options, errors: &Errors) {
    let Some((refresh, span)) = &options.refresh else {
        return;
    };
    let problem = match (&options.ttl, refresh) {
        // A rejected `ttl` has its own error.
        (None, _) if options.given("ttl") => Some(None),
        (None, _) => Some(Some(
            "`refresh` needs a `ttl`: an entry older than `refresh` is recomputed ahead of its expiry; add a longer one, like `ttl = \"10m\", refresh = \"8m\"`"
                .to_owned(),
        )),
        (Some((Ttl::Literal(ttl), _)), Ttl::Literal(refresh)) if refresh >= ttl => Some(Some(format!(
            "`refresh` must be shorter than `ttl` ({ttl:?}): it is how old an entry gets before it is recomputed ahead of its expiry, like `ttl = \"10m\", refresh = \"8m\"`"
        ))),
        _ => None,
    };
    if let Some(message) = problem {
        if let Some(message) = message {
            errors.at(*span, message);
        }
        options.refresh = None;
    }
}

fn check_shape(func: &Func, problems: &mut Problems) {
    let sig = &func.sig;
    if let Some(c) = &sig.constness {
        problems.spanned(
            c,
            "#[cached] cannot apply to a `const fn`: its cache lives at run time; remove `const`",
        );
    }
    if let Some(v) = &sig.variadic {
        problems.spanned(v, "#[cached] cannot key a variadic function");
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) | GenericParam::Type(_) => {}
            GenericParam::Const(c) => problems.spanned(
                &c.ident,
                "#[cached] does not support const generics: take the value as an argument",
            ),
        }
    }
}

fn check_receiver(options: &Options, func: &Func, problems: &mut Problems) {
    let Some(receiver) = &func.receiver else {
        return;
    };
    if receiver.colon_token.is_some() {
        problems.spanned(
            receiver,
            "#[cached] methods take `&self`: a typed receiver like `self: Arc<Self>` is not supported; write `&self`",
        );
    } else if receiver.reference.is_none() {
        problems.spanned(
            receiver.self_token,
            "#[cached] cannot cache a method taking `self` by value: take `&self` and add `key = ...`",
        );
    } else if receiver.mutability.is_some() {
        problems.spanned(
            receiver,
            "#[cached] cannot cache a `&mut self` method: a hit would skip its mutation; take `&self`",
        );
    } else if !options.key_given() {
        problems.spanned(
            receiver.self_token,
            "a `&self` method needs `key = ...` saying what identifies a call, e.g. `key = (self.id, page)`",
        );
    }
}

fn check_args(options: &Options, func: &Func, problems: &mut Problems) {
    for arg in &func.args {
        if let Type::Reference(TypeReference {
            mutability: Some(m),
            ..
        }) = &*arg.ty
        {
            problems.spanned(
                m,
                "#[cached] cannot cache a function taking `&mut`: a hit would skip its mutation; take `&` or a value",
            );
            continue;
        }
        // What the key stores: `X::Owned` of `&X`, else the type itself.
        let stored = arg.referent().unwrap_or(&arg.ty);
        let mut finder = Finder::default();
        finder.visit_type(stored);
        // Even with `key = ...` the argument's type is named in the
        // companion's signature, where `impl Trait` cannot stand.
        if let Some(impl_trait) = finder.impl_trait {
            problems.spanned(
                impl_trait,
                "#[cached] cannot take an `impl Trait` argument: name its type with a type parameter, `fn f<T: Trait>(x: T)`, or take `&dyn Trait` and add `key = ...`",
            );
            continue;
        }
        if options.key_given() {
            continue;
        }
        if let Some(dyn_trait) = finder.dyn_trait {
            problems.spanned(
                dyn_trait,
                "a `dyn Trait` argument cannot be a cache key: take a concrete type, or add `key = ...`",
            );
        } else if let Some(borrow) = finder.borrow {
            problems.spanned(
                borrow,
                "this argument holds a borrow, but the cache key outlives the call: take an owned type (`String`, `Vec<T>`), or add `key = ...`",
            );
        }
    }
}

/// Methods that return a borrow of their receiver.
const BORROWING_METHODS: &[&str] = &[
    "as_str",
    "as_ref",
    "as_slice",
    "as_bytes",
    "as_path",
    "as_os_str",
    "borrow",
    "deref",
    "trim",
];

fn check_key(key: &Expr, func: &Func, problems: &mut Problems) {
    if func.receiver.is_none() {
        if let Some(self_token) = find_self(key.to_token_stream()) {
            problems.spanned(
                self_token,
                "`key` uses `self`, but this function takes no `self`: build the key from its arguments",
            );
            return;
        }
    }
    // A borrowed key as a whole is stored as its owned form; a borrow
    // inside a tuple would be stored as a borrow.
    if let Some(borrow) = borrow_in_tuple(key, func, false) {
        problems.spanned(
            borrow,
            "the cache key outlives the call, so a part of it cannot be a borrow: make this part owned, e.g. `name.to_owned()`",
        );
    }
}

fn find_self(tokens: TokenStream) -> Option<TokenTree> {
    tokens.into_iter().find_map(|tt| match tt {
        TokenTree::Ident(ref i) if i == "self" => Some(tt),
        TokenTree::Group(g) => find_self(g.stream()),
        _ => None,
    })
}

/// A part of a tuple key that is plainly a borrow: `&name`,
/// `name.as_str()`, or an argument taken by reference.
fn borrow_in_tuple<'a>(key: &'a Expr, func: &Func, in_tuple: bool) -> Option<&'a Expr> {
    match key {
        Expr::Tuple(tuple) => tuple
            .elems
            .iter()
            .find_map(|e| borrow_in_tuple(e, func, true)),
        Expr::Paren(paren) => borrow_in_tuple(&paren.expr, func, in_tuple),
        Expr::Group(group) => borrow_in_tuple(&group.expr, func, in_tuple),
        _ if !in_tuple => None,
        Expr::Reference(_) => Some(key),
        Expr::MethodCall(call) => BORROWING_METHODS
            .contains(&call.method.to_string().as_str())
            .then_some(key),
        Expr::Path(path) => {
            let name = path.path.get_ident()?;
            let arg = func.args.iter().find(|a| a.name == *name)?;
            matches!(*arg.ty, Type::Reference(_)).then_some(key)
        }
        _ => None,
    }
}

fn check_return(func: &Func, problems: &mut Problems) {
    let ReturnType::Type(_, ty) = &func.sig.output else {
        return;
    };
    if let Type::Never(never) = &**ty {
        problems.spanned(
            never,
            "#[cached] cannot cache a function that never returns: remove #[cached]",
        );
        return;
    }
    let mut finder = Finder::default();
    finder.visit_type(ty);
    if let Some(impl_trait) = finder.impl_trait {
        problems.spanned(
            impl_trait,
            "#[cached] cannot store an `impl Trait` return value: name the type, or return `Arc<dyn Trait + Send + Sync>`",
        );
    } else if let Some(borrow) = finder.borrow {
        problems.spanned(
            borrow,
            "#[cached] cannot return a borrow: cached values outlive the call; return an owned value (`String`, `Vec<T>`, `Arc<T>`)",
        );
    }
}

/// `version` names what a tier stored; without a tier it means nothing.
/// Only the option is rejected: the function is still cached.
fn check_version(options: &Options, errors: &Errors) {
    if let (Some((_, span)), false) = (
        &options.version,
        options.given("disk") || options.given("redis"),
    ) {
        errors.at(
            *span,
            "`version` only applies to a tier: add `disk` or `redis`, or remove `version`",
        );
    }
}

/// Finds the first `impl Trait`, `dyn Trait` and non-`'static` borrow in a type.
#[derive(Default)]
struct Finder<'a> {
    impl_trait: Option<&'a TypeImplTrait>,
    dyn_trait: Option<&'a syn::TypeTraitObject>,
    borrow: Option<proc_macro2::TokenStream>,
}

impl<'a> Visit<'a> for Finder<'a> {
    fn visit_type_impl_trait(&mut self, t: &'a TypeImplTrait) {
        self.impl_trait.get_or_insert(t);
    }

    fn visit_type_trait_object(&mut self, t: &'a syn::TypeTraitObject) {
        self.dyn_trait.get_or_insert(t);
        visit::visit_type_trait_object(self, t);
    }

    fn visit_type_reference(&mut self, r: &'a TypeReference) {
        let is_static = r.lifetime.as_ref().is_some_and(|l| l.ident == "static");
        if !is_static && self.borrow.is_none() {
            self.borrow = Some(quote::quote!(#r));
        }
        visit::visit_type_reference(self, r);
    }

    /// A function pointer owns nothing: `fn(&str) -> usize` is `'static`.
    fn visit_type_bare_fn(&mut self, _: &'a syn::TypeBareFn) {}

    fn visit_lifetime(&mut self, l: &'a syn::Lifetime) {
        if l.ident != "static" && self.borrow.is_none() {
            self.borrow = Some(quote::quote!(#l));
        }
    }
}
