use memokit::cached;

#[cached(tll = "1s")]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
