use memokit::cached;

#[cached(ttl = "1.5s")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
