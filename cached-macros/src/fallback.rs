//! What a function `#[cached]` rejected becomes: the function as written
//! and a companion `<name>_memokit()` with the signature the real one would
//! have, so code calling either compiles and only the reported errors
//! remain. The companion returns a stand-in that is never run, since the
//! crate does not compile.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::Type;

use crate::companion::Companion;
use crate::func::Func;
use crate::lifetimes::StaticLifetimes;

pub fn emit(func: &Func, krate: &TokenStream) -> TokenStream {
    let Func {
        outer_attrs,
        inner_attrs,
        vis,
        sig,
        body,
        rebinds,
        ret,
        ..
    } = func;
    let companion = companion(func, krate, ret);
    quote! {
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #(#rebinds)*
            #body
        }
        #companion
    }
}

fn companion(func: &Func, krate: &TokenStream, ret: &Type) -> TokenStream {
    let self_name = Ident::new("__memokit_self", Span::call_site());
    let Companion {
        header,
        closure_type,
        ..
    } = Companion::new(func, krate, ret, &self_name, false, |mut types| {
        for ty in &mut types {
            Nameable.visit_type_mut(ty);
        }
        if let Some(ret) = types.last_mut() {
            StaticLifetimes.visit_type_mut(ret);
        }
        types
    });
    quote! {
        #header {
            #krate::__private::CacheRef::unavailable(|_: #closure_type| ())
        }
    }
}

/// `impl Trait` cannot be named in the companion's signature, nor `!` be a
/// type argument: `()` stands in for them.
struct Nameable;

impl VisitMut for Nameable {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(_) | Type::Never(_) = ty {
            *ty = syn::parse_quote!(());
        }
        visit_mut::visit_type_mut(self, ty);
    }
}
