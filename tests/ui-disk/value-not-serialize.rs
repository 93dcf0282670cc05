use memokit::cached;

#[derive(Clone)]
struct Page {
    body: Vec<u8>,
}

#[cached(disk)]
fn render(name: &str) -> Page {
    Page { body: name.as_bytes().to_vec() }
}

fn main() {
    let _ = render("index").body;
}
