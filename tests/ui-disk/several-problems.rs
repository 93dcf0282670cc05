use memokit::cached;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Point(i32);

#[derive(Clone)]
struct Page;

// Each problem once, at its own type.
#[cached(disk, version = 3)]
fn draw(at: Point, label: &str) -> Page {
    let _ = (at, label);
    Page
}

fn main() {
    let _ = draw(Point(1), "a");
}
