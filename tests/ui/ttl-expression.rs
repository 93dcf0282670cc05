use memokit::cached;
use std::time::Duration;

#[cached(ttl = Duration::from_secs(1))]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
    let _ = Duration::ZERO;
}
