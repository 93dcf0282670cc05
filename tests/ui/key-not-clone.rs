use memokit::cached;

#[derive(Hash, PartialEq, Eq)]
struct Token(u64);

#[cached(key = Token(id))]
fn lookup(id: u64, _trace: f64) -> u64 {
    id
}

fn main() {
    let _ = lookup(1, 0.0);
}
