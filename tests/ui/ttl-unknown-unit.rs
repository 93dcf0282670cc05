use memokit::cached;

#[cached(ttl = "2 weeks")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
