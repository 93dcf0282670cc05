use memokit::cached;

const MAX_SESSIONS: usize = 0;
const PER_USER: usize = 4;

#[cached(capacity = MAX_SESSIONS * PER_USER)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
}
