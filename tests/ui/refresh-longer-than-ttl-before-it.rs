use memokit::cached;

// Options may come in any order.
#[cached(refresh = "1h", capacity = 10, ttl = "10m")]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
