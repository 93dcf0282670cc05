use memokit::cached;

#[cached(ttl = "1000000d")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
