use memokit::cached;

#[cached(capacity = "100")]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
