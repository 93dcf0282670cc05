use memokit::cached;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Name(String);

#[cached(disk)]
fn greet(name: &Name) -> String {
    format!("hello {}", name.0)
}

fn main() {
    let _ = greet(&Name("ana".into()));
}
