//! Span tricks: generated checks and values spanned so that what rustc
//! reports of them lands under the user's tokens, and only there.
//!
//! The checks of argument, key and return types are calls spanned over what
//! they check, so a failed check is reported under it, and only there.
//! An argument or key check is `check(&x)`:
//! - `&` carries the span of the range's end and `x` that of its start, so
//!   rustc's span for `&x`, the one it reports, covers the range;
//! - the parentheses carry a span after the range, so the call's span is not
//!   that of `&x`: rustc then finds `&x` as the expression to blame, and does
//!   not suggest borrowing it (`&T` passes a check that ignores lifetimes,
//!   but would not pass the cache);
//! - `check` spans the range too, so rustc adds no second label for it.
//!
//! Names keep the user's hygiene: with `Span::mixed_site()` rustc would
//! report the attribute instead.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::Type;

use crate::func::Arg;

/// `Some(<expr>)` for a constant option value of type `ty`, evaluated at
/// compile time: a value of another type is one error at `expr`, the one
/// `typed`, the path of a function passing a value of type `ty` through,
/// reports. With
/// `checked`, each of `asserts` (the arguments of an `assert!` over the
/// value) is checked there too, and fails as one error under `expr`: the
/// `assert!` runs from its first token to its last.
pub fn checked_const(
    expr: &syn::Expr,
    checked: bool,
    ty: TokenStream,
    typed: TokenStream,
    asserts: impl FnOnce(&Ident) -> Vec<TokenStream>,
) -> TokenStream {
    let (first, last) = span_range(expr);
    let (first, last) = (
        Span::call_site().located_at(first),
        Span::call_site().located_at(last),
    );
    let value = Ident::new("__MEMOKIT_VALUE", Span::mixed_site().located_at(first));
    let ty = respan(ty, first);
    // `typed(<expr>)`, whose bound on the type of `expr` names what it must
    // be; when it fails, the call's type is unknown, so the constant's
    // declared type adds no second error.
    let typed = respan(typed, first);
    let mut arg = Group::new(Delimiter::Parenthesis, expr.to_token_stream());
    arg.set_span(last);
    let check = checked.then(|| {
        let asserts = asserts(&value).into_iter().map(|args| {
            let path = respan(quote!(::core::assert!), first);
            let mut args = Group::new(Delimiter::Parenthesis, respan(args, first));
            args.set_span(last);
            quote!(#path #args;)
        });
        quote_spanned!(first=> const _: () = { #(#asserts)* };)
    });
    quote_spanned! {first=>
        ::core::option::Option::Some({
            const #value: #ty = #typed #arg;
            #check
            #value
        })
    }
}

/// `tokens` located at `span`, hygiene kept, so what the compiler reports of
/// them lands there.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
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
pub fn spanned_krate(krate: &TokenStream, span: Span) -> TokenStream {
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
pub fn key_name(expr: &TokenStream) -> Ident {
    let (_, last) = span_range(expr);
    Ident::new("__memokit_key", last)
}

/// The value of `key = <expr>`, as the lookup borrows it, checked to be
/// usable as a key: a type that is not is one error at `key = <expr>`.
/// `option` is the span of the option's name, `after` one that follows.
pub fn checked_key(
    krate: &TokenStream,
    expr: &TokenStream,
    option: Span,
    after: Span,
) -> TokenStream {
    let (_, last) = span_range(expr);
    let key = Ident::new("__memokit_key", last.located_at(option));
    let at_option = spanned_krate(krate, option);
    let query = quote_spanned!(option=> *(&#at_option::__private::KeyProbe(#key)).memokit_query());
    check_call(krate, "KeyExpr", query, option, last, after)
}

/// `key = <expr>` evaluated once, by reference, so `key = name` does not
/// move an argument the body uses.
pub fn key_binding(krate: &TokenStream, expr: &TokenStream) -> TokenStream {
    let key = key_name(expr);
    quote! {
        #[allow(unused_imports)]
        use #krate::__private::{BorrowedKey as _, OwnedKey as _};
        let #key = &(#expr);
    }
}

/// One argument as the lookup borrows it, checked to be usable as part of a
/// key: a type that is not is one error at the argument.
pub fn query_part(krate: &TokenStream, arg: &Arg, after: Span) -> TokenStream {
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
pub fn check_call(
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
pub fn checked_value(krate: &TokenStream, ret: &Type, value: TokenStream) -> TokenStream {
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

/// `value` once the stored part of the return type `ret` is checked to be
/// storable in a tier (`serde`): one error at `ret` if it is not, as in
/// [`checked_value`].
pub fn checked_tier_value(krate: &TokenStream, ret: &Type, value: TokenStream) -> TokenStream {
    let (first, last) = span_range(ret);
    let at_first = spanned_krate(krate, first);
    let kind = quote_spanned!(first=> (&#at_first::__private::Kind::<#ret>::new()));
    let stored = quote_spanned!(last=> 0);
    let check = spanned_path(krate, "TierValue", first, last);
    quote_spanned! {first=>
        #check(&#kind.memokit_parts().#stored, #value)
    }
}

/// A key part (`query`, as [`query_part`] or [`checked_key`] builds it)
/// checked to be storable in a tier: one error at the tokens from `start`
/// to `end` if its owned form is not `serde::Serialize`.
pub fn tier_key_part(
    krate: &TokenStream,
    query: TokenStream,
    start: Span,
    end: Span,
    after: Span,
) -> TokenStream {
    // The part is bound first, so the checked expression is a name spanned
    // like an argument (`&*part`), which rustc reports as `KeyArg`'s `&x`.
    let part = Ident::new("__memokit_part", start);
    let deref = quote_spanned!(start=> *);
    let check = check_call(krate, "TierKey", quote!(#deref #part), start, end, after);
    let mut block = Group::new(Delimiter::Brace, quote!(let #part = #query; #check));
    block.set_span(start);
    block.into_token_stream()
}

/// `::memokit::__private::<check>::pass` or `::query`, from `first` to `last`.
pub fn spanned_path(krate: &TokenStream, check: &str, first: Span, last: Span) -> TokenStream {
    let method = if check.starts_with("Cacheable") || check == "TierValue" {
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
pub fn span_range(tokens: &impl ToTokens) -> (Span, Span) {
    let mut iter = tokens.to_token_stream().into_iter();
    let first = iter.next().map_or_else(Span::call_site, |t| t.span());
    let last = iter.last().map_or(first, |t| t.span());
    (first, last)
}
