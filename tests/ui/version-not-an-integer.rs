use memokit::cached;

#[cached(ttl = "1s", version = "2")]
fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
