use memokit::cached;

// A rejected option is left out and the rest expanded: the only error is
// the option's.
#[cached(ttl = "0s", capacity = 10)]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
    assert_eq!(square_memokit().peek(3), Some(9));
}
