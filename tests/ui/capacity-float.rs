use memokit::cached;

#[cached(capacity = 1.5)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
