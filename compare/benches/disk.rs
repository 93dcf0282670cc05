//! The disk tier against `cached` 4.1's disk store (`redb_store`), on the
//! same function, in one run:
//! - `disk_hit`: a call whose value is on disk and not in memory (what the
//!   first call after a restart costs). memokit's memory is cleared before
//!   each timed call (untimed); `cached`'s disk store has no memory level,
//!   so each of its calls reads the file.
//! - `miss_write`: a call with a new key: compute, then store on disk.
//!   `cached` commits (and `fsync`s) before returning; memokit queues the
//!   write for its background writer.
//!
//! ```text
//! cargo bench --manifest-path compare/Cargo.toml --bench disk
//! ```

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

use memokit_compare::contestants::work;

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("memokit-bench-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        memokit::disk::open(dir.join("memokit.redb")).unwrap();
        dir
    })
}

#[memokit::cached(disk)]
fn mk_disk(x: u64) -> Result<u64, String> {
    Ok(work(x))
}

#[cached::macros::concurrent_cached(
    disk = true,
    disk_dir = "/tmp/memokit-bench-cached-disk",
    map_error = |e| format!("{e:?}")
)]
fn peer_disk(x: u64) -> Result<u64, String> {
    Ok(work(x))
}

/// Keys never asked before, across both contestants' groups.
static NEXT: AtomicU64 = AtomicU64::new(1 << 40);

fn disk(c: &mut Criterion) {
    dir();
    const KEY: u64 = 7;
    mk_disk(KEY).unwrap();
    peer_disk(KEY).unwrap();
    assert!(memokit::disk::flush());

    let mut hit = c.benchmark_group("disk_hit");
    hit.bench_function("memokit", |b| {
        b.iter_batched(
            || mk_disk_memokit().clear_memory(),
            |()| black_box(mk_disk(black_box(KEY))),
            BatchSize::PerIteration,
        )
    });
    hit.bench_function("cached", |b| {
        b.iter(|| black_box(peer_disk(black_box(KEY))))
    });
    hit.finish();

    let mut miss = c.benchmark_group("miss_write");
    miss.bench_function("memokit", |b| {
        b.iter(|| black_box(mk_disk(NEXT.fetch_add(1, Ordering::Relaxed))))
    });
    miss.bench_function("cached", |b| {
        b.iter(|| black_box(peer_disk(NEXT.fetch_add(1, Ordering::Relaxed))))
    });
    miss.finish();
    assert!(memokit::disk::flush());
    let _ = std::fs::remove_dir_all(dir());
}

criterion_group!(benches, disk);
criterion_main!(benches);
