use memokit::cached;

// The body is passed through as written: its syntax error is the only
// error, and the function and its companion still exist for their callers.
#[cached(capacity = 10)]
fn square(x: u64) -> u64 {
    let y = x * ;
    y
}

fn main() {
    let _ = square(3);
    square_memokit().clear();
    let _: Option<u64> = square_memokit().peek(3);
}
