//! The annotated function, as a model the validator and the emitter read.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, Ident, Item, Pat, PatIdent, Receiver, ReturnType, Signature, TraitItemFn,
    Type, Visibility,
};

use crate::errors::Errors;

pub struct Func {
    pub outer_attrs: Vec<Attribute>,
    /// Further `#[cached]` attributes, taken out of `outer_attrs`.
    pub repeated: Vec<Attribute>,
    pub inner_attrs: Vec<Attribute>,
    pub vis: Visibility,
    /// The signature as emitted: argument patterns replaced by names.
    pub sig: Signature,
    /// The body's statements as written, never parsed: a syntax error in
    /// them is reported where it is, and the function still expands.
    pub body: TokenStream,
    /// The span of the body's braces.
    pub braces: Span,
    pub receiver: Option<Receiver>,
    pub args: Vec<Arg>,
    // What expansion and fallback both need, worked out once:
    /// The return type, `()` when there is none.
    pub ret: Type,
    /// `let <pattern> = <name>;` for each argument written as a pattern.
    pub rebinds: Vec<TokenStream>,
    /// The type parameters: each instantiation gets its own cache.
    pub type_params: Vec<Ident>,
    pub is_async: bool,
}

pub struct Arg {
    /// The name the body refers to, or a generated one for a pattern.
    pub name: Ident,
    /// A destructuring pattern, rebound from `name` inside the body.
    pub pattern: Option<Box<Pat>>,
    pub ty: Box<Type>,
}

impl Arg {
    /// `X` when the argument is `&X` (the key stores `X::Owned`).
    pub fn referent(&self) -> Option<&Type> {
        match &*self.ty {
            Type::Reference(r) if r.mutability.is_none() => Some(&r.elem),
            _ => None,
        }
    }
}

impl Func {
    /// Reads the item under the attribute. Anything but a function with a
    /// body gets an error under its keyword.
    pub fn parse(item: TokenStream, errors: &Errors) -> Option<Func> {
        match syn::parse2::<MaybeItemFn>(item.clone()) {
            Ok(f) => Some(Func::from_item(f)),
            Err(e) => {
                errors.push(not_a_function(item).unwrap_or(e));
                None
            }
        }
    }

    fn from_item(f: MaybeItemFn) -> Func {
        let (repeated, outer_attrs) = f.attrs.into_iter().partition(is_cached);
        let mut sig = f.sig;
        let mut receiver = None;
        let mut args = Vec::new();
        for (i, input) in sig.inputs.iter_mut().enumerate() {
            match input {
                FnArg::Receiver(r) => receiver = Some(r.clone()),
                FnArg::Typed(typed) => {
                    let (name, pattern) = match &*typed.pat {
                        Pat::Ident(PatIdent {
                            ident,
                            by_ref: None,
                            subpat: None,
                            ..
                        }) => (ident.clone(), None),
                        other => {
                            let name = format_ident!("__memokit_arg{}", i, span = other.span());
                            let pattern = std::mem::replace(
                                &mut typed.pat,
                                Box::new(Pat::Ident(PatIdent {
                                    attrs: Vec::new(),
                                    by_ref: None,
                                    mutability: None,
                                    ident: name.clone(),
                                    subpat: None,
                                })),
                            );
                            (name, Some(pattern))
                        }
                    };
                    args.push(Arg {
                        name,
                        pattern,
                        ty: typed.ty.clone(),
                    });
                }
            }
        }
        let ret = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        let rebinds = args
            .iter()
            .filter_map(|Arg { name, pattern, .. }| {
                pattern.as_ref().map(|pat| quote!(let #pat = #name;))
            })
            .collect();
        let type_params = sig
            .generics
            .type_params()
            .map(|p| p.ident.clone())
            .collect();
        let is_async = sig.asyncness.is_some();
        Func {
            ret,
            rebinds,
            type_params,
            is_async,
            outer_attrs,
            repeated,
            inner_attrs: f.inner_attrs,
            vis: f.vis,
            sig,
            body: f.body,
            braces: f.braces,
            receiver,
            args,
        }
    }

    pub fn name(&self) -> &Ident {
        &self.sig.ident
    }
}

/// A function whose body is kept as tokens, as tracing's `MaybeItemFn`.
struct MaybeItemFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    inner_attrs: Vec<Attribute>,
    body: TokenStream,
    braces: Span,
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = match input.parse::<TokenTree>()? {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => g,
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "expected the function's body",
                ))
            }
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the function's body"));
        }
        let (inner_attrs, stmts) = split_inner_attrs(&body);
        Ok(MaybeItemFn {
            attrs,
            vis,
            sig,
            inner_attrs,
            body: stmts,
            braces: body.span(),
        })
    }
}

/// The body's leading inner attributes (`#![allow(..)]`), which go to the
/// top of the emitted function, and the rest of the body.
fn split_inner_attrs(body: &Group) -> (Vec<Attribute>, TokenStream) {
    let parser = |input: ParseStream| {
        let attrs = input.call(Attribute::parse_inner)?;
        let rest: TokenStream = input.parse()?;
        Ok((attrs, rest))
    };
    parser
        .parse2(body.stream())
        .unwrap_or_else(|_| (Vec::new(), body.stream()))
}

fn is_cached(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "cached")
}

/// A targeted error for items that are not functions with a body.
fn not_a_function(item: TokenStream) -> Option<syn::Error> {
    if let Ok(decl) = syn::parse2::<TraitItemFn>(item.clone()) {
        if decl.default.is_none() {
            let span = decl.semi_token.map_or(decl.sig.ident.span(), |s| s.span);
            return Some(syn::Error::new(
                span,
                "#[cached] needs a function body: put it on the method in the `impl` block, not on the trait's declaration",
            ));
        }
    }
    let item: Item = syn::parse2(item).ok()?;
    let (span, what): (Span, &str) = match &item {
        Item::Struct(s) => (s.struct_token.span, "a struct"),
        Item::Enum(e) => (e.enum_token.span, "an enum"),
        Item::Const(c) => (c.const_token.span, "a const"),
        Item::Static(s) => (s.static_token.span, "a static"),
        Item::Impl(i) => (i.impl_token.span, "an impl block"),
        Item::Trait(t) => (t.trait_token.span, "a trait"),
        Item::Mod(m) => (m.mod_token.span, "a module"),
        Item::Type(t) => (t.type_token.span, "a type alias"),
        Item::Union(u) => (u.union_token.span, "a union"),
        Item::Use(u) => (u.use_token.span, "a use declaration"),
        Item::ForeignMod(f) => (f.abi.extern_token.span, "an extern block"),
        other => (other.span(), "this item"),
    };
    Some(syn::Error::new(
        span,
        format!("#[cached] applies to functions, not to {what}: put it on a `fn` with a body"),
    ))
}
