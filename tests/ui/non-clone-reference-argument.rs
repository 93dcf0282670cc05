use memokit::cached;

#[derive(Hash, PartialEq, Eq)]
struct Token(u64);

#[cached]
fn lookup(token: &Token) -> u64 {
    token.0
}

fn main() {
    let _ = lookup(&Token(1));
}
