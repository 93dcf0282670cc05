use memokit::cached;

const MAX_SESSIONS: usize = 0;

#[cached(capacity = MAX_SESSIONS)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
