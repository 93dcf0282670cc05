use memokit::cached;

#[cached(key = "user_id")]
fn profile(user_id: u64, verbose: bool) -> String {
    format!("{user_id}{verbose}")
}

fn main() {
    let _ = profile(1, true);
}
