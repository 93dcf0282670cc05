use memokit::cached;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Point {
    x: i32,
    y: i32,
}

#[cached(disk)]
fn distance(from: Point, scale: u32) -> u64 {
    (from.x.unsigned_abs() as u64 + from.y.unsigned_abs() as u64) * scale as u64
}

fn main() {
    let _ = distance(Point { x: 1, y: 2 }, 3);
}
