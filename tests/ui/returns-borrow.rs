use memokit::cached;

#[cached]
fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

fn main() {
    let _ = first_word("a b");
}
