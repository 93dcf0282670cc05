use memokit::cached;

#[cached]
#[cached(ttl = "1s")]
fn square(x: u64) -> u64 {
    x * x
}

fn main() {
    let _ = square(3);
    let _ = square_memokit();
}
