//! What users rely on: keys, values, `Result`/`Option`, control API.

use memokit::cached;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

macro_rules! counter {
    ($name:ident) => {
        static $name: AtomicUsize = AtomicUsize::new(0);
    };
}

fn bump(c: &AtomicUsize) -> usize {
    c.fetch_add(1, Ordering::SeqCst) + 1
}

counter!(NO_ARG);
#[cached]
fn no_arg() -> usize {
    bump(&NO_ARG)
}

#[test]
fn a_no_argument_function_runs_once() {
    assert_eq!(no_arg(), 1);
    assert_eq!(no_arg(), 1);
    assert_eq!(NO_ARG.load(Ordering::SeqCst), 1);
    let stats = no_arg_memokit().stats();
    assert_eq!((stats.hits, stats.misses, stats.inserts), (1, 1, 1));
}

counter!(BY_STR);
#[cached]
fn by_str(s: &str, n: u8) -> String {
    bump(&BY_STR);
    format!("{s}/{n}")
}

#[test]
fn reference_arguments_are_keyed_by_their_owned_form() {
    let owned = String::from("a");
    assert_eq!(by_str(&owned, 1), "a/1");
    assert_eq!(by_str("a", 1), "a/1");
    assert_eq!(by_str("a", 2), "a/2");
    assert_eq!(BY_STR.load(Ordering::SeqCst), 2);
    assert_eq!(by_str_memokit().peek(("a", 1)).as_deref(), Some("a/1"));
}

counter!(BY_SLICE);
#[cached]
fn sum(xs: &[u32]) -> u32 {
    bump(&BY_SLICE);
    xs.iter().sum()
}

#[test]
fn slices_are_keyed_as_vecs() {
    assert_eq!(sum(&[1, 2, 3]), 6);
    assert_eq!(sum(&[1, 2, 3]), 6);
    assert_eq!(BY_SLICE.load(Ordering::SeqCst), 1);
    assert!(sum_memokit().contains(&[1, 2, 3][..]));
}

#[derive(Clone, Debug, PartialEq)]
struct Big(Vec<u8>);

counter!(CLONES);
#[cached]
fn big(n: usize) -> std::sync::Arc<Big> {
    bump(&CLONES);
    std::sync::Arc::new(Big(vec![0; n]))
}

#[test]
fn arc_values_share_one_allocation() {
    let a = big(1000);
    let b = big(1000);
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert_eq!(CLONES.load(Ordering::SeqCst), 1);
}

counter!(FALLIBLE);
#[cached]
fn fallible(ok: bool) -> Result<u32, String> {
    let n = bump(&FALLIBLE) as u32;
    if ok {
        Ok(n)
    } else {
        Err(format!("failure {n}"))
    }
}

#[test]
fn err_is_returned_and_never_stored() {
    assert_eq!(fallible(false), Err("failure 1".into()));
    assert_eq!(fallible(false), Err("failure 2".into()));
    assert!(!fallible_memokit().contains(false));
    let ok = fallible(true).unwrap();
    assert_eq!(fallible(true), Ok(ok));
    assert_eq!(fallible_memokit().len(), 1);
}

counter!(IO);
#[cached]
fn io_result(fail: bool) -> io::Result<u32> {
    let n = bump(&IO) as u32;
    if fail {
        Err(io::Error::other("no")) // io::Error is not Clone
    } else {
        Ok(n)
    }
}

#[test]
fn io_result_caches_ok_only() {
    assert!(io_result(true).is_err());
    assert!(io_result(true).is_err());
    assert_eq!(IO.load(Ordering::SeqCst), 2);
    let first = io_result(false).unwrap();
    assert_eq!(io_result(false).unwrap(), first);
    assert_eq!(IO.load(Ordering::SeqCst), 3);
}

#[derive(Debug)]
pub struct MyError;
type Res<T> = Result<T, MyError>;

counter!(ALIAS);
#[cached]
fn aliased(fail: bool) -> Res<u32> {
    let n = bump(&ALIAS) as u32;
    if fail {
        Err(MyError)
    } else {
        Ok(n)
    }
}

#[test]
fn a_user_result_alias_caches_ok_only() {
    assert!(aliased(true).is_err());
    assert!(aliased(true).is_err());
    assert_eq!(ALIAS.load(Ordering::SeqCst), 2);
    assert_eq!(aliased(false).unwrap(), aliased(false).unwrap());
    assert_eq!(ALIAS.load(Ordering::SeqCst), 3);
}

counter!(OPTION);
#[cached]
fn maybe(n: u32) -> Option<u32> {
    bump(&OPTION);
    (n > 0).then_some(n)
}

#[test]
fn none_is_a_value_and_is_cached() {
    assert_eq!(maybe(0), None);
    assert_eq!(maybe(0), None);
    assert_eq!(OPTION.load(Ordering::SeqCst), 1);
    assert_eq!(maybe_memokit().peek(0), Some(None));
}

counter!(WEIGHTED);
#[cached(key = id)]
fn weighted(id: u32, weight: f64) -> f64 {
    bump(&WEIGHTED);
    f64::from(id) * weight
}

#[test]
fn key_expression_ignores_other_arguments() {
    assert_eq!(weighted(2, 1.5), 3.0);
    assert_eq!(weighted(2, 100.0), 3.0); // same key: the stored value
    assert_eq!(WEIGHTED.load(Ordering::SeqCst), 1);
    assert!(weighted_memokit().invalidate((2, 0.0)));
    assert_eq!(weighted(2, 2.0), 4.0);
}

counter!(BY_LEN);
#[cached(key = name.len(), capacity = 10)]
fn by_len(name: &str) -> String {
    bump(&BY_LEN);
    name.to_uppercase()
}

#[test]
fn key_may_borrow_arguments_and_combine_with_capacity() {
    assert_eq!(by_len("abc"), "ABC");
    assert_eq!(by_len("xyz"), "ABC");
    assert_eq!(BY_LEN.load(Ordering::SeqCst), 1);
}

fn fib_plain(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_plain(n - 1) + fib_plain(n - 2)
    }
}

#[cached]
fn fib(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fib(n - 1) + fib(n - 2)
}

#[test]
fn recursion_on_other_keys_memoizes() {
    assert_eq!(fib(90), 2_880_067_194_370_816_120);
    assert_eq!(fib(20), fib_plain(20));
    assert_eq!(fib_memokit().stats().misses, 91);
}

#[cached]
fn forever(n: u32) -> u32 {
    forever(n) // same key: would wait on itself
}

#[test]
fn same_key_recursion_panics_naming_the_function() {
    let err = std::panic::catch_unwind(|| forever(1)).unwrap_err();
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("`forever`"), "{msg}");
    assert!(
        msg.contains("called itself with the same arguments"),
        "{msg}"
    );
    // Nothing was cached and the cache still works.
    assert!(forever_memokit().is_empty());
    assert!(std::panic::catch_unwind(|| forever(1)).is_err());
}

counter!(QUESTION);
#[cached]
fn parse_sum(a: &str, b: &str) -> Result<i64, std::num::ParseIntError> {
    bump(&QUESTION);
    let a: i64 = a.parse()?;
    let b: i64 = b.parse()?;
    if a == 0 {
        return Ok(b);
    }
    Ok(a + b)
}

#[test]
fn return_and_question_mark_in_the_body_still_cache() {
    assert_eq!(parse_sum("1", "2"), Ok(3));
    assert_eq!(parse_sum("1", "2"), Ok(3));
    assert_eq!(parse_sum("0", "5"), Ok(5));
    assert_eq!(parse_sum("0", "5"), Ok(5));
    assert!(parse_sum("x", "5").is_err());
    assert!(parse_sum("x", "5").is_err());
    assert_eq!(QUESTION.load(Ordering::SeqCst), 4);
}

counter!(PATTERN);
#[cached]
fn destructured((a, b): (u32, u32), mut scale: u32) -> u32 {
    bump(&PATTERN);
    scale += 1;
    (a + b) * scale
}

#[test]
fn pattern_and_mut_arguments_work() {
    assert_eq!(destructured((1, 2), 1), 6);
    assert_eq!(destructured((1, 2), 1), 6);
    assert_eq!(PATTERN.load(Ordering::SeqCst), 1);
}

counter!(CONTROLLED);
#[cached]
fn controlled(x: u32) -> u32 {
    bump(&CONTROLLED);
    x * 10
}

#[test]
fn control_api_clears_invalidates_primes_and_peeks() {
    let cache = controlled_memokit();
    assert_eq!(cache.peek(1), None);
    assert_eq!(controlled(1), 10);
    assert_eq!(controlled(2), 20);
    assert_eq!(cache.len(), 2);
    assert!(cache.invalidate(1));
    assert!(!cache.invalidate(1));
    assert_eq!(cache.peek(1), None);
    cache.insert(3, 333);
    assert_eq!(controlled(3), 333);
    assert_eq!(CONTROLLED.load(Ordering::SeqCst), 2);
    cache.clear();
    assert!(cache.is_empty());
    assert_eq!(controlled(2), 20);
    assert_eq!(CONTROLLED.load(Ordering::SeqCst), 3);
    let stats = cache.stats();
    assert_eq!(stats.hits, 1);
    assert_eq!(stats.misses, 3);
    assert_eq!(stats.inserts, 4);
    assert!(stats.compute_time > std::time::Duration::ZERO);
    cache.reset_stats();
    assert_eq!(cache.stats(), memokit::Stats::default());
}

#[cached]
fn err_insert(x: u32) -> Result<u32, String> {
    Ok(x)
}

#[test]
fn inserting_an_err_by_hand_is_ignored() {
    err_insert_memokit().insert(1, Err("no".into()));
    assert!(err_insert_memokit().is_empty());
    err_insert_memokit().insert(1, Ok(5));
    assert_eq!(err_insert(1), Ok(5));
}

counter!(BOUNDED);
#[cached(capacity = 3)]
fn bounded(x: u32) -> u32 {
    bump(&BOUNDED);
    x
}

#[test]
fn capacity_is_a_hard_bound() {
    for x in 0..100 {
        bounded(x);
        assert!(bounded_memokit().len() <= 3);
    }
    assert_eq!(bounded_memokit().len(), 3);
    assert_eq!(bounded_memokit().stats().evictions, 97);
}

mod nested {
    use memokit::cached;

    pub fn outer(x: u32) -> u32 {
        #[cached]
        fn inner(x: u32) -> u32 {
            x + 1
        }
        inner(x) + inner(x)
    }
}

#[test]
fn functions_nested_in_function_bodies_work() {
    assert_eq!(nested::outer(1), 4);
}

/// Two functions with the same name in different modules keep separate caches.
mod a {
    #[memokit::cached]
    pub fn same(x: u32) -> u32 {
        x + 1
    }
}
mod b {
    #[memokit::cached]
    pub fn same(x: u32) -> u32 {
        x + 2
    }
}

#[test]
fn same_names_in_different_modules_do_not_share() {
    assert_eq!(a::same(1), 2);
    assert_eq!(b::same(1), 3);
}

/// # Safety
/// None needed; the signature is what is tested.
#[cached]
unsafe fn unsafe_double(x: u32) -> u32 {
    x * 2
}

#[cached]
extern "C" fn c_abi(x: u32) -> u32 {
    x + 1
}

#[deprecated(note = "kept to test that attributes survive")]
#[cached]
fn old_api(x: u32) -> u32 {
    x + 2
}

#[cached]
fn with_where<'a, 'b>(a: &'a str, b: &'b str) -> usize
where
    'a: 'b,
{
    a.len() + b.len()
}

#[test]
fn unsafe_extern_deprecated_and_where_clauses_are_kept() {
    // SAFETY: `unsafe_double` has no preconditions.
    assert_eq!(unsafe { unsafe_double(2) }, 4);
    let f: extern "C" fn(u32) -> u32 = c_abi;
    assert_eq!(f(1), 2);
    #[allow(deprecated)]
    let old = old_api(1);
    assert_eq!(old, 3);
    assert_eq!(with_where("ab", "c"), 3);
    assert!(with_where_memokit().contains(("ab", "c")));
}

counter!(INNER);
#[cached]
fn inner_value() -> usize {
    bump(&INNER)
}

/// A value whose `Clone` calls another cached function: that hit happens
/// while the outer hit is still reading its entry.
#[derive(Debug, PartialEq)]
struct ClonesThroughACache(usize);

impl Clone for ClonesThroughACache {
    fn clone(&self) -> Self {
        ClonesThroughACache(self.0 + inner_value())
    }
}

#[cached]
fn outer_value() -> ClonesThroughACache {
    ClonesThroughACache(100)
}

#[test]
fn a_hit_nested_in_a_values_clone_is_a_hit() {
    inner_value();
    outer_value();
    let inner_before = inner_value_memokit().stats();
    for _ in 0..3 {
        // Each hit clones the stored value, whose clone adds 1.
        let stored = outer_value_memokit().peek(()).expect("stored").0 - 1;
        assert_eq!(outer_value(), ClonesThroughACache(stored + 1));
    }
    assert_eq!(INNER.load(Ordering::SeqCst), 1);
    let (outer, inner) = (outer_value_memokit().stats(), inner_value_memokit().stats());
    assert_eq!((outer.hits, outer.misses), (3, 1));
    // Each hit and each peek cloned once, and each clone hit `inner_value`.
    assert_eq!((inner.hits - inner_before.hits, inner.misses), (6, 1));
}
