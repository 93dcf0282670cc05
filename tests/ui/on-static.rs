use memokit::cached;

#[cached]
static NAME: &str = "memokit";

fn main() {
    let _ = NAME;
}
