use memokit::cached;

#[cached(ttl = "10m", refresh = "10m")]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
