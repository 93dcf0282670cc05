use memokit::cached;

// `size` is what the `cached` crate calls it.
#[cached(size = 100)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
