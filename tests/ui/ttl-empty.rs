use memokit::cached;

#[cached(ttl = "")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
