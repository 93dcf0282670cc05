//! The compile errors of `#[cached(redis)]` functions (feature `redis`):
//! keys and values Redis cannot store. Refresh with
//! `TRYBUILD=overwrite cargo test --features redis --test compile_fail_redis`.

#[test]
fn ui_redis() {
    trybuild::TestCases::new().compile_fail("tests/ui-redis/*.rs");
}
