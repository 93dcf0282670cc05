//! The path generated code names memokit by: `crate = <path>` when given
//! (a facade that re-exports the attribute), else `::<name>` with the name
//! the user's manifest gives the dependency, renamed or not.
//!
//! The manifest is read with a scan of its lines rather than a TOML parser:
//! every crate using `#[cached]` compiles this crate's dependencies, and a
//! parser would be most of its build time. The scan finds the forms a
//! rename is written in, `mk = { package = "memokit", .. }` and
//! `[dependencies.mk]` with `package = "memokit"` (in any dependency
//! table); for anything else, `crate = ::mk` says it.

use std::path::Path;
use std::sync::Mutex;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};

/// `::memokit`, `::<renamed>`, or the path given with `crate = ...`.
pub fn path(given: Option<&syn::Path>) -> TokenStream {
    if let Some(path) = given {
        return path.to_token_stream();
    }
    let name = Ident::new(&dependency_name(), Span::call_site());
    quote!(::#name)
}

/// The name memokit has in the crate being compiled, read once per
/// manifest (a compiler process may expand several crates).
fn dependency_name() -> String {
    static CACHED: Mutex<Option<(String, String)>> = Mutex::new(None);
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let mut cached = CACHED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((seen, name)) = &*cached {
        if *seen == dir {
            return name.clone();
        }
    }
    let name = std::fs::read_to_string(Path::new(&dir).join("Cargo.toml"))
        .ok()
        .and_then(|manifest| renamed(&manifest))
        .unwrap_or_else(|| "memokit".to_owned());
    *cached = Some((dir, name.clone()));
    name
}

/// The name a manifest gives the `memokit` package when it renames it and
/// does not also depend on it under its own name.
fn renamed(manifest: &str) -> Option<String> {
    // The dependency a `[...dependencies.<name>]` table declares.
    let mut table: Option<&str> = None;
    // Whether this is a `[...dependencies]` table.
    let mut in_deps = false;
    let mut plain = false;
    let mut rename = None;
    for line in manifest.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.split(']').next().unwrap_or("").trim();
            in_deps = header.ends_with("dependencies");
            table = header
                .rsplit_once("dependencies.")
                .map(|(_, name)| name.trim().trim_matches('"').trim_matches('\''));
            plain |= table == Some("memokit");
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"').trim_matches('\'');
        let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        match table {
            Some(name) if key == "package" && is_memokit(&value) => {
                rename.get_or_insert(name);
            }
            None if in_deps && value.starts_with('{') && mentions_package(&value) => {
                rename.get_or_insert(key);
            }
            None if in_deps && key == "memokit" => plain = true,
            _ => {}
        }
    }
    if plain {
        return None;
    }
    rename.map(|name| name.replace('-', "_"))
}

fn is_memokit(value: &str) -> bool {
    matches!(value, "\"memokit\"" | "'memokit'")
        || value.starts_with("\"memokit\"#")
        || value.starts_with("'memokit'#")
}

fn mentions_package(inline_table: &str) -> bool {
    ["package=\"memokit\"", "package='memokit'"]
        .iter()
        .any(|p| inline_table.contains(p))
}

#[cfg(test)]
mod tests {
    use super::renamed;

    #[test]
    fn finds_a_renamed_dependency() {
        let inline = "[package]\nname = \"app\"\n\n[dependencies]\nmk = { package = \"memokit\", path = \"..\" }\n";
        assert_eq!(renamed(inline).as_deref(), Some("mk"));
        let table = "[dependencies.my-cache]\npath = \"..\"\npackage = \"memokit\" # renamed\n";
        assert_eq!(renamed(table).as_deref(), Some("my_cache"));
        let target = "[target.'cfg(unix)'.dev-dependencies]\nmk2 = {package='memokit'}\n";
        assert_eq!(renamed(target).as_deref(), Some("mk2"));
    }

    #[test]
    fn a_plain_dependency_is_not_renamed() {
        assert_eq!(renamed("[dependencies]\nmemokit = \"0.1\"\n"), None);
        assert_eq!(
            renamed("[dependencies]\nmemokit-core = { package = \"memokit-core\" }\n"),
            None
        );
        assert_eq!(renamed("[dependencies.memokit]\nversion = \"0.1\"\n"), None);
        let both = "[dependencies]\nmemokit = \"0.1\"\n[dev-dependencies]\nmk = { package = \"memokit\" }\n";
        assert_eq!(renamed(both), None);
    }
}
