use memokit::cached;

#[cached(disk, redis)]
fn both(x: u64) -> u64 {
    x
}

fn main() {}
