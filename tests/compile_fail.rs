//! Every misuse of `#[cached]` is one compile error under the offending
//! token. Each case in `tests/ui/` is compiled and its `.stderr` compared;
//! refresh them with `TRYBUILD=overwrite cargo test --test compile_fail`
//! and read the diff.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
