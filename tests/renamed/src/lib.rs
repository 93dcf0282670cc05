//! `#[cached]` from a renamed dependency: no `crate = ...` needed.

use mk::cached;

/// Expiring and bounded.
#[cached(ttl = "1s", capacity = 10)]
pub fn square(x: u64) -> u64 {
    x * x
}

/// Keyed by a borrowed string, `Ok` cached.
#[mk::cached]
pub fn name(s: &str) -> Result<String, ()> {
    Ok(s.to_uppercase())
}

#[cfg(test)]
#[test]
fn works_renamed() {
    assert_eq!(square(3), 9);
    assert_eq!(square(3), 9);
    assert_eq!(square_memokit().stats().hits, 1);
    assert_eq!(name("a"), Ok("A".to_owned()));
    assert_eq!(name_memokit().peek("a"), Some(Ok("A".to_owned())));
}
