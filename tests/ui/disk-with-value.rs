use memokit::cached;

#[cached(disk = true)]
fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}
