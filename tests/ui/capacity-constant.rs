use memokit::cached;

const MAX: usize = 100;

#[cached(capacity = MAX)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
    let _ = MAX;
}
