use memokit::cached;

#[derive(Clone, Hash, PartialEq, Eq)]
struct Id(u64);

#[cached(disk, key = Id(user))]
fn profile(user: u64, _verbose: bool) -> String {
    format!("user {user}")
}

fn main() {
    let _ = profile(1, true);
}
