//! Every option combination and every supported function shape compiles,
//! caches, and is reachable through its companion `<name>_memokit()`.
//! Each function counts its runs, so a test sees hits and misses exactly.
//! Time is a `ManualClock`: nothing here sleeps.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use memokit::{cached, ManualClock};

/// Counts the runs of one function.
struct Runs(AtomicUsize);

impl Runs {
    const fn new() -> Self {
        Runs(AtomicUsize::new(0))
    }
    fn tick(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

// ---- options ---------------------------------------------------------------

static PLAIN: Runs = Runs::new();
#[cached]
fn plain(x: u64) -> u64 {
    PLAIN.tick();
    x + 1
}

static TTL: Runs = Runs::new();
#[cached(ttl = "1h 30m")]
fn with_ttl(x: u64) -> u64 {
    TTL.tick();
    x + 1
}

static CAPACITY: Runs = Runs::new();
#[cached(capacity = 2)]
fn with_capacity(x: u64) -> u64 {
    CAPACITY.tick();
    x + 1
}

static KEY: Runs = Runs::new();
#[cached(key = id)]
fn with_key(id: u32, _trace: f64) -> String {
    KEY.tick();
    id.to_string()
}

static TTL_CAPACITY: Runs = Runs::new();
#[cached(ttl = "500ms", capacity = 10_000)]
fn with_ttl_capacity(x: u64) -> u64 {
    TTL_CAPACITY.tick();
    x + 1
}

static TTL_KEY: Runs = Runs::new();
#[cached(ttl = "2m", key = name.len())]
fn with_ttl_key(name: &str) -> usize {
    TTL_KEY.tick();
    name.len()
}

static CAPACITY_KEY: Runs = Runs::new();
#[cached(capacity = 100, key = x.to_bits())]
fn with_capacity_key(x: f64) -> f64 {
    CAPACITY_KEY.tick();
    x * 2.0
}

static ALL: Runs = Runs::new();
#[cached(key = (a, b.to_bits()), capacity = 5, ttl = "1d",)]
fn with_all(a: i64, b: f32) -> String {
    ALL.tick();
    format!("{a}:{b}")
}

#[test]
fn each_option_caches() {
    assert_eq!((plain(1), plain(1), PLAIN.get()), (2, 2, 1));
    assert_eq!(
        (with_key(7, 0.5), with_key(7, 1.5), KEY.get()),
        ("7".into(), "7".into(), 1)
    );
    assert_eq!(with_capacity_key(1.5) + with_capacity_key(1.5), 6.0);
    assert_eq!(CAPACITY_KEY.get(), 1);
    assert_eq!(
        (with_all(1, 2.0), with_all(1, 2.0), ALL.get()),
        ("1:2".into(), "1:2".into(), 1)
    );
    assert_eq!(with_ttl_key("abc") + with_ttl_key("xyz"), 6);
    assert_eq!(TTL_KEY.get(), 1, "same length, same key");
}

#[test]
fn ttl_expires_on_the_injected_clock() {
    let clock = ManualClock::new();
    with_ttl_memokit().set_clock(clock.clone());
    with_ttl(1);
    with_ttl(1);
    assert_eq!(TTL.get(), 1);
    clock.advance(Duration::from_secs(89 * 60));
    with_ttl(1);
    assert_eq!(TTL.get(), 1, "still live before 1h 30m");
    clock.advance(Duration::from_secs(2 * 60));
    with_ttl(1);
    assert_eq!(TTL.get(), 2, "recomputed after 1h 30m");

    let clock = ManualClock::new();
    with_ttl_capacity_memokit().set_clock(clock.clone());
    with_ttl_capacity(1);
    clock.advance(Duration::from_millis(499));
    with_ttl_capacity(1);
    assert_eq!(TTL_CAPACITY.get(), 1);
    clock.advance(Duration::from_millis(2));
    with_ttl_capacity(1);
    assert_eq!(TTL_CAPACITY.get(), 2);
}

#[test]
fn capacity_bounds_the_entries() {
    for x in 0..10 {
        with_capacity(x);
    }
    assert!(with_capacity_memokit().len() <= 2);
    assert_eq!(CAPACITY.get(), 10);
}

// ---- argument shapes ---------------------------------------------------------

#[cached]
fn no_args() -> Vec<u8> {
    vec![1, 2, 3]
}

#[cached]
fn borrowed(name: &str, bytes: &[u8], n: &u32) -> usize {
    name.len() + bytes.len() + *n as usize
}

#[cached]
fn with_lifetimes<'a, 'b: 'a>(s: &'a str, t: &'b str) -> String {
    format!("{s}{t}")
}

#[cached]
fn static_borrow(s: &'static str) -> usize {
    s.len()
}

#[cached]
fn patterns((a, b): (u8, u8), _: bool, mut c: u8) -> u8 {
    c += 1;
    a + b + c
}

#[cached(key = a)]
fn key_from_pattern((a, _b): (u8, u8)) -> u8 {
    a
}

#[cached]
fn function_pointer(f: fn(u32) -> u32, x: u32) -> u32 {
    f(x)
}

static BY_NAME: Runs = Runs::new();
#[cached(key = name)]
fn key_is_a_borrowed_argument(name: &str, _verbose: bool) -> String {
    BY_NAME.tick();
    name.to_uppercase()
}

#[cached(key = name.as_str())]
fn key_borrows_an_owned_argument(name: String) -> usize {
    name.len()
}

static OWNED_KEY: Runs = Runs::new();
#[cached(key = name)]
fn key_is_an_owned_argument(name: String, _n: f64) -> String {
    OWNED_KEY.tick();
    name // still usable: the key is taken by reference
}

#[cached(key = label.to_string())]
fn dyn_argument_with_key(label: &dyn std::fmt::Display) -> usize {
    label.to_string().len()
}

#[cached(key = (name.to_owned(), page))]
fn key_tuple(name: &str, page: u32) -> String {
    format!("{name}{page}")
}

#[test]
fn argument_shapes() {
    assert_eq!(no_args(), [1, 2, 3]);
    assert!(no_args_memokit().contains(()));
    assert_eq!(borrowed("ab", &[1], &3), 6);
    assert_eq!(borrowed_memokit().peek(("ab", &[1][..], &3)), Some(6));
    assert_eq!(with_lifetimes("a", "b"), "ab");
    assert_eq!(static_borrow("abc"), 3);
    assert_eq!(patterns((1, 2), true, 3), 7);
    assert_eq!(patterns_memokit().peek(((1, 2), true, 3)), Some(7));
    assert_eq!(key_from_pattern((4, 5)), 4);
    assert_eq!(key_from_pattern_memokit().peek((4, 9)), Some(4));
    assert_eq!(function_pointer(|x| x * 3, 2), 6);

    assert_eq!(key_is_a_borrowed_argument("ana", true), "ANA");
    assert_eq!(key_is_a_borrowed_argument("ana", false), "ANA");
    assert_eq!(BY_NAME.get(), 1);
    assert!(key_is_a_borrowed_argument_memokit().contains(("ana", true)));

    assert_eq!(key_borrows_an_owned_argument("abc".into()), 3);
    assert_eq!(key_is_an_owned_argument("x".into(), 1.0), "x");
    assert_eq!(key_is_an_owned_argument("x".into(), 2.0), "x");
    assert_eq!(OWNED_KEY.get(), 1);
    assert_eq!(key_tuple("p", 2), "p2");
    assert_eq!(dyn_argument_with_key(&1234), 4);
    assert!(dyn_argument_with_key_memokit().contains(&1234));
    assert_eq!(key_tuple_memokit().peek(("p", 2)).as_deref(), Some("p2"));
}

// ---- methods -----------------------------------------------------------------

struct Repo {
    id: u32,
    name: String,
}

impl Repo {
    #[cached(key = (self.id, page))]
    fn page(&self, page: u32) -> String {
        format!("{}:{page}", self.id)
    }

    #[cached(key = &self.name)]
    fn by_name(&self) -> usize {
        self.name.len()
    }

    #[cached]
    fn associated(x: u8) -> u8 {
        x + 1
    }

    #[cached(ttl = "1s")]
    fn returns_self_type(id: u32) -> Repo {
        Repo {
            id,
            name: String::new(),
        }
    }
}

impl Clone for Repo {
    fn clone(&self) -> Self {
        Repo {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

#[test]
fn methods() {
    let repo = Repo {
        id: 7,
        name: "main".into(),
    };
    assert_eq!(repo.page(2), "7:2");
    assert_eq!(
        Repo::page_memokit().peek((&repo, 2)).as_deref(),
        Some("7:2")
    );
    assert_eq!(repo.by_name(), 4);
    assert!(Repo::by_name_memokit().contains(&repo));
    assert_eq!(Repo::associated(1), 2);
    assert_eq!(Repo::returns_self_type(3).id, 3);
}

// ---- signatures as written -----------------------------------------------------

/// Documented, public, with attributes: all kept.
#[cached]
#[inline]
#[must_use]
pub fn public_with_attributes(x: u8) -> u8 {
    x
}

#[cached]
pub(crate) fn crate_visible(x: u8) -> u8 {
    x
}

#[cached]
#[deprecated = "kept as written"]
fn deprecated_one(x: u8) -> u8 {
    x
}

#[cached]
extern "C" fn with_abi(x: u8) -> u8 {
    x
}

#[cached]
fn with_where<'a>(s: &'a str) -> usize
where
    'a: 'a,
{
    s.len()
}

#[test]
#[allow(deprecated)]
fn signatures() {
    assert_eq!(public_with_attributes(1), 1);
    assert_eq!(crate_visible(2), 2);
    assert_eq!(deprecated_one(3), 3);
    assert_eq!(with_abi(4), 4);
    assert_eq!(with_where("ab"), 2);
}

// ---- return shapes -------------------------------------------------------------

#[derive(Debug)]
struct Big(Vec<u8>);

static RESULTS: Runs = Runs::new();
#[cached]
fn result(x: i32) -> Result<i32, String> {
    RESULTS.tick();
    if x < 0 {
        Err("negative".into())
    } else {
        Ok(x)
    }
}

type Res<T> = Result<T, std::io::Error>;

#[cached]
fn io_result(x: u8) -> std::io::Result<u8> {
    Ok(x)
}

#[cached]
fn aliased_result(x: u8) -> Res<u8> {
    if x == 0 {
        Err(std::io::Error::other("zero"))
    } else {
        Ok(x)
    }
}

#[cached]
fn boxed_error(x: u8) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    Ok(x)
}

static OPTIONS: Runs = Runs::new();
#[cached]
fn option(x: u8) -> Option<u8> {
    OPTIONS.tick();
    x.checked_sub(1)
}

#[cached]
fn unit(_x: u8) {}

#[cached]
fn shared(n: usize) -> Arc<Big> {
    Arc::new(Big(vec![0; n]))
}

#[cached]
fn static_cow(x: bool) -> Cow<'static, str> {
    if x {
        Cow::Borrowed("yes")
    } else {
        Cow::Owned("no".to_owned())
    }
}

#[cached]
fn static_str(x: bool) -> &'static str {
    if x {
        "yes"
    } else {
        "no"
    }
}

#[test]
fn return_shapes() {
    assert!(result(-1).is_err());
    assert!(result(-1).is_err());
    assert_eq!(RESULTS.get(), 2, "an Err is never cached");
    assert_eq!(result(1), Ok(1));
    assert_eq!(result(1), Ok(1));
    assert_eq!(RESULTS.get(), 3);
    assert_eq!(io_result(1).unwrap(), 1);
    assert!(aliased_result(0).is_err());
    assert!(!aliased_result_memokit().contains(0));
    assert_eq!(boxed_error(1).unwrap(), 1);

    assert_eq!(option(0), None);
    assert_eq!(option(0), None);
    assert_eq!(OPTIONS.get(), 1, "None is a value, cached");

    unit(1);
    assert!(unit_memokit().contains(1));
    assert!(Arc::ptr_eq(&shared(3), &shared(3)));
    assert_eq!(shared(3).0.len(), 3);
    assert_eq!(static_cow(true), "yes");
    assert_eq!(static_str(false), "no");
}

/// An inner attribute stays at the top of the emitted function.
#[cached]
fn with_inner_attribute(x: u64) -> u64 {
    #![allow(unused_variables)]
    let unused = 1;
    x + 1
}

#[test]
fn inner_attributes_of_the_body_are_kept() {
    assert_eq!(with_inner_attribute(1), 2);
    assert_eq!(with_inner_attribute(1), 2);
    assert_eq!(with_inner_attribute_memokit().stats().hits, 1);
}
