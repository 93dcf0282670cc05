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

/// `disk` in a build without the feature.
#[cfg(not(feature = "disk"))]
#[test]
fn ui_no_disk() {
    trybuild::TestCases::new().compile_fail("tests/ui-no-disk/*.rs");
}
