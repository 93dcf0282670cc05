use memokit::cached;

#[cached]
fn scaled(point: (i32, f64)) -> f64 {
    point.0 as f64 * point.1
}

fn main() {
    let _ = scaled((1, 2.0));
}
