use memokit::cached;

struct Report {
    lines: Vec<String>,
}

#[cached]
fn report(n: u32) -> Report {
    Report { lines: vec![n.to_string()] }
}

fn main() {
    let _ = report(1).lines;
}
