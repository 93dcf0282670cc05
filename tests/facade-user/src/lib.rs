//! `#[cached]` through a crate that re-exports memokit: `crate = ...` names
//! the path generated code reaches memokit by.

use facade::cached;

/// Bounded, keyed by a borrowed string.
#[cached(crate = facade::memokit, capacity = 10)]
pub fn shout(s: &str) -> String {
    s.to_uppercase()
}

/// The path may also be given as a string, as serde takes it.
#[facade::cached(crate = "::facade::memokit", ttl = "1m")]
pub fn square(x: u64) -> u64 {
    x * x
}

/// The path written by a macro, as a `path` fragment.
macro_rules! through {
    ($krate:path, $name:ident) => {
        /// Permanent.
        #[cached(crate = $krate)]
        pub fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
through!(facade::memokit, increment);

/// A method, keyed by `self`, and a `Result`.
pub struct Store(pub u32);

impl Store {
    /// Cached per store id.
    #[cached(crate = facade::memokit, key = (self.0, n))]
    pub fn get(&self, n: u32) -> Result<u32, String> {
        Ok(self.0 + n)
    }
}

#[cfg(test)]
#[test]
fn works_through_a_facade() {
    assert_eq!(shout("a"), "A");
    assert_eq!(shout("a"), "A");
    assert_eq!(shout_memokit().stats().hits, 1);
    assert_eq!(square(3), 9);
    assert_eq!(square_memokit().peek(3), Some(9));
    assert_eq!(increment(1), 2);
    assert_eq!(increment_memokit().len(), 1);
    assert_eq!(Store(1).get(2), Ok(3));
    assert_eq!(Store::get_memokit().len(), 1);
}
