use memokit::cached;

#[derive(Clone)]
struct Report(String);

#[cached(ttl = "1m", redis)]
fn report(day: u32) -> Result<Report, String> {
    Ok(Report(day.to_string()))
}

fn main() {}
