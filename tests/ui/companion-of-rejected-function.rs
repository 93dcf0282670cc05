use memokit::cached;

// The function is rejected, but it and its companion still exist, so the
// only error is the `&mut` argument: none from the code calling them.
#[cached]
fn drain(buffer: &mut Vec<u8>) -> usize {
    let n = buffer.len();
    buffer.clear();
    n
}

fn main() {
    let _ = drain(&mut vec![1, 2]);
    drain_memokit().clear();
    let _: Option<usize> = drain_memokit().peek(&mut Vec::new());
}
