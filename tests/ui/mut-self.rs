use memokit::cached;

struct Counter {
    n: u64,
}

impl Counter {
    #[cached(key = step)]
    fn bump(&mut self, step: u64) -> u64 {
        self.n += step;
        self.n
    }
}

fn main() {
    let _ = Counter { n: 0 }.bump(1);
}
