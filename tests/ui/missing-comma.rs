use memokit::cached;

#[cached(ttl = "1s" capacity = 10)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
