use memokit::cached;

#[cached(disk, ttl = "1d")]
fn render(page: &str) -> Vec<u8> {
    page.as_bytes().to_vec()
}

fn main() {
    let _ = render("index");
}
