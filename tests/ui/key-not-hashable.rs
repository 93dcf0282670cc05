use memokit::cached;

#[cached(key = weight)]
fn scaled(weight: f64, label: &str) -> String {
    format!("{label}{weight}")
}

fn main() {
    let _ = scaled(1.0, "a");
}
