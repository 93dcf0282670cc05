use memokit::cached;

// Not a key at all: the key error alone, not the tier's on top.
#[cached(disk)]
fn area(side: f64) -> f64 {
    side * side
}

fn main() {
    let _ = area(2.0);
}
