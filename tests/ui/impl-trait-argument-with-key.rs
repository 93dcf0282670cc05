use memokit::cached;
use std::fmt::Display;

// `key = ...` does not help: the argument's type is part of the
// companion's signature, where `impl Trait` cannot stand.
#[cached(key = id)]
fn render(id: u32, value: impl Display) -> String {
    format!("{id}{value}")
}

fn main() {
    let _ = render(1, 5);
}
