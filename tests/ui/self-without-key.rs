use memokit::cached;

struct Repo {
    id: u32,
}

impl Repo {
    #[cached]
    fn page(&self, n: u32) -> String {
        format!("{}:{n}", self.id)
    }
}

fn main() {
    let _ = Repo { id: 1 }.page(2);
}
