use memokit::cached;

#[cached]
fn drain(buffer: &mut Vec<u8>) -> usize {
    let n = buffer.len();
    buffer.clear();
    n
}

fn main() {
    let _ = drain(&mut vec![1, 2]);
}
