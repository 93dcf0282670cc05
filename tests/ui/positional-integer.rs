use memokit::cached;

#[cached(100)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
