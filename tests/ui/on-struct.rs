use memokit::cached;

#[cached]
struct Config {
    port: u16,
}

fn main() {
    let _ = Config { port: 1 }.port;
}
