//! Which calls share a cache: exactly those of one function (one
//! instantiation, one `Self` type). Functions written by one `macro_rules!`
//! invocation, associated functions of a generic `impl` without receiver,
//! trait default methods without `self` and nested functions of one name
//! each get their own.

use std::marker::PhantomData;

use memokit::cached;

struct Sized<T>(PhantomData<T>);

impl<T> Sized<T> {
    #[cached]
    fn size_of_t() -> usize {
        std::mem::size_of::<T>()
    }

    #[cached]
    fn scaled(by: usize) -> usize {
        std::mem::size_of::<T>() * by
    }
}

#[test]
fn associated_functions_of_a_generic_impl_get_one_cache_per_self() {
    assert_eq!(Sized::<u8>::size_of_t(), 1);
    assert_eq!(Sized::<u64>::size_of_t(), 8);
    assert_eq!(Sized::<u8>::size_of_t(), 1);
    assert_eq!(Sized::<u32>::scaled(2), 8);
    assert_eq!(Sized::<u16>::scaled(2), 4);
    assert_eq!(Sized::<u8>::size_of_t_memokit().len(), 1);
    assert_eq!(Sized::<u64>::size_of_t_memokit().stats().misses, 1);
    assert_eq!(Sized::<u16>::scaled_memokit().peek(2), Some(4));
    assert_eq!(Sized::<u32>::scaled_memokit().peek(2), Some(8));
}

trait Describe {
    const NAME: &'static str;

    #[cached]
    fn describe(x: u32) -> String {
        format!("{} {x}", Self::NAME)
    }
}

struct Apple;
struct Pear;

impl Describe for Apple {
    const NAME: &'static str = "apple";
}

impl Describe for Pear {
    const NAME: &'static str = "pear";
}

#[test]
fn trait_default_methods_without_self_get_one_cache_per_implementor() {
    assert_eq!(Apple::describe(1), "apple 1");
    assert_eq!(Pear::describe(1), "pear 1");
    assert_eq!(Apple::describe(1), "apple 1");
    assert_eq!(Apple::describe_memokit().len(), 1);
    assert_eq!(Pear::describe_memokit().peek(1).as_deref(), Some("pear 1"));
}

trait Scale {
    fn scale(x: u32) -> u32;
}

macro_rules! scaled_type {
    ($name:ident, $factor:expr) => {
        struct $name;

        impl $name {
            #[cached]
            fn scale(x: u32) -> u32 {
                x * $factor
            }
        }

        impl Scale for $name {
            fn scale(x: u32) -> u32 {
                $name::scale(x)
            }
        }
    };
}

scaled_type!(Double, 2);
scaled_type!(Triple, 3);

macro_rules! two_functions {
    () => {
        #[cached]
        fn first(x: u32) -> u32 {
            x + 100
        }

        #[cached]
        fn second(x: u32) -> u32 {
            x + 200
        }
    };
}

two_functions!();

#[test]
fn functions_written_by_one_macro_invocation_do_not_share_a_cache() {
    assert_eq!(Double::scale(5), 10);
    assert_eq!(Triple::scale(5), 15);
    assert_eq!(<Double as Scale>::scale(5), 10);
    assert_eq!(first(1), 101);
    assert_eq!(second(1), 201);
    assert_eq!(first(1), 101);
    assert_eq!(Double::scale_memokit().len(), 1);
    assert_eq!(Triple::scale_memokit().peek(5), Some(15));
    assert_eq!(second_memokit().peek(1), Some(201));
}

macro_rules! nested {
    ($outer:ident, $value:expr) => {
        fn $outer(x: u32) -> u32 {
            #[cached]
            fn inner(x: u32) -> u32 {
                x + $value
            }
            inner(x)
        }
    };
}

nested!(outer_one, 1);
nested!(outer_two, 2);

fn two_blocks(x: u32) -> (u32, u32) {
    let a = {
        #[cached]
        fn inner(x: u32) -> u32 {
            x * 10
        }
        inner(x)
    };
    let b = {
        #[cached]
        fn inner(x: u32) -> u32 {
            x * 20
        }
        inner(x)
    };
    (a, b)
}

#[test]
fn nested_functions_of_one_name_do_not_share_a_cache() {
    assert_eq!(outer_one(1), 2);
    assert_eq!(outer_two(1), 3);
    assert_eq!(outer_one(1), 2);
    assert_eq!(two_blocks(1), (10, 20));
    assert_eq!(two_blocks(1), (10, 20));
}

#[cached]
fn parse<T: std::str::FromStr + Clone + Send + Sync + 'static>(s: &str) -> Option<T> {
    s.parse().ok()
}

struct Store<T>(PhantomData<T>);

impl<T: 'static> Store<T> {
    #[cached]
    fn get(id: u32) -> String {
        format!("{}#{id}", std::any::type_name::<T>())
    }
}

#[test]
fn report_rows_name_the_instantiation() {
    assert_eq!(parse::<u32>("7"), Some(7));
    assert_eq!(parse::<u8>("300"), None);
    Store::<u8>::get(1);
    Store::<u16>::get(1);
    let report = memokit::report();
    let paths: Vec<&str> = report.rows.iter().map(|r| r.path.as_str()).collect();
    for wanted in [
        "identity::parse::<u32>",
        "identity::parse::<u8>",
        "identity::Store<u8>::get",
        "identity::Store<u16>::get",
    ] {
        assert!(paths.contains(&wanted), "{wanted} not in {paths:?}");
    }
    let ours: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| p.contains("parse") || p.contains("Store"))
        .collect();
    let mut unique = ours.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ours.len(), "rows told apart: {ours:?}");
}

#[cached(ttl = "1s")]
fn short_lived(x: u32) -> u32 {
    x
}

#[test]
fn invalidating_an_expired_entry_counts_an_expiration() {
    let clock = memokit::ManualClock::new();
    let cache = short_lived_memokit();
    cache.set_clock(clock.clone());
    short_lived(1);
    clock.advance(std::time::Duration::from_secs(2));
    assert!(!cache.invalidate(1), "the entry was no longer live");
    assert_eq!(cache.stats().expirations, 1);
}

#[test]
fn a_cache_handle_can_be_used_inside_catch_unwind() {
    let cache = first_memokit();
    let len = std::panic::catch_unwind(|| cache.len()).expect("no panic");
    assert_eq!(len, first_memokit().len());
}
