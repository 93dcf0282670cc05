use memokit::cached;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);

#[cached(ttl = TTL, refresh = "2m")]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
