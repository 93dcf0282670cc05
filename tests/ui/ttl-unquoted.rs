use memokit::cached;

#[cached(ttl = 500ms)]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
