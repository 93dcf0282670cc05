use memokit::cached;

#[cached]
fn fail(code: i32) -> ! {
    std::process::exit(code)
}

fn main() {
    fail(1);
}
