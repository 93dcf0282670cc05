//! Where the disk tier's file is, unless `memokit::disk::open` said.

use std::path::PathBuf;

/// The environment variable naming the file.
pub const ENV: &str = "MEMOKIT_DISK";

/// The file's name in the default directory.
pub const FILE_NAME: &str = "memokit.redb";

/// `MEMOKIT_DISK` if set and not empty; else `$XDG_CACHE_HOME/<krate>/`,
/// else `$HOME/.cache/<krate>/`, then [`FILE_NAME`]. `None` when none of
/// these variables is set.
pub fn default_path(krate: &str) -> Option<PathBuf> {
    from_vars(krate, |name| std::env::var_os(name))
}

fn from_vars(krate: &str, var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if let Some(path) = set(ENV) {
        return Some(PathBuf::from(path));
    }
    let base = set("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join(krate).join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn with(vars: &[(&str, &str)]) -> Option<PathBuf> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        from_vars("app", |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_variable_then_the_platform_cache_directory() {
        let all = [
            ("MEMOKIT_DISK", "/x/y.db"),
            ("XDG_CACHE_HOME", "/c"),
            ("HOME", "/h"),
        ];
        assert_eq!(with(&all), Some("/x/y.db".into()));
        assert_eq!(with(&all[1..]), Some("/c/app/memokit.redb".into()));
        assert_eq!(with(&all[2..]), Some("/h/.cache/app/memokit.redb".into()));
        assert_eq!(
            with(&[("MEMOKIT_DISK", ""), ("HOME", "/h")]),
            Some("/h/.cache/app/memokit.redb".into())
        );
        assert_eq!(with(&[]), None);
    }
}
