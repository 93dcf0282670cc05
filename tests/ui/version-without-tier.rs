use memokit::cached;

#[cached(version = 2)]
fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
