use memokit::cached;

#[cached]
fn greet(name: Option<&str>) -> String {
    format!("hello {}", name.unwrap_or("you"))
}

fn main() {
    let _ = greet(Some("ana"));
}
