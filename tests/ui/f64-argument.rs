use memokit::cached;

#[cached]
fn area(side: f64) -> f64 {
    side * side
}

fn main() {
    let _ = area(2.0);
}
