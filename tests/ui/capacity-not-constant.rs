use memokit::cached;

fn max_sessions() -> usize {
    100
}

#[cached(capacity = max_sessions())]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
