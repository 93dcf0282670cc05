use memokit::cached;

#[cached(ttl = "1s", ttl = "2s")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
