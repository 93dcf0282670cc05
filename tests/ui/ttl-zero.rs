use memokit::cached;

#[cached(ttl = "0s")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
