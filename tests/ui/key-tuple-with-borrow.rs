use memokit::cached;

#[cached(key = (name.as_str(), page))]
fn search(name: String, page: u32, _trace: f64) -> String {
    format!("{name}{page}")
}

fn main() {
    let _ = search(String::new(), 1, 0.0);
}
