use memokit::cached;

struct Query {
    text: String,
}

impl Query {
    #[cached]
    fn run(self) -> usize {
        self.text.len()
    }
}

fn main() {
    let _ = Query { text: String::new() }.run();
}
