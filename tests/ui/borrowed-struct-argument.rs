use memokit::cached;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Name<'a>(&'a str);

#[cached]
fn greet<'a>(name: Name<'a>) -> String {
    format!("hello {}", name.0)
}

fn main() {
    let _ = greet(Name("ana"));
}
