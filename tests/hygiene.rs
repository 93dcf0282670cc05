//! Generated code under the strictest user settings: no unsafe, every public
//! item documented, every warning an error, prelude names shadowed.
#![forbid(unsafe_code)]
#![deny(missing_docs, warnings)]

/// Functions whose module shadows the prelude and has `core`/`std` modules.
pub mod shadowed {
    #![allow(non_camel_case_types, dead_code)]
    use memokit::cached;

    struct Option;
    struct Result;
    struct Box;
    struct Vec;
    struct String;
    struct Some;
    struct None;
    struct Ok;
    struct Err;
    trait Clone {}
    trait Hash {}
    trait Fn {}
    trait Send {}
    trait Sync {}
    mod core {}
    mod std {}

    /// Arguments named like the things a cache has.
    #[cached]
    pub fn named_like_internals(key: u32, cache: u32, value: u32, result: u32) -> u64 {
        u64::from(key + cache + value + result)
    }

    /// A documented, inlined, must-use function.
    #[inline]
    #[must_use]
    #[cached(ttl = "5s", capacity = 100)]
    pub fn kept_attributes(x: u8) -> ::std::string::String {
        ::std::format!("{x}")
    }

    /// A keyed function returning a `Result`.
    #[cached(key = x)]
    pub fn fallible(x: u32, _scale: f32) -> ::core::result::Result<u32, ::std::string::String> {
        if x == 0 {
            return ::core::result::Result::Err("zero".into());
        }
        ::core::result::Result::Ok(x)
    }

    pub(crate) fn crate_visible() -> u32 {
        #[cached]
        fn private_helper() -> u32 {
            7
        }
        private_helper()
    }
}

#[test]
fn generated_code_compiles_and_runs_under_strict_settings() {
    assert_eq!(shadowed::named_like_internals(1, 2, 3, 4), 10);
    assert_eq!(shadowed::kept_attributes(5), "5");
    assert_eq!(shadowed::fallible(3, 1.0), Ok(3));
    assert!(shadowed::fallible(0, 1.0).is_err());
    assert_eq!(shadowed::crate_visible(), 7);
    assert!(shadowed::named_like_internals_memokit().contains((1, 2, 3, 4)));
}

#[test]
fn control_methods_need_no_import() {
    assert_eq!(shadowed::named_like_internals(0, 0, 0, 1), 1);
    assert_eq!(
        shadowed::named_like_internals_memokit().peek((0, 0, 0, 1)),
        Some(1)
    );
}
