use memokit::cached;
use std::error::Error;

#[cached]
fn load(id: u32) -> Result<String, Box<dyn Error>> {
    Ok(id.to_string())
}

fn main() {
    let _ = load(1);
}
