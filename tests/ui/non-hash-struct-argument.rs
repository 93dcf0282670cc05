use memokit::cached;

#[derive(Clone, PartialEq, Eq)]
struct Point {
    x: i32,
    y: i32,
}

#[cached]
fn norm(p: Point, scale: i32) -> i32 {
    (p.x.abs() + p.y.abs()) * scale
}

fn main() {
    let _ = norm(Point { x: 1, y: 2 }, 3);
}
