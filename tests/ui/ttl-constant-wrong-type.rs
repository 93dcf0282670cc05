use memokit::cached;

const SESSION_TTL: u64 = 30;

#[cached(ttl = SESSION_TTL)]
fn redis_up() -> bool {
    true
}

fn main() {
    let _ = redis_up();
}
