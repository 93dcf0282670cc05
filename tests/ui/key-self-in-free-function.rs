use memokit::cached;

#[cached(key = self.id)]
fn profile(id: u64) -> String {
    id.to_string()
}

fn main() {
    let _ = profile(1);
}
