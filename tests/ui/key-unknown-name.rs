use memokit::cached;

#[cached(key = user)]
fn profile(user_id: u64) -> String {
    user_id.to_string()
}

fn main() {
    let _ = profile(1);
}
