use memokit::cached;

#[cached(frobnicate = 1)]
fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
