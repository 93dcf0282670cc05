//! Options written by `macro_rules!` macros, through every fragment kind a
//! value can arrive in, and options given as constant expressions.

#![forbid(unsafe_code)]

use std::time::Duration;

use memokit::cached;

const MAX_SESSIONS: usize = 2;
const SESSION_TTL: Duration = Duration::from_secs(3600);

macro_rules! capacity_literal {
    ($name:ident, $cap:literal) => {
        #[cached(capacity = $cap)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
macro_rules! capacity_expr {
    ($name:ident, $cap:expr) => {
        #[cached(capacity = $cap)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
macro_rules! capacity_ident {
    ($name:ident, $cap:ident) => {
        #[cached(capacity = $cap)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
macro_rules! capacity_tt {
    ($name:ident, $cap:tt) => {
        #[cached(capacity = $cap)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
capacity_literal!(cap_literal, 2);
capacity_expr!(cap_expr_literal, 2);
capacity_expr!(cap_expr_const, MAX_SESSIONS);
capacity_expr!(cap_expr_arith, MAX_SESSIONS / 2 + 1);
capacity_ident!(cap_ident, MAX_SESSIONS);
capacity_tt!(cap_tt, 2);
capacity_tt!(cap_tt_ident, MAX_SESSIONS);

macro_rules! ttl_literal {
    ($name:ident, $ttl:literal) => {
        #[cached(ttl = $ttl)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
macro_rules! ttl_expr {
    ($name:ident, $ttl:expr) => {
        #[cached(ttl = $ttl)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
macro_rules! ttl_ident {
    ($name:ident, $ttl:ident) => {
        #[cached(ttl = $ttl)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
macro_rules! ttl_tt {
    ($name:ident, $ttl:tt) => {
        #[cached(ttl = $ttl)]
        fn $name(x: u64) -> u64 {
            x + 1
        }
    };
}
ttl_literal!(ttl_literal_fn, "1h");
ttl_expr!(ttl_expr_literal, "1h");
ttl_expr!(ttl_expr_call, Duration::from_secs(3600));
ttl_ident!(ttl_ident_fn, SESSION_TTL);
ttl_tt!(ttl_tt_fn, "1h");

macro_rules! key_expr {
    ($name:ident, $a:ident, $key:expr) => {
        #[cached(key = $key)]
        fn $name($a: u64, b: u64) -> u64 {
            $a + b
        }
    };
}
macro_rules! key_ident {
    ($name:ident, $a:ident, $key:ident) => {
        #[cached(key = $key)]
        fn $name($a: u64, b: u64) -> u64 {
            $a + b
        }
    };
}
macro_rules! key_tt {
    ($name:ident, $a:ident, $key:tt) => {
        #[cached(key = $key)]
        fn $name($a: u64, b: u64) -> u64 {
            $a + b
        }
    };
}
macro_rules! key_literal {
    ($name:ident, $key:literal) => {
        #[cached(key = $key)]
        fn $name(a: u64) -> u64 {
            a + 1
        }
    };
}
key_literal!(key_literal_fn, 0);
key_expr!(key_expr_fn, a, a);
key_expr!(key_expr_sum, a, a % 10);
key_ident!(key_ident_fn, a, a);
key_tt!(key_tt_fn, a, (a % 10));

/// Every option at once, each a different fragment kind.
macro_rules! all_options {
    ($name:ident, $a:ident, $cap:expr, $ttl:literal, $key:expr) => {
        #[cached(capacity = $cap, ttl = $ttl, key = $key)]
        fn $name($a: u64, b: u64) -> u64 {
            $a + b
        }
    };
}
all_options!(all_fragments, a, MAX_SESSIONS * 2, "10m", a);

#[cached(capacity = MAX_SESSIONS)]
fn const_capacity(x: u64) -> u64 {
    x + 1
}

#[cached(capacity = 64 * 1024)]
fn arith_capacity(x: u64) -> u64 {
    x + 1
}

#[cached(ttl = SESSION_TTL, capacity = MAX_SESSIONS)]
fn const_ttl(x: u64) -> u64 {
    x + 1
}

#[cached(ttl = Duration::from_secs(30))]
fn call_ttl(x: u64) -> u64 {
    x + 1
}

macro_rules! check_bounded {
    ($($f:ident / $companion:ident),* $(,)?) => {$(
        for x in 0..10 {
            assert_eq!($f(x), x + 1);
        }
        assert_eq!($companion().len(), 2, stringify!($f));
        assert_eq!($f(9), 10);
        assert_eq!($companion().stats().hits, 1, stringify!($f));
    )*};
}

#[test]
fn capacity_through_every_fragment() {
    check_bounded!(
        cap_literal / cap_literal_memokit,
        cap_expr_literal / cap_expr_literal_memokit,
        cap_expr_const / cap_expr_const_memokit,
        cap_expr_arith / cap_expr_arith_memokit,
        cap_ident / cap_ident_memokit,
        cap_tt / cap_tt_memokit,
        cap_tt_ident / cap_tt_ident_memokit,
        const_capacity / const_capacity_memokit,
        const_ttl / const_ttl_memokit,
    );
    for x in 0..70_000 {
        arith_capacity(x);
    }
    assert_eq!(arith_capacity_memokit().len(), 64 * 1024);
}

/// The `ttl` the cache of the function `name` was built with.
fn ttl_of(name: &str) -> Option<Duration> {
    let caches = memokit::runtime::caches();
    let cache = caches.iter().find(|c| c.config().name == name);
    cache.expect("the function was called").config().ttl
}

macro_rules! check_expiring {
    ($($f:ident / $companion:ident = $ttl:expr),* $(,)?) => {$(
        assert_eq!($f(1), 2);
        assert_eq!($f(1), 2);
        assert_eq!($companion().stats().hits, 1, stringify!($f));
        assert_eq!(ttl_of(stringify!($f)), Some($ttl));
    )*};
}

#[test]
fn ttl_through_every_fragment() {
    let hour = Duration::from_secs(3600);
    check_expiring!(
        ttl_literal_fn / ttl_literal_fn_memokit = hour,
        ttl_expr_literal / ttl_expr_literal_memokit = hour,
        ttl_expr_call / ttl_expr_call_memokit = hour,
        ttl_ident_fn / ttl_ident_fn_memokit = hour,
        ttl_tt_fn / ttl_tt_fn_memokit = hour,
        call_ttl / call_ttl_memokit = Duration::from_secs(30),
    );
}

#[test]
fn key_through_every_fragment() {
    assert_eq!(key_expr_fn(1, 2), 3);
    assert_eq!(key_expr_fn(1, 5), 3, "keyed by `a` alone");
    assert_eq!(key_ident_fn(1, 2), 3);
    assert_eq!(key_ident_fn(1, 5), 3);
    assert_eq!(key_tt_fn(1, 2), 3);
    assert_eq!(key_tt_fn(11, 2), 3, "keyed by `a % 10`");
    assert_eq!(key_literal_fn(1), 2);
    assert_eq!(key_literal_fn(5), 2, "one key for every call");
    assert_eq!(key_expr_sum(1, 2), 3);
    assert_eq!(key_expr_sum(11, 9), 3);
    assert_eq!(all_fragments(1, 2), 3);
    assert_eq!(all_fragments(1, 7), 3);
    assert_eq!(ttl_of("all_fragments"), Some(Duration::from_secs(600)));
    assert_eq!(all_fragments_memokit().len(), 1);
}
