use memokit::cached;

#[cached(ttl = "10m", redis)]
fn exchange_rate(currency: &str) -> Result<f64, String> {
    Ok(currency.len() as f64)
}

fn main() {}
