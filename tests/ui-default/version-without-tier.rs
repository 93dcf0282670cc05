use memokit::cached;

#[cached(version = 2)]
fn plain(x: u64) -> u64 {
    x
}

fn main() {}
