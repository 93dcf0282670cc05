//! Errors collected across parsing and validation, reported all at once.
//! The collector must be consumed: dropping it with errors unreported is a
//! bug in this crate, and panics, as serde's `Ctxt` does.

use proc_macro2::{Span, TokenStream};
use std::cell::RefCell;
use std::fmt::Display;

#[must_use = "errors are reported only by `into_compile_errors`"]
pub struct Errors {
    /// `None` once consumed.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Default for Errors {
    fn default() -> Self {
        Errors {
            errors: RefCell::new(Some(Vec::new())),
        }
    }
}

impl Errors {
    pub fn at(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    pub fn spanned(&self, tokens: impl quote::ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors are collected until they are reported")
            .push(error);
    }

    /// Every error as `compile_error!` invocations.
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .borrow_mut()
            .take()
            .into_iter()
            .flatten()
            .map(|e| e.to_compile_error())
            .collect()
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if self.errors.get_mut().is_some() && !std::thread::panicking() {
            panic!("memokit-macros: errors dropped without being reported");
        }
    }
}
