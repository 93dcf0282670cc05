use memokit::cached;

#[cached]
fn zeros<const N: usize>() -> [u8; N] {
    [0; N]
}

fn main() {
    let _ = zeros::<4>();
}
