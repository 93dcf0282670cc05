use memokit::cached;

#[cached]
async fn label(n: u32) -> String {
    if n == 0 {
        return "zero";
    }
    n.to_string()
}

fn main() {
    let _ = label(1);
}
