use memokit::{cached, Control};
use std::sync::atomic::{AtomicUsize, Ordering};

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[cached]
fn double(x: u64) -> u64 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    x * 2
}

#[cached(ttl = "1s", capacity = 10)]
fn greet(name: &str, n: u32) -> String {
    format!("{name}{n}")
}

#[cached(key = name.len())]
fn by_len(name: &str, _w: f64) -> usize {
    name.len()
}

#[test]
fn smoke() {
    assert_eq!(double(2), 4);
    assert_eq!(double(2), 4);
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
    assert_eq!(greet("a", 1), "a1");
    assert_eq!(greet_memokit().peek(("a", 1)).as_deref(), Some("a1"));
    assert_eq!(by_len("abc", 1.0), 3);
    assert!(by_len_memokit().contains(("xyz", 2.0)));
    assert_eq!(double_memokit().stats().hits, 1);
}

#[cached]
fn with_lifetime<'a>(s: &'a str, t: &'a [u8]) -> usize {
    s.len() + t.len()
}

struct Repo {
    id: u32,
}

impl Repo {
    #[cached(key = (self.id, page))]
    fn fetch(&self, page: u32) -> String {
        format!("{}:{}", self.id, page)
    }

    #[cached]
    fn assoc(x: u8) -> u8 {
        x + 1
    }
}

#[test]
fn methods_and_lifetimes() {
    assert_eq!(with_lifetime("ab", &[1]), 3);
    assert!(with_lifetime_memokit().contains(("ab", &[1u8][..])));
    let r = Repo { id: 7 };
    assert_eq!(r.fetch(2), "7:2");
    assert_eq!(Repo::fetch_memokit().peek((&r, 2)).as_deref(), Some("7:2"));
    assert_eq!(Repo::assoc(1), 2);
    assert_eq!(Repo::assoc_memokit().len(), 1);
}
