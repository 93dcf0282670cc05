use memokit::cached;

#[cached(ttl = -5)]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
