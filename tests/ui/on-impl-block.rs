use memokit::cached;

struct Repo;

#[cached]
impl Repo {
    fn count(&self) -> usize {
        0
    }
}

fn main() {
    let _ = Repo.count();
}
