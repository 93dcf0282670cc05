use memokit::cached;

// A rejected option does not hide a problem the type checker finds: both
// are reported.
#[cached(ttl = "0s")]
fn area(side: f64) -> f64 {
    side * side
}

fn main() {
    let _ = area(2.0);
}
