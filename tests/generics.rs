//! Generic functions: one cache per instantiation.

use std::fmt::Debug;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use memokit::cached;

static PARSES: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn parse<T: FromStr + Clone + Send + Sync + 'static>(s: &str) -> Option<T> {
    PARSES.fetch_add(1, Ordering::SeqCst);
    s.parse().ok()
}

#[test]
fn instantiations_do_not_share_entries() {
    assert_eq!(parse::<u32>("7"), Some(7));
    assert_eq!(parse::<u64>("7"), Some(7));
    assert_eq!(parse::<u8>("300"), None);
    assert_eq!(parse::<u32>("7"), Some(7));
    assert_eq!(PARSES.load(Ordering::SeqCst), 3);

    assert_eq!(parse_memokit::<u32>().peek("7"), Some(Some(7)));
    assert_eq!(parse_memokit::<u64>().len(), 1);
    assert_eq!(parse_memokit::<u8>().peek("300"), Some(None));
    assert_eq!(parse_memokit::<i64>().len(), 0);
    parse_memokit::<u64>().clear();
    assert_eq!(parse_memokit::<u32>().len(), 1);
    assert_eq!(parse_memokit::<u32>().stats().hits, 1);
}

/// Neither the key nor the value mentions `T`: only the instantiation tells
/// the caches apart.
#[cached]
fn bytes<T: 'static>(n: usize) -> usize {
    std::mem::size_of::<T>() * n
}

#[test]
fn instantiations_differ_even_when_key_and_value_types_agree() {
    assert_eq!(bytes::<u8>(4), 4);
    assert_eq!(bytes::<u64>(4), 32);
    assert_eq!(bytes::<(u8, u64)>(4), 64);
    assert_eq!(bytes_memokit::<u64>().peek(4), Some(32));
    assert_eq!(bytes_memokit::<u16>().peek(4), None);
}

/// Several type parameters, a lifetime, a where-clause and `key = ...`.
#[cached(key = (input.to_owned(), fallback.clone()))]
fn parse_or<'a, T, D>(input: &'a str, fallback: D) -> Result<T, String>
where
    T: FromStr + Clone + Send + Sync + 'static,
    D: Into<T> + Hash + Eq + Clone + Debug + Send + Sync + 'static,
{
    match input.parse() {
        Ok(v) => Ok(v),
        Err(_) if input.is_empty() => Ok(fallback.into()),
        Err(_) => Err(format!("bad input {input:?} (fallback {fallback:?})")),
    }
}

#[test]
fn where_clauses_lifetimes_and_keys() {
    assert_eq!(parse_or::<u64, u8>("", 3), Ok(3));
    assert_eq!(parse_or::<i64, u8>("-5", 3), Ok(-5));
    assert!(parse_or::<u64, u8>("x", 3).is_err());
    assert_eq!(parse_or_memokit::<u64, u8>().len(), 1, "Err is not cached");
    assert!(parse_or_memokit::<u64, u8>().contains(("", 3)));
    assert!(!parse_or_memokit::<u64, u32>().contains(("", 3)));
}

/// Each closure is its own type, so each gets its own cache.
#[cached(key = x)]
fn apply<F: Fn(u32) -> u32 + 'static>(f: F, x: u32) -> u32 {
    f(x)
}

fn instantiate<F: Fn(u32) -> u32 + 'static>(f: F) -> u32 {
    apply(f, 10)
}

#[test]
fn closures_are_distinct_instantiations() {
    assert_eq!(instantiate(|x| x + 1), 11);
    assert_eq!(instantiate(|x| x * 2), 20);
}

#[cached]
async fn default_of<T: Default + Clone + Send + Sync + 'static>(tag: &str) -> T {
    let _ = tag;
    T::default()
}

#[test]
fn generic_async_fn() {
    futures::executor::block_on(async {
        assert_eq!(default_of::<u8>("a").await, 0);
        assert_eq!(default_of::<String>("a").await, "");
    });
    assert_eq!(default_of_memokit::<u8>().len(), 1);
    assert_eq!(default_of_memokit::<String>().len(), 1);
    assert_eq!(default_of_memokit::<u16>().len(), 0);
}

static RACED: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn raced<T: 'static>(n: u8) -> (usize, u8) {
    RACED.fetch_add(1, Ordering::SeqCst);
    (std::mem::size_of::<T>(), n)
}

#[test]
fn threads_resolving_instantiations_at_once_agree() {
    let start = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                match i % 4 {
                    0 => raced::<u8>(1),
                    1 => raced::<u16>(1),
                    2 => raced::<u32>(1),
                    _ => raced::<u64>(1),
                }
            })
        })
        .collect();
    let mut sizes: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap().0).collect();
    sizes.sort();
    assert_eq!(sizes, [1, 1, 2, 2, 4, 4, 8, 8]);
    assert_eq!(RACED.load(Ordering::SeqCst), 4);
    for len in [
        raced_memokit::<u8>().len(),
        raced_memokit::<u16>().len(),
        raced_memokit::<u32>().len(),
        raced_memokit::<u64>().len(),
    ] {
        assert_eq!(len, 1);
    }
}
