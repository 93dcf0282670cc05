use memokit::cached;
use std::sync::Arc;

struct Repo {
    id: u32,
}

impl Repo {
    #[cached(key = n)]
    fn page(self: Arc<Self>, n: u32) -> String {
        format!("{}:{n}", self.id)
    }
}

fn main() {
    let _ = Arc::new(Repo { id: 1 }).page(2);
}
