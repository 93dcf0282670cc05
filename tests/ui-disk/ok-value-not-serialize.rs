use memokit::cached;

#[derive(Clone)]
struct Page {
    body: Vec<u8>,
}

// The error type is never stored: only `Page` must be serializable.
#[derive(Debug)]
struct RenderError;

#[cached(disk)]
fn render(name: &str) -> Result<Page, RenderError> {
    Ok(Page { body: name.as_bytes().to_vec() })
}

fn main() {
    let _ = render("index").unwrap().body;
}
