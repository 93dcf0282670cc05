//! What a companion `<name>_memokit()` returns when `#[cached]` rejected its
//! function: the crate fails to compile with the real error, and callers of
//! the companion type-check instead of adding "cannot find function" errors.

use std::sync::Arc;

use crate::clock::Clock;
use crate::control::Control;
use crate::stats::Stats;

/// Stands in for the cache of a function `#[cached]` reported an error on.
/// Never constructed in a program that compiles.
#[doc(hidden)]
pub struct Unavailable;

impl<A, V> Control<A, V> for Unavailable {
    fn clear(&self) {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn invalidate(&self, _: A) -> bool {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn insert(&self, _: A, _: V) {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn peek(&self, _: A) -> Option<V> {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn contains(&self, _: A) -> bool {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn len(&self) -> usize {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn stats(&self) -> Stats {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn reset_stats(&self) {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
    fn set_clock(&self, _: Arc<dyn Clock>) {
        unreachable!("memokit: a rejected #[cached] function has no cache")
    }
}
