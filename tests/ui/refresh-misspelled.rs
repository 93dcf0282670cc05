use memokit::cached;

#[cached(ttl = "10m", refresh_after_write = "8m")]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
