//! `disk-app <scenario> [--advance SECS]`: calls `#[cached(disk)]`
//! functions and prints, per function, what it computed and read.
//!
//! Scenarios: `run` (calls every function), `hold` (opens the file, says
//! `ready`, and keeps it until its standard input closes).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use memokit::cached;

static COMPUTED: AtomicU64 = AtomicU64::new(0);

fn computed() {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Page {
    title: String,
    width: u32,
    /// A field added in a later build: the signature reads the same, so
    /// entries of the earlier build are found, and no longer decode.
    #[cfg(feature = "grown")]
    height: u32,
}

#[cached(disk)]
fn render(page: &str, width: u32) -> Page {
    computed();
    Page {
        title: page.to_uppercase(),
        width,
        #[cfg(feature = "grown")]
        height: width / 2,
    }
}

#[cached(disk)]
fn fallible(x: u64) -> Result<u64, String> {
    computed();
    if x % 2 == 0 {
        Ok(x * 10)
    } else {
        Err(format!("{x} is odd"))
    }
}

#[cached(disk, ttl = "1h")]
fn dated(x: u64) -> u64 {
    computed();
    x + 100
}

#[cfg(all(not(feature = "wide"), not(feature = "v2")))]
#[cached(disk)]
fn shape(x: u64) -> u32 {
    computed();
    x as u32 * 3
}

#[cfg(all(not(feature = "wide"), feature = "v2"))]
#[cached(disk, version = 2)]
fn shape(x: u64) -> u32 {
    computed();
    x as u32 * 3 + 2
}

#[cfg(feature = "wide")]
#[cached(disk)]
fn shape(x: u64) -> u64 {
    computed();
    x * 3 + 1_000_000
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let advance = args
        .iter()
        .position(|a| a == "--advance")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse::<u64>().expect("--advance SECS"));
    match args.first().map(String::as_str) {
        Some("run") => run(advance),
        Some("hold") => hold(),
        _ => panic!("usage: disk-app run|hold [--advance SECS]"),
    }
}

fn run(advance: Option<u64>) {
    if let Some(secs) = advance {
        let clock = memokit::ManualClock::new();
        clock.advance(Duration::from_secs(secs));
        dated_memokit().set_clock(clock);
    }
    let before = COMPUTED.load(Ordering::Relaxed);
    let page = render("index", 800);
    assert_eq!((page.title.as_str(), page.width), ("INDEX", 800));
    #[cfg(feature = "grown")]
    assert_eq!(page.height, 400);
    line("render", before, render_memokit().stats());

    let before = COMPUTED.load(Ordering::Relaxed);
    assert_eq!(fallible(2), Ok(20));
    assert_eq!(fallible(3), Err("3 is odd".into()));
    line("fallible", before, fallible_memokit().stats());

    let before = COMPUTED.load(Ordering::Relaxed);
    assert_eq!(dated(5), 105);
    line("dated", before, dated_memokit().stats());

    let before = COMPUTED.load(Ordering::Relaxed);
    println!("shape-value {}", shape(7));
    line("shape", before, shape_memokit().stats());
}

fn line(name: &str, before: u64, stats: memokit::Stats) {
    println!(
        "{name} computed={} tier_hits={} tier_errors={}",
        COMPUTED.load(Ordering::Relaxed) - before,
        stats.tier_hits,
        stats.tier_errors
    );
}

fn hold() {
    // The first call opens the file.
    render("held", 1);
    assert!(memokit::disk::flush());
    println!("ready");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut rest);
}
