//! Every misuse of `#[cached]` is one compile error under the offending
//! token. Each case in `tests/ui/` is compiled and its `.stderr` compared;
//! refresh them with `TRYBUILD=overwrite cargo test --test compile_fail`
//! (and with `--features disk` for `tests/ui-disk/`) and read the diff.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}

/// Misuse of `disk` that only a build with the feature can see.
#[cfg(feature = "disk")]
#[test]
fn ui_disk() {
    trybuild::TestCases::new().compile_fail("tests/ui-disk/*.rs");
}

/// Cases whose error depends on memokit's features (`disk` or `redis`
/// without its feature, both at once): checked in the default build only.
#[cfg(not(any(feature = "redis", feature = "disk")))]
#[test]
fn ui_default_features() {
    trybuild::TestCases::new().compile_fail("tests/ui-default/*.rs");
}
