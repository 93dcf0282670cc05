use memokit::cached;
use std::time::Duration;

// A constant written by a macro is checked as one written by hand.
macro_rules! expiring {
    ($name:ident, $ttl:expr) => {
        #[cached(ttl = $ttl)]
        fn $name() -> bool {
            true
        }
    };
}

expiring!(redis_up, Duration::from_millis(0));

fn main() {
    let _ = redis_up();
}
