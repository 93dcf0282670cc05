//! memokit against simulated ARC over a range of capacities, to see where
//! the policy stands beyond the capacities of the main report.
//!
//! ```text
//! cargo run --release --manifest-path compare/Cargo.toml --bin capacity-sweep -- OLTP 500,1000,4096
//! cargo run --release --manifest-path compare/Cargo.toml --bin capacity-sweep -- loop 5000,20000
//! ```
//!
//! The first argument names a trace in `../shared/traces` (`OLTP`, `P3`) or
//! `loop` (the Zipf + loop workload). Capacities are chosen at run time, so
//! this drives a cache through the runtime API that `#[cached]` expands to
//! (the same lookup and compute calls) instead of one function per capacity.

use memokit::__private::{Cache, Kind, PlainKind};
use memokit::runtime::Config;
use memokit_compare::reference::{self, Arc};
use memokit_compare::{trace, workload};

/// Hit ratio of a memokit cache of this capacity over `keys`.
fn memokit(keys: &[u64], capacity: usize) -> f64 {
    let config: &'static Config = Box::leak(Box::new(Config {
        id: Box::leak(format!("capacity-sweep {capacity}").into_boxed_str()),
        name: "sweep",
        ttl: None,
        capacity: Some(capacity),
        refresh: None,
    }));
    let values = (&Kind::<u64>::new()).memokit_values();
    let cache: Cache<u64, u64> = Cache::new(config, "sweep".to_owned(), values);
    let mut computed = 0u64;
    for &k in keys {
        if let Err(miss) = cache.lookup(&k, values) {
            computed += 1;
            cache.compute(miss, values, || k);
        }
    }
    100.0 * (1.0 - computed as f64 / keys.len() as f64)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, capacities] = &args[..] else {
        panic!("usage: capacity-sweep <OLTP|P3|loop> <capacity,capacity,...>");
    };
    let keys = match name.as_str() {
        "loop" => workload::zipf_with_loop(50_000, 0.8, 1_333_333, 3, 15_000, 5),
        trace_name => {
            let path = trace::dir().join(format!("{trace_name}.lis.zst"));
            trace::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        }
    };
    println!("| capacity | ARC (simulated) | memokit | difference |");
    println!("|---:|---:|---:|---:|");
    for capacity in capacities.split(',') {
        let capacity: usize = capacity.trim().parse().expect("a capacity");
        let arc = reference::hit_ratio(&mut Arc::new(capacity), &keys);
        let ours = memokit(&keys, capacity);
        println!("| {capacity} | {arc:.2} | {ours:.2} | {:+.2} |", ours - arc);
    }
}
