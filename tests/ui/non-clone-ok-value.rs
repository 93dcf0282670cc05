use memokit::cached;

struct Report {
    lines: Vec<String>,
}

#[cached]
fn report(n: u32) -> Result<Report, String> {
    Ok(Report { lines: vec![n.to_string()] })
}

fn main() {
    let _ = report(1).map(|r| r.lines);
}
