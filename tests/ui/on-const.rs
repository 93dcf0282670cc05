use memokit::cached;

#[cached]
const ANSWER: u32 = 42;

fn main() {
    let _ = ANSWER;
}
