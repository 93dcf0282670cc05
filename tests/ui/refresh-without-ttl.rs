use memokit::cached;

#[cached(refresh = "8m")]
fn config(service: &str) -> String {
    service.to_owned()
}

fn main() {
    let _ = config("db");
}
