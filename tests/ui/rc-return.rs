use memokit::cached;
use std::rc::Rc;

#[cached]
fn name(id: u32) -> Rc<String> {
    Rc::new(id.to_string())
}

fn main() {
    let _ = name(1);
}
