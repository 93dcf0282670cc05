use memokit::cached;
use std::time::Duration;

const TTL: Duration = Duration::from_secs(60);
const REFRESH: Duration = Duration::from_secs(90);

#[cached(ttl = TTL, refresh = REFRESH)]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
