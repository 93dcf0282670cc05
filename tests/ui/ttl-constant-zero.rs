use memokit::cached;
use std::time::Duration;

const SESSION_TTL: Duration = Duration::from_secs(0);

#[cached(ttl = SESSION_TTL)]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
