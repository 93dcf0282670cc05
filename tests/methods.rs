//! Methods: `&self` keyed by `key = ...` over `self`'s fields, associated
//! functions, control through `Type::` and `Self::`, generic `impl` blocks.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};

use memokit::cached;

struct Repo {
    id: u32,
    name: &'static str,
}

static FETCHES: AtomicUsize = AtomicUsize::new(0);

impl Repo {
    #[cached(key = (self.id, page))]
    fn fetch(&self, page: u32) -> String {
        FETCHES.fetch_add(1, Ordering::SeqCst);
        format!("{}:{page}", self.name)
    }

    /// No receiver: behaves like a free function.
    #[cached]
    fn parse_id(s: &str) -> Option<u32> {
        s.parse().ok()
    }

    fn pages_cached() -> usize {
        Self::fetch_memokit().len()
    }
}

#[test]
fn instances_with_different_keys_do_not_share_entries() {
    let a = Repo { id: 1, name: "a" };
    let b = Repo { id: 2, name: "b" };
    assert_eq!(a.fetch(1), "a:1");
    assert_eq!(b.fetch(1), "b:1");
    assert_eq!(a.fetch(1), "a:1");
    assert_eq!(FETCHES.load(Ordering::SeqCst), 2);

    // The key is what identifies a call: another instance with the same id
    // is the same entry.
    let a_again = Repo {
        id: 1,
        name: "other",
    };
    assert_eq!(a_again.fetch(1), "a:1");

    let control = Repo::fetch_memokit();
    assert_eq!(Repo::pages_cached(), 2);
    assert_eq!(control.peek((&b, 1)).as_deref(), Some("b:1"));
    assert!(control.invalidate((&a, 1)));
    assert!(!control.contains((&a, 1)));
    assert!(control.contains((&b, 1)));
    control.insert((&a, 9), "primed".to_owned());
    assert_eq!(a.fetch(9), "primed");
}

#[test]
fn associated_functions_are_cached_like_free_functions() {
    assert_eq!(Repo::parse_id("12"), Some(12));
    assert_eq!(Repo::parse_id("x"), None);
    let control = Repo::parse_id_memokit();
    assert_eq!(control.len(), 2);
    assert_eq!(
        control.peek("x"),
        Some(None),
        "None is a value and is cached"
    );
}

/// One `impl` block, two instantiations: each `Self` has its own cache, even
/// when neither the key nor the value mentions `T`.
struct Store<T> {
    id: u32,
    _kind: PhantomData<T>,
}

impl<T: 'static> Store<T> {
    fn new(id: u32) -> Self {
        Store {
            id,
            _kind: PhantomData,
        }
    }

    #[cached(key = self.id)]
    fn describe(&self) -> String {
        format!("{}#{}", std::any::type_name::<T>(), self.id)
    }

    #[cached(key = self.id)]
    fn size(&self) -> usize {
        std::mem::size_of::<T>()
    }
}

#[test]
fn a_generic_impl_has_one_cache_per_self_type() {
    let small = Store::<u8>::new(1);
    let large = Store::<u64>::new(1);
    assert_eq!(small.size(), 1);
    assert_eq!(large.size(), 8);
    assert_eq!(small.size(), 1);
    assert_eq!(small.describe(), "u8#1");
    assert_eq!(large.describe(), "u64#1");
    assert_eq!(Store::<u8>::size_memokit().peek(&small), Some(1));
    assert_eq!(Store::<u64>::size_memokit().peek(&large), Some(8));
    assert_eq!(Store::<u16>::size_memokit().len(), 0);
    Store::<u8>::describe_memokit().clear();
    assert_eq!(Store::<u64>::describe_memokit().len(), 1);
}

/// A receiver that borrows: the cache outlives it, and its key is owned.
struct Parser<'a> {
    source: &'a str,
}

impl<'a> Parser<'a> {
    #[cached(key = self.source.to_owned())]
    fn words(&self) -> usize {
        self.source.split_whitespace().count()
    }
}

#[test]
fn methods_of_borrowing_types_work() {
    let text = String::from("a b c");
    assert_eq!(Parser { source: &text }.words(), 3);
    let again = String::from("a b c");
    assert!(Parser::words_memokit().contains(&Parser { source: &again }));
}

trait Named {
    fn name(&self) -> String;

    /// A default method: one cache per implementing type.
    #[cached(key = self.name())]
    fn greeting(&self) -> String {
        format!("hello {}", self.name())
    }
}

struct En;
struct Fr;

impl Named for En {
    fn name(&self) -> String {
        "x".to_owned()
    }
}

impl Named for Fr {
    fn name(&self) -> String {
        "x".to_owned()
    }

    fn greeting(&self) -> String {
        format!("bonjour {}", self.name())
    }
}

#[test]
fn trait_default_methods_are_cached_per_implementor() {
    assert_eq!(En.greeting(), "hello x");
    assert_eq!(Fr.greeting(), "bonjour x");
    assert_eq!(<En as Named>::greeting_memokit().len(), 1);
    assert_eq!(<Fr as Named>::greeting_memokit().len(), 0);
}
