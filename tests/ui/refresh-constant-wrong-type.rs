use memokit::cached;

const REFRESH: u64 = 30;

#[cached(ttl = "1m", refresh = REFRESH)]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
