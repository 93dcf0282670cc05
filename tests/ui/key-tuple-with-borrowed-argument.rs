use memokit::cached;

#[cached(key = (name, page))]
fn search(name: &str, page: u32, _trace: f64) -> String {
    format!("{name}{page}")
}

fn main() {
    let _ = search("a", 1, 0.0);
}
