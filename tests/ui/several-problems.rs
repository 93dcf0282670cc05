use memokit::cached;

// Every problem is reported at once, each under its own token.
#[cached(ttl = "0s", capacity = -1, tll = "1s")]
fn area(side: f64, scratch: &mut Vec<f64>) -> f64 {
    scratch.push(side);
    side * side
}

fn main() {
    let _ = area(2.0, &mut Vec::new());
}
