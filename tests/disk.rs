//! The disk tier, `#[cached(disk)]`: in this process through the attribute,
//! and across real processes (tests/disk-app, built and run twice).
#![cfg(feature = "disk")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use memokit::{cached, ManualClock};

/// This test binary's file, opened before any disk function runs.
fn file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = scratch("in-process");
        let path = dir.join("tests.redb");
        memokit::disk::open(&path).expect("a usable path");
        path
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("memokit-tests-disk-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

static RUNS: AtomicU32 = AtomicU32::new(0);

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Shape {
    sides: u8,
    name: String,
}

#[cached(disk, capacity = 100, ttl = "1h")]
fn shape(sides: u8, name: &str) -> Result<Shape, String> {
    RUNS.fetch_add(1, Ordering::Relaxed);
    if sides < 3 {
        return Err(format!("{sides} sides"));
    }
    Ok(Shape {
        sides,
        name: name.to_owned(),
    })
}

#[test]
fn the_tier_answers_a_miss_in_memory_and_errors_are_not_stored() {
    file();
    let cache = shape_memokit();
    let before = RUNS.load(Ordering::Relaxed);
    assert_eq!(shape(4, "square").unwrap().name, "square");
    assert!(shape(1, "line").is_err());
    assert!(memokit::disk::flush());
    // What a restart leaves: the tier's entries, not memory's.
    cache.clear_memory();
    assert_eq!(shape(4, "square").unwrap().sides, 4);
    assert!(shape(1, "line").is_err(), "an Err is computed again");
    assert_eq!(RUNS.load(Ordering::Relaxed) - before, 3);
    let stats = cache.stats();
    assert_eq!((stats.tier_hits, stats.tier_errors), (1, 0));
    assert!(stats.tier_read_time > Duration::ZERO);
}

#[cached(disk, key = id.to_string())]
fn by_key(id: u64, _ignored: f64) -> u64 {
    RUNS.fetch_add(1, Ordering::Relaxed);
    id * 2
}

#[test]
fn control_acts_on_both_tiers() {
    file();
    let cache = by_key_memokit();
    cache.insert((7, 0.0), 70);
    cache.clear_memory();
    assert_eq!(by_key(7, 1.5), 70, "inserted into the tier too");
    assert!(cache.invalidate((7, 0.0)));
    cache.clear_memory();
    let before = RUNS.load(Ordering::Relaxed);
    assert_eq!(by_key(7, 0.0), 14, "invalidated in the tier too");
    assert_eq!(RUNS.load(Ordering::Relaxed) - before, 1);
    cache.clear();
    assert_eq!(by_key(7, 0.0), 14);
    assert_eq!(
        RUNS.load(Ordering::Relaxed) - before,
        2,
        "cleared in the tier too"
    );
}

#[cached(disk, ttl = "10m")]
fn timed(x: u32) -> u32 {
    RUNS.fetch_add(1, Ordering::Relaxed);
    x + 1
}

#[test]
fn ttl_is_a_wall_clock_expiry_in_the_tier() {
    file();
    let cache = timed_memokit();
    let clock = ManualClock::new();
    cache.set_clock(clock.clone());
    let before = RUNS.load(Ordering::Relaxed);
    timed(1);
    clock.advance(Duration::from_secs(9 * 60));
    cache.clear_memory();
    timed(1);
    assert_eq!(
        RUNS.load(Ordering::Relaxed) - before,
        1,
        "9 of 10 minutes: read"
    );
    clock.advance(Duration::from_secs(2 * 60));
    cache.clear_memory();
    timed(1);
    assert_eq!(
        RUNS.load(Ordering::Relaxed) - before,
        2,
        "expired on disk too"
    );
}

struct Repo {
    id: u32,
}

impl Repo {
    #[cached(disk, key = (self.id, n))]
    fn scaled(&self, n: u32) -> u64 {
        RUNS.fetch_add(1, Ordering::Relaxed);
        u64::from(self.id * n)
    }
}

#[cached(disk)]
fn parse<
    T: std::str::FromStr
        + Clone
        + Send
        + Sync
        + serde::Serialize
        + serde::de::DeserializeOwned
        + 'static,
>(
    s: &str,
) -> Option<T> {
    s.parse().ok()
}

#[cached(disk)]
async fn fetch(n: u64) -> String {
    RUNS.fetch_add(1, Ordering::Relaxed);
    format!("page {n}")
}

#[test]
fn methods_generics_and_async_functions_use_the_tier() {
    file();
    assert_eq!(Repo { id: 3 }.scaled(2), 6);
    assert_eq!(parse::<u8>("7"), Some(7));
    assert_eq!(parse::<u16>("300"), Some(300));
    assert_eq!(futures::executor::block_on(fetch(9)), "page 9");
    assert!(memokit::disk::flush());
    Repo::scaled_memokit().clear_memory();
    parse_memokit::<u8>().clear_memory();
    parse_memokit::<u16>().clear_memory();
    fetch_memokit().clear_memory();
    assert_eq!(Repo { id: 3 }.scaled(2), 6);
    assert_eq!(parse::<u8>("7"), Some(7));
    assert_eq!(
        parse::<u16>("300"),
        Some(300),
        "each instantiation its own entries"
    );
    assert_eq!(futures::executor::block_on(fetch(9)), "page 9");
    assert_eq!(Repo::scaled_memokit().stats().tier_hits, 1);
    assert_eq!(parse_memokit::<u8>().stats().tier_hits, 1);
    assert_eq!(parse_memokit::<u16>().stats().tier_hits, 1);
    assert_eq!(fetch_memokit().stats().tier_hits, 1);
}

#[cached(disk)]
fn contended(x: u32) -> u32 {
    RUNS.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(20));
    x
}

#[test]
fn concurrent_misses_read_the_tier_once() {
    file();
    contended(5);
    assert!(memokit::disk::flush());
    contended_memokit().clear_memory();
    let reads = contended_memokit().stats().tier_reads;
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                contended(5)
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 5);
    }
    // Threads that arrive after the first read are L1 hits; none reads twice.
    assert_eq!(contended_memokit().stats().tier_reads - reads, 1);
}

#[test]
fn another_path_once_a_file_is_open_is_an_error() {
    let open = file();
    assert_eq!(memokit::disk::path().as_deref(), Some(open));
    assert!(memokit::disk::open(open).is_ok());
    let err = memokit::disk::open(open.with_extension("other")).unwrap_err();
    assert!(err.to_string().contains("already in use"), "{err}");
}

// ---- Real processes ----

/// The program of tests/disk-app built with `features`, once per test
/// run, copied where another build cannot overwrite it.
fn app(features: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(f, _)| f == features) {
        return path.clone();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/disk-app");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--manifest-path"])
        .arg(root.join("tests/disk-app/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .args(["--features", features])
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "tests/disk-app builds with features {features:?}"
    );
    let name = if features.is_empty() {
        "plain"
    } else {
        features
    };
    let copy = target.join(format!("disk-app-{name}"));
    std::fs::copy(target.join("debug/disk-app"), &copy).unwrap();
    built.push((features.to_owned(), copy.clone()));
    copy
}

/// Runs `app` on the file `disk`; its output lines, by function.
fn run(app: &Path, disk: &Path, extra: &[&str]) -> Vec<String> {
    let out = Command::new(app)
        .arg("run")
        .args(extra)
        .env("MEMOKIT_DISK", disk)
        .output()
        .expect("the app runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn line<'a>(lines: &'a [String], name: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no line for {name} in {lines:?}"))
}

#[test]
fn a_second_run_reads_the_first_runs_values_without_computing() {
    let dir = scratch("restart");
    let disk = dir.join("app.redb");
    let app = app("");
    let first = run(&app, &disk, &[]);
    assert_eq!(
        line(&first, "render"),
        "render computed=1 tier_hits=0 tier_errors=0"
    );
    let second = run(&app, &disk, &[]);
    assert_eq!(
        line(&second, "render"),
        "render computed=0 tier_hits=1 tier_errors=0"
    );
    // The Ok value was stored, the Err was not.
    assert_eq!(
        line(&second, "fallible"),
        "fallible computed=1 tier_hits=1 tier_errors=0"
    );
    assert_eq!(
        line(&second, "dated"),
        "dated computed=0 tier_hits=1 tier_errors=0"
    );
}

#[test]
fn ttl_counts_across_a_restart() {
    let dir = scratch("ttl");
    let disk = dir.join("app.redb");
    let app = app("");
    run(&app, &disk, &[]);
    let within = run(&app, &disk, &["--advance", "1800"]);
    assert_eq!(
        line(&within, "dated"),
        "dated computed=0 tier_hits=1 tier_errors=0"
    );
    let after = run(&app, &disk, &["--advance", "3700"]);
    assert_eq!(
        line(&after, "dated"),
        "dated computed=1 tier_hits=0 tier_errors=0"
    );
}

#[test]
fn a_version_bump_and_a_changed_return_type_miss_instead_of_misreading() {
    let dir = scratch("signature");
    let disk = dir.join("app.redb");
    let (plain, bumped, wide) = (app(""), app("v2"), app("wide"));
    let first = run(&plain, &disk, &[]);
    assert!(first.contains(&"shape-value 21".to_owned()));
    let again = run(&plain, &disk, &[]);
    assert_eq!(
        line(&again, "shape"),
        "shape computed=0 tier_hits=1 tier_errors=0"
    );
    let v2 = run(&bumped, &disk, &[]);
    assert!(v2.contains(&"shape-value 23".to_owned()), "{v2:?}");
    assert_eq!(
        line(&v2, "shape"),
        "shape computed=1 tier_hits=0 tier_errors=0"
    );
    // u32 and u64 encode 21 alike: only the fingerprint tells them apart.
    let widened = run(&wide, &disk, &[]);
    assert!(
        widened.contains(&"shape-value 1000021".to_owned()),
        "{widened:?}"
    );
    assert_eq!(
        line(&widened, "shape"),
        "shape computed=1 tier_hits=0 tier_errors=0"
    );
    // The other functions' entries were untouched.
    assert_eq!(
        line(&widened, "render"),
        "render computed=0 tier_hits=1 tier_errors=0"
    );
}

#[test]
fn a_value_that_no_longer_decodes_is_counted_deleted_and_computed() {
    let dir = scratch("undecodable");
    let disk = dir.join("app.redb");
    let (plain, grown) = (app(""), app("grown"));
    run(&plain, &disk, &[]);
    // The same signature, a value type with one more field.
    let first = run(&grown, &disk, &[]);
    assert_eq!(
        line(&first, "render"),
        "render computed=1 tier_hits=0 tier_errors=1"
    );
    let second = run(&grown, &disk, &[]);
    assert_eq!(
        line(&second, "render"),
        "render computed=0 tier_hits=1 tier_errors=0"
    );
}

/// Every function computed its value, and at least one tier error was
/// counted: the file was unusable, the calls were not.
fn assert_memory_alone(lines: &[String]) {
    for name in ["render", "fallible", "dated", "shape"] {
        let l = line(lines, name);
        assert!(l.contains("tier_hits=0"), "{l}");
        assert!(!l.contains("computed=0"), "{l}");
    }
    assert!(
        !line(lines, "render").ends_with("tier_errors=0"),
        "{lines:?}"
    );
}

#[test]
fn a_corrupt_truncated_or_unusable_file_costs_only_speed() {
    let dir = scratch("broken");
    let app = app("");
    let corrupt = dir.join("corrupt.redb");
    std::fs::write(&corrupt, vec![0xa5; 32 * 1024]).unwrap();
    assert_memory_alone(&run(&app, &corrupt, &[]));
    assert_eq!(
        std::fs::read(&corrupt).unwrap(),
        vec![0xa5; 32 * 1024],
        "left as it was"
    );

    let truncated = dir.join("truncated.redb");
    run(&app, &truncated, &[]);
    let len = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let lines = run(&app, &truncated, &[]);
    // Refused (memory alone) or repaired by redb: right values either way,
    // which `run` asserts in the program.
    assert_eq!(lines.len(), 5, "{lines:?}");

    let in_a_file = dir.join("plain-file");
    std::fs::write(&in_a_file, b"").unwrap();
    assert_memory_alone(&run(&app, &in_a_file.join("x.redb"), &[]));
    assert_memory_alone(&run(&app, Path::new("/proc/memokit/x.redb"), &[]));
}

#[test]
fn a_file_another_process_holds_is_left_alone_and_intact() {
    let dir = scratch("held");
    let disk = dir.join("app.redb");
    let app = app("");
    let mut holder = Command::new(&app)
        .arg("hold")
        .env("MEMOKIT_DISK", &disk)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.as_mut().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready");
    assert_memory_alone(&run(&app, &disk, &[]));
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    // The holder's entry is intact, and the file usable again.
    let after = run(&app, &disk, &[]);
    assert_eq!(
        line(&after, "render"),
        "render computed=1 tier_hits=0 tier_errors=0"
    );
    let again = run(&app, &disk, &[]);
    assert_eq!(
        line(&again, "render"),
        "render computed=0 tier_hits=1 tier_errors=0"
    );
}
