//! Lifetimes in the companion's signature: the function's lifetime
//! parameters and elided lifetimes become the `for<..>` of its return type.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Lifetime, Type};

/// Gives every elided lifetime in `types` a name, so the companion's return
/// type can quantify over them (`for<'m0> KeyFn<&'m0 str>`), together
/// with the function's own lifetime parameters.
pub fn name_elided_lifetimes(
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
pub fn type_generics(generics: &syn::Generics) -> syn::Generics {
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
pub fn mentions_any(tokens: &dyn ToTokens, lifetimes: &[&Lifetime]) -> bool {
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
pub fn elide_lifetimes(generics: &syn::Generics, mut types: Vec<Type>) -> Vec<Type> {
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

/// A returned borrow has no argument to borrow from in the companion's
/// signature: `'static` stands in for its elided lifetimes.
pub struct StaticLifetimes;

impl VisitMut for StaticLifetimes {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(Lifetime::new("'static", r.and_token.span));
        }
        visit_mut::visit_type_reference_mut(self, r);
    }

    fn visit_lifetime_mut(&mut self, l: &mut Lifetime) {
        if l.ident == "_" {
            *l = Lifetime::new("'static", l.span());
        }
    }
}
