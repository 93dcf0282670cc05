//! One value per pair of cache lines, for data that different threads
//! write: 128 bytes, not 64, because x86 prefetches lines in pairs.

/// `T` alone on its 128 bytes.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}
