use memokit::cached;
use std::fmt::Display;

#[cached]
fn render(value: &dyn Display) -> String {
    value.to_string()
}

fn main() {
    let _ = render(&5);
}
