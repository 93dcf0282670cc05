use memokit::cached;

#[cached]
fn address(p: *const u8) -> usize {
    p as usize
}

fn main() {
    let _ = address(std::ptr::null());
}
