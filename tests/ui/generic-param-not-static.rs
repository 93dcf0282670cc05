use memokit::cached;

#[cached]
fn size_of_n<T>(n: usize) -> usize {
    std::mem::size_of::<T>() * n
}

fn main() {
    size_of_n::<u8>(1);
}
