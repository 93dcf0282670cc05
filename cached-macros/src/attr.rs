//! The options inside `#[cached(...)]`, parsed into a typed model with a
//! span for each. Every problem is recorded; parsing goes on after it.

use std::time::Duration;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Ident, Lit, Token, UnOp};

use crate::duration;
use crate::errors::Errors;

/// Every option, one entry each: adding an option is adding an entry here
/// (with its field on [`Options`] and its value parser, `Set::Value` for
/// `name = <value>`, `Set::Flag` for a bare `name`); the list in error
/// messages, the suggestions for unknown names and the duplicate and
/// conflict checks all read this table. What the option means is then
/// written where it is used: its checks in `validate`, its code in `expand`.
const OPTIONS: &[OptionDef] = &[
    OptionDef {
        name: "ttl",
        listed: "`ttl = \"1s\"`",
        example: "write `ttl = \"1s\"`",
        aliases: &[
            "time", "lifespan", "expire", "expires", "expiry", "duration", "timeout",
        ],
        conflicts: &[],
        set: Set::Value(|options, value, _, errors| {
            options.ttl = duration("ttl", &value, errors).map(|d| (d, value.span()));
        }),
    },
    OptionDef {
        name: "refresh",
        listed: "`refresh = \"8m\"`",
        example: "write `refresh = \"8m\"` beside a longer `ttl`",
        aliases: &[
            "refresh_after",
            "refresh_after_write",
            "refresh_ahead",
            "stale_while_revalidate",
            "revalidate",
        ],
        conflicts: &[],
        set: Set::Value(|options, value, _, errors| {
            options.refresh = duration("refresh", &value, errors).map(|d| (d, value.span()));
        }),
    },
    OptionDef {
        name: "capacity",
        listed: "`capacity = 1000`",
        example: "write `capacity = 1000`",
        aliases: &["max_size", "size", "max_capacity", "cap", "limit"],
        conflicts: &[],
        set: Set::Value(|options, value, _, errors| {
            options.capacity = capacity(&value, errors).map(|c| (c, value.span()));
        }),
    },
    OptionDef {
        name: "key",
        listed: "`key = <expr>`",
        example: "write `key = <expression over the arguments>`",
        aliases: &["convert", "keys"],
        conflicts: &[],
        set: Set::Value(|options, value, name, errors| {
            options.key = Some(
                key(value, errors)
                    .map(|expr| Key { expr, name })
                    .ok_or(Rejected),
            );
        }),
    },
    OptionDef {
        name: "disk",
        listed: "`disk`",
        example: "write `disk`",
        aliases: &["persist", "persistent", "disk_store", "file"],
        conflicts: &["redis"],
        set: Set::Flag(|options, name, errors| {
            if cfg!(feature = "disk") {
                options.disk = Some(name);
            } else {
                errors.at(
                    name,
                    "`disk` needs memokit's cargo feature `disk`: depend on `memokit = { version = \"0.1\", features = [\"disk\"] }`",
                );
            }
        }),
    },
    OptionDef {
        name: "redis",
        listed: "`redis`",
        example: "write `redis`",
        aliases: &["redis_store", "shared", "remote"],
        conflicts: &["disk"],
        set: Set::Flag(|options, name, errors| {
            if cfg!(feature = "redis") {
                options.redis = Some(name);
            } else {
                errors.at(
                    name,
                    "`redis` needs memokit's cargo feature `redis`: depend on `memokit = { version = \"0.1\", features = [\"redis\"] }`",
                );
            }
        }),
    },
    OptionDef {
        name: "version",
        listed: "`version = 1`",
        example: "write `version = 2`",
        aliases: &[],
        conflicts: &[],
        set: Set::Value(|options, value, name, errors| {
            options.version = version(&value, errors).map(|v| (v, name));
        }),
    },
    // For facade crates that re-export memokit; not listed to users.
    OptionDef {
        name: "crate",
        listed: "",
        example: "write `crate = path::to::memokit`",
        aliases: &[],
        conflicts: &[],
        set: Set::Value(|options, value, _, errors| {
            options.krate = crate_path(value, errors);
        }),
    },
];

struct OptionDef {
    name: &'static str,
    /// How the list of options in error messages shows it; empty for an
    /// option that list leaves out.
    listed: &'static str,
    /// The hint after a missing or misplaced value.
    example: &'static str,
    /// Names users bring from other caching crates for it.
    aliases: &'static [&'static str],
    /// Options it cannot be given with.
    conflicts: &'static [&'static str],
    /// Reads the option into [`Options`].
    set: Set,
}

enum Set {
    /// `name = <value>`: reads the value, with the span of the option's
    /// name; a rejected value records its error and leaves the option unset.
    Value(fn(&mut Options, Expr, Span, &Errors)),
    /// A bare `name`, given the span of the name; a rejected flag records
    /// its error and leaves the option unset.
    Flag(fn(&mut Options, Span, &Errors)),
}

fn option(name: &str) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|o| o.name == name)
}

#[derive(Default)]
pub struct Options {
    pub ttl: Option<(Ttl, Span)>,
    /// With `ttl` and shorter than it; `validate` leaves it out otherwise.
    pub refresh: Option<(Ttl, Span)>,
    pub capacity: Option<(Capacity, Span)>,
    /// `Err` when `key` was given but rejected: the function is then not
    /// checked for a missing key on top of the error already reported.
    pub key: Option<Result<Key, Rejected>>,
    /// `disk`: the span of the flag.
    pub disk: Option<Span>,
    /// `redis`: the span of the flag.
    pub redis: Option<Span>,
    /// `version = N`, and the span of the option's name.
    pub version: Option<(u64, Span)>,
    /// `crate = path::to::memokit`, for a facade that re-exports the attribute.
    pub krate: Option<syn::Path>,
    /// The options seen so far, accepted or not, to catch duplicates and
    /// conflicts.
    seen: Vec<(&'static str, Span)>,
}

/// An option given with a value that was rejected, its error recorded.
pub struct Rejected;

/// `ttl = "1s"` (or `refresh = "1s"`), read here, or a constant `Duration`
/// expression, checked by the compiler.
pub enum Ttl {
    Literal(Duration),
    Const(Expr),
}

/// `capacity = 1000`, read here, or a constant `usize` expression, checked
/// by the compiler.
pub enum Capacity {
    Literal(u64),
    Const(Expr),
}

/// `key = <expr>`.
pub struct Key {
    pub expr: Expr,
    /// The option's name: a bad key type is reported from it to the end.
    pub name: Span,
}

impl Options {
    pub fn parse(tokens: TokenStream, errors: &Errors) -> Options {
        let mut options = Options::default();
        let parser = |input: ParseStream| {
            options.parse_all(input, errors);
            Ok(())
        };
        if let Err(e) = parser.parse2(tokens) {
            errors.push(e);
        }
        options
    }

    /// The accepted `key`.
    pub fn key(&self) -> Option<&Key> {
        self.key.as_ref().and_then(|k| k.as_ref().ok())
    }

    /// Whether the option `name` was given, accepted or not.
    pub fn given(&self, name: &str) -> bool {
        self.seen.iter().any(|(seen, _)| *seen == name)
    }

    /// The accepted tier: its backend's name (`disk`, `redis`).
    pub fn tier(&self) -> Option<&'static str> {
        match (self.disk, self.redis) {
            (Some(_), _) => Some("disk"),
            (_, Some(_)) => Some("redis"),
            _ => None,
        }
    }

    /// Whether `key` was given, accepted or not.
    pub fn key_given(&self) -> bool {
        self.key.is_some()
    }

    fn parse_all(&mut self, input: ParseStream, errors: &Errors) {
        while !input.is_empty() {
            if let Err(e) = self.parse_one(input, errors) {
                errors.push(e);
                skip_to_comma(input);
            }
            if input.is_empty() {
                break;
            }
            if input.peek(Token![,]) {
                let _ = input.parse::<Token![,]>();
                continue;
            }
            // Another option right after this one is a missing comma; any
            // other token is junk, skipped up to the next option.
            let next: TokenTree = input.fork().parse().expect("input is not empty");
            if input.peek(Ident::peek_any) {
                errors.at(next.span(), "expected `,` between options");
            } else {
                errors.at(
                    next.span(),
                    format!("expected `,` between options, found `{next}`"),
                );
                skip_to_comma(input);
            }
        }
    }

    fn parse_one(&mut self, input: ParseStream, errors: &Errors) -> syn::Result<()> {
        if input.peek(Lit) {
            let lit: Lit = input.parse()?;
            errors.spanned(&lit, positional(&lit));
            return Ok(());
        }
        if !input.peek(Ident::peek_any) {
            let next: TokenTree = input.parse()?;
            errors.at(
                next.span(),
                format!("expected an option, found `{next}`: {}", known_list()),
            );
            skip_to_comma(input);
            return Ok(());
        }
        let name = input.call(Ident::parse_any)?;
        let text = name.to_string();
        let Some(def) = option(&text) else {
            errors.at(name.span(), unknown_option(&text));
            skip_to_comma(input);
            return Ok(());
        };
        let set = match def.set {
            Set::Value(set) => set,
            Set::Flag(set) => {
                if input.peek(Token![=]) {
                    let eq: Token![=] = input.parse()?;
                    errors.at(eq.span, format!("`{text}` takes no value: {}", def.example));
                    skip_to_comma(input);
                } else if self.saw(def, name.span(), errors) {
                    set(self, name.span(), errors);
                }
                return Ok(());
            }
        };
        let Some(eq) = parse_eq(def, &name, input, errors)? else {
            return Ok(());
        };
        if input.is_empty() || input.peek(Token![,]) {
            errors.at(
                eq.span,
                format!("`{text}` needs a value after `=`: {}", def.example),
            );
            return Ok(());
        }
        let value = unwrap_groups(input.parse()?);
        if self.saw(def, name.span(), errors) {
            set(self, value, name.span(), errors);
        }
        Ok(())
    }

    /// Records that `def` is given at `span`; `false`, with the error
    /// recorded, if it was given already or conflicts with one that was.
    fn saw(&mut self, def: &'static OptionDef, span: Span, errors: &Errors) -> bool {
        let name = def.name;
        if self.seen.iter().any(|(seen, _)| *seen == name) {
            errors.at(span, format!("`{name}` is given twice; keep one"));
            return false;
        }
        self.seen.push((name, span));
        let conflict = self.seen.iter().find(|(seen, _)| {
            def.conflicts.contains(seen)
                || option(seen).is_some_and(|o| o.conflicts.contains(&name))
        });
        if let Some((other, _)) = conflict {
            errors.at(
                span,
                format!("`{name}` cannot be given with `{other}`: keep one"),
            );
            return false;
        }
        true
    }
}

/// The `=` after a known option's name; anything else is reported once.
fn parse_eq(
    def: &OptionDef,
    name: &Ident,
    input: ParseStream,
    errors: &Errors,
) -> syn::Result<Option<Token![=]>> {
    if input.peek(Token![=]) {
        return input.parse().map(Some);
    }
    let text = name.to_string();
    if input.is_empty() || input.peek(Token![,]) {
        errors.at(
            name.span(),
            format!("`{text}` needs a value: {}", def.example),
        );
    } else {
        let next: TokenTree = input.fork().parse()?;
        errors.at(
            next.span(),
            format!("expected `=` after `{text}`: {}", def.example),
        );
        skip_to_comma(input);
    }
    Ok(None)
}

/// "the options are `ttl = "1s"`, `capacity = 1000` and `key = <expr>`".
fn known_list() -> String {
    let listed: Vec<&str> = OPTIONS
        .iter()
        .map(|o| o.listed)
        .filter(|l| !l.is_empty())
        .collect();
    match listed.split_last() {
        Some((last, [])) => format!("the option is {last}"),
        Some((last, rest)) => format!("the options are {} and {last}", rest.join(", ")),
        None => "there are no options".to_owned(),
    }
}

/// The hint for a literal given without an option name.
fn positional(lit: &Lit) -> String {
    match lit {
        Lit::Str(s) if duration::parse("ttl", &s.value()).is_ok() => {
            format!("options are named: write `ttl = {}`", lit.to_token_stream())
        }
        Lit::Int(i) => format!(
            "options are named: write `capacity = {0}`, or `ttl = \"{0}s\"` for a time to live",
            i.base10_digits()
        ),
        _ => format!("options are named: {}", known_list()),
    }
}

fn skip_to_comma(input: ParseStream) {
    while !input.is_empty() && !input.peek(Token![,]) {
        if input.parse::<TokenTree>().is_err() {
            break;
        }
    }
}

fn unknown_option(name: &str) -> String {
    let listed = OPTIONS.iter().filter(|o| !o.listed.is_empty());
    let suggestion = listed
        .clone()
        .find(|o| o.aliases.contains(&name))
        .map(|o| o.name)
        .or_else(|| {
            listed
                .map(|o| (edit_distance(name, o.name), o.name))
                .filter(|(d, known)| *d <= known.len() / 2 + 1)
                .min()
                .map(|(_, known)| known)
        });
    let known = known_list();
    match suggestion {
        Some(s) => format!("unknown option `{name}`: did you mean `{s}`? ({known})"),
        None => format!("unknown option `{name}`: {known}"),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A value as written, seen through the invisible groups that a
/// `macro_rules!` fragment (`$x:expr`, `$x:literal`) arrives in.
fn unwrap_groups(mut value: Expr) -> Expr {
    while let Expr::Group(group) = value {
        value = *group.expr;
    }
    value
}

/// The value of `ttl` or `refresh` (`option`).
fn duration(option: &str, value: &Expr, errors: &Errors) -> Option<Ttl> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => match duration::parse(option, &s.value()) {
            Ok(d) => Some(Ttl::Literal(d)),
            Err(message) => {
                errors.spanned(s, message);
                None
            }
        },
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => {
            // `ttl = 500ms` lexes as the integer 500 with the suffix `ms`.
            let unit = match i.suffix() {
                unit if duration::parse(option, &format!("1{unit}")).is_ok() => unit,
                _ => "s",
            };
            errors.spanned(
                i,
                format!(
                    "`{option}` takes a string with a unit: write `{option} = \"{}{unit}\"`",
                    i.base10_digits()
                ),
            );
            None
        }
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => {
            errors.spanned(
                f,
                format!("`{option}` takes a string with a unit and a whole number: write `{option} = \"1500ms\"` rather than `1.5`"),
            );
            None
        }
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), ..
        }) => {
            errors.spanned(
                value,
                format!("`{option}` cannot be negative: write a positive duration, like `{option} = \"1s\"`"),
            );
            None
        }
        Expr::Lit(other) => {
            errors.spanned(other, format!("`{option}` takes a string literal with a unit, like `{option} = \"1s\"` or `{option} = \"1h 30m\"`"));
            None
        }
        // A constant `Duration`, checked positive where it is evaluated.
        other => Some(Ttl::Const(other.clone())),
    }
}

fn capacity(value: &Expr, errors: &Errors) -> Option<Capacity> {
    let message = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u64>() {
            Ok(0) => "`capacity` must be at least 1: to keep every entry, leave `capacity` out"
                .to_owned(),
            Ok(n) if usize::try_from(n).is_ok() => return Some(Capacity::Literal(n)),
            _ => format!(
                "`capacity = {}` does not fit in a `usize`: a capacity counts entries, write a smaller number",
                i.base10_digits()
            ),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_), ..
        }) => "`capacity` cannot be negative: it is a number of entries, like `capacity = 1000`"
            .to_owned(),
        Expr::Lit(ExprLit {
            lit: Lit::Float(_), ..
        }) => "`capacity` is a whole number of entries, like `capacity = 1000`".to_owned(),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => match s.value().trim().replace('_', "").parse::<u64>() {
            Ok(n) if n > 0 => {
                format!("`capacity` takes an integer, not a string: write `capacity = {n}`")
            }
            _ => "`capacity` takes an integer literal, not a string, like `capacity = 1000`"
                .to_owned(),
        },
        Expr::Lit(_) => "`capacity` takes an integer literal, like `capacity = 1000`".to_owned(),
        // A constant `usize`, checked positive where it is evaluated.
        other => return Some(Capacity::Const(other.clone())),
    };
    errors.spanned(value, message);
    None
}

/// `version = 2`: a non-negative integer literal.
fn version(value: &Expr, errors: &Errors) -> Option<u64> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Int(i), ..
    }) = value
    {
        if let Ok(n) = i.base10_parse::<u64>() {
            return Some(n);
        }
    }
    errors.spanned(
        value,
        "`version` takes a non-negative integer literal, like `version = 2`: bump it to drop what earlier builds stored",
    );
    None
}

/// `crate = facade::memokit`, or the same path as a string, as serde takes it.
fn crate_path(value: Expr, errors: &Errors) -> Option<syn::Path> {
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Some(path.path),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            match s.parse::<syn::Path>() {
                Ok(path) => Some(path),
                Err(_) => {
                    errors.spanned(&s, "`crate` takes the path of the memokit crate, like `crate = facade::memokit`");
                    None
                }
            }
        }
        other => {
            errors.spanned(
                other,
                "`crate` takes the path of the memokit crate, like `crate = facade::memokit`",
            );
            None
        }
    }
}

fn key(value: Expr, errors: &Errors) -> Option<Expr> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(s), ..
    }) = &value
    {
        errors.spanned(
            s,
            format!(
                "`key` takes an expression, not a string: write `key = {}`",
                s.value()
            ),
        );
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_option() {
        assert!(unknown_option("tll").contains("did you mean `ttl`?"));
        assert!(unknown_option("capacty").contains("did you mean `capacity`?"));
        assert!(unknown_option("max_size").contains("did you mean `capacity`?"));
        assert!(unknown_option("refresh_after_write").contains("did you mean `refresh`?"));
        assert!(unknown_option("refesh").contains("did you mean `refresh`?"));
        assert!(!unknown_option("frobnicate").contains("did you mean"));
    }

    #[test]
    fn lists_the_options_users_pick_from() {
        assert_eq!(
            known_list(),
            "the options are `ttl = \"1s\"`, `refresh = \"8m\"`, `capacity = 1000`, `key = <expr>`, `disk`, `redis` and `version = 1`"
        );
    }

    #[test]
    fn every_option_is_one_entry() {
        for (i, def) in OPTIONS.iter().enumerate() {
            assert!(OPTIONS[..i].iter().all(|o| o.name != def.name));
            for other in def.conflicts.iter().chain(def.aliases) {
                assert!(option(other).is_some() != def.aliases.contains(other));
            }
        }
    }
}
