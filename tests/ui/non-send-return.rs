use memokit::cached;
use std::cell::RefCell;

#[cached]
fn counter(start: u32) -> RefCell<u32> {
    RefCell::new(start)
}

fn main() {
    let _ = counter(1);
}
