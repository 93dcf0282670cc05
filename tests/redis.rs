//! `#[cached(redis)]` against real `redis-server`s: processes (this test
//! binary, spawned again as a driver reading commands on stdin) sharing
//! values, leases, invalidation, and every failure the issue lists.
//! Run with `cargo test --features redis --test redis`.

mod redis_server;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use memokit::cached;

// ---- the driver: the functions, and the commands a test sends ----------

static COMPUTED: AtomicU64 = AtomicU64::new(0);

#[cached(redis)]
fn value(k: u64) -> String {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    format!("value-{k}")
}

#[cached(redis)]
fn slow(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(300));
    k * 10
}

/// Longer than the drivers' 3 s lease: the holder renews it.
#[cached(redis)]
fn very_slow(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(4500));
    k
}

#[cached(redis)]
fn fallible(k: u64) -> Result<u64, String> {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    if k % 2 == 1 {
        Err(format!("odd {k}"))
    } else {
        Ok(k)
    }
}

#[cached(ttl = "1s", redis)]
fn expiring(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    k + 1
}

#[cached(redis)]
async fn fetched(k: u64) -> u64 {
    COMPUTED.fetch_add(1, Ordering::Relaxed);
    k * 3
}

fn stats_line(s: memokit::Stats) -> String {
    format!(
        "hits={} tier_hits={} misses={} tier_errors={} tier_reads={} computed={}",
        s.hits,
        s.tier_hits,
        s.misses,
        s.tier_errors,
        s.tier_reads,
        COMPUTED.load(Ordering::Relaxed)
    )
}

/// One command: `call value 3`, `insert value 3 x`, `peek value 3`, ...
fn run(line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    let k = || words[2].parse::<u64>().unwrap();
    match (words[0], words.get(1).copied().unwrap_or("")) {
        ("call", "value") => value(k()),
        ("call", "slow") => slow(k()).to_string(),
        ("call", "very_slow") => very_slow(k()).to_string(),
        ("call", "fallible") => format!("{:?}", fallible(k())),
        ("call", "expiring") => expiring(k()).to_string(),
        ("peek", "value") => format!("{:?}", value_memokit().peek(k())),
        ("insert", "value") => {
            value_memokit().insert(k(), words[3].to_owned());
            "inserted".into()
        }
        ("invalidate", "value") => value_memokit().invalidate(k()).to_string(),
        ("clear", "value") => {
            value_memokit().clear();
            "cleared".into()
        }
        ("stats", "value") => stats_line(value_memokit().stats()),
        ("stats", "slow") => stats_line(slow_memokit().stats()),
        ("stats", "very_slow") => stats_line(very_slow_memokit().stats()),
        ("stats", "fallible") => stats_line(fallible_memokit().stats()),
        ("subscribed", _) => memokit::redis::stats().subscribed.to_string(),
        ("warnings", _) => WARNINGS.lock().unwrap().len().to_string(),
        ("call", "fetched") => async_probe(k()),
        _ => panic!("unknown command `{line}`"),
    }
}

/// Runs `fetched(k)` on a one-thread executor next to a ticking task:
/// the ticks that ran meanwhile show whether the call blocked the thread.
fn async_probe(k: u64) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let ticks = std::sync::Arc::new(AtomicU64::new(0));
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                t.fetch_add(1, Ordering::Relaxed);
            }
        });
        let started = Instant::now();
        let v = fetched(k).await;
        let took = started.elapsed();
        ticker.abort();
        format!(
            "{v} ticks={} took_ms={}",
            ticks.load(Ordering::Relaxed),
            took.as_millis()
        )
    })
}

/// memokit's warnings in the driver.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct Recorder;

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if record.level() <= log::Level::Warn {
            WARNINGS.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

/// The driver's entry: a no-op unless this binary was spawned as a driver.
#[test]
fn driver() {
    let Ok(mode) = std::env::var("MEMOKIT_TEST_DRIVER") else {
        return;
    };
    log::set_logger(&Recorder).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    if mode == "connect" {
        let options = memokit::redis::Options::default()
            .timeout(Duration::from_millis(100))
            .cool_down(Duration::from_millis(300))
            .lease(Duration::from_secs(3));
        memokit::redis::connect_with(&std::env::var("MEMOKIT_TEST_URL").unwrap(), options).unwrap();
    }
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        if line == "quit" {
            break;
        }
        let started = Instant::now();
        let answer = run(&line);
        writeln!(out, "{answer} | us={}", started.elapsed().as_micros()).unwrap();
        out.flush().unwrap();
    }
}

// ---- the tests' side ---------------------------------------------------

struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Driver {
    /// A driver connected to `url` with `connect_with` (100 ms timeout,
    /// 300 ms cool-down).
    fn connected(url: &str) -> Driver {
        Driver::spawn(&[
            ("MEMOKIT_TEST_DRIVER", "connect"),
            ("MEMOKIT_TEST_URL", url),
        ])
    }

    fn spawn(env: &[(&str, &str)]) -> Driver {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["--exact", "driver", "--nocapture", "--test-threads=1", "-q"])
            .env_remove("MEMOKIT_REDIS_URL")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Driver {
            child,
            stdin,
            stdout,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The answer to the last command sent, without its timing.
    fn answer(&mut self) -> String {
        self.answer_timed().0
    }

    /// The answer and how long the call took in the driver.
    fn answer_timed(&mut self) -> (String, Duration) {
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "the driver exited"
            );
            // The test harness prints its own lines too.
            if let Some((answer, us)) = line.trim_end().rsplit_once(" | us=") {
                return (
                    answer.to_owned(),
                    Duration::from_micros(us.parse().unwrap()),
                );
            }
        }
    }

    fn ask(&mut self, line: &str) -> String {
        self.send(line);
        self.answer()
    }

    /// A number from a `stats` answer: `stat("value", "tier_hits")`.
    fn stat(&mut self, function: &str, name: &str) -> u64 {
        let line = self.ask(&format!("stats {function}"));
        let field = line
            .split(' ')
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {line}"));
        field.parse().unwrap()
    }

    /// Waits (bounded) until `line` answers `expected`.
    fn until(&mut self, line: &str, expected: &str) -> Duration {
        let started = Instant::now();
        loop {
            if self.ask(line) == expected {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "`{line}` never answered `{expected}`"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

macro_rules! server {
    ($($arg:expr),*) => {
        match redis_server::start(&[$($arg),*]) {
            Some(server) => server,
            None => return,
        }
    };
}

#[test]
fn a_value_computed_in_one_process_is_read_by_another() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    let mut b = Driver::connected(&server.url());
    assert_eq!(a.ask("call value 1"), "value-1");
    assert_eq!(a.stat("value", "computed"), 1);
    assert_eq!(b.ask("call value 1"), "value-1");
    assert_eq!(b.ask("call value 1"), "value-1");
    assert_eq!(
        b.stat("value", "computed"),
        0,
        "read from Redis, not computed"
    );
    assert_eq!(b.stat("value", "tier_hits"), 1, "then from memory");
    assert_eq!(b.stat("value", "hits"), 2);
    assert_eq!(b.stat("value", "tier_errors"), 0);
    // Namespaced: prefix, layout, crate, function, signature, version.
    let keys = server.wait_entries(1);
    assert!(
        keys[0].starts_with("memokit:v:memokit1/memokit/"),
        "{keys:?}"
    );
    assert!(keys[0].contains("::value/"), "{keys:?}");
}

#[test]
fn an_err_is_stored_nowhere_and_ttl_is_redis_expiry() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    assert_eq!(a.ask("call fallible 1"), "Err(\"odd 1\")");
    assert_eq!(a.ask("call fallible 2"), "Ok(2)");
    let keys = server.wait_entries(1);
    assert!(keys[0].contains("::fallible/"), "only the Ok: {keys:?}");
    // The lease of the Err is released (just after the call), so another
    // process does not wait for it (the lease is 3 s).
    let started = Instant::now();
    while server.cmd(&["KEYS", "memokit:lease:*"]) != "*0" {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "lease never released"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let mut b = Driver::connected(&server.url());
    b.send("call fallible 1");
    let (answer, took) = b.answer_timed();
    assert_eq!(answer, "Err(\"odd 1\")");
    assert!(
        took < Duration::from_secs(3),
        "waited for no lease: {took:?}"
    );
    assert_eq!(a.ask("call expiring 5"), "6");
    // The value is stored after the call returns.
    let expiring = loop {
        if let Some(key) = server
            .entries()
            .into_iter()
            .find(|k| k.contains("::expiring/"))
        {
            break key;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let pttl: i64 = server
        .cmd(&["PTTL", &expiring])
        .trim_start_matches(':')
        .parse()
        .unwrap();
    assert!(pttl > 0 && pttl <= 1000, "Redis expires it: PTTL {pttl}");
}

#[test]
fn processes_missing_one_hot_key_together_compute_it_once() {
    let server = server!();
    let mut drivers: Vec<Driver> = (0..4).map(|_| Driver::connected(&server.url())).collect();
    for d in &mut drivers {
        d.until("subscribed", "true");
    }
    for d in &mut drivers {
        d.send("call slow 7");
    }
    let answers: Vec<String> = drivers.iter_mut().map(Driver::answer).collect();
    assert!(answers.iter().all(|a| a == "70"), "{answers:?}");
    let computed: u64 = drivers.iter_mut().map(|d| d.stat("slow", "computed")).sum();
    assert_eq!(
        computed, 1,
        "one process computed, the others read its value"
    );
    let errors: u64 = drivers
        .iter_mut()
        .map(|d| d.stat("slow", "tier_errors"))
        .sum();
    assert_eq!(errors, 0);
}

#[test]
fn insert_invalidate_and_clear_reach_the_memory_of_other_processes() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    let mut b = Driver::connected(&server.url());
    b.until("subscribed", "true");
    a.until("subscribed", "true");
    assert_eq!(a.ask("call value 1"), "value-1");
    assert_eq!(b.ask("call value 1"), "value-1");
    assert_eq!(b.ask("peek value 1"), "Some(\"value-1\")");

    let started = Instant::now();
    assert_eq!(a.ask("insert value 1 fresh"), "inserted");
    b.until("peek value 1", "None");
    // Reported, not asserted (no wall-clock assertions in tests): the
    // benchmark `redis` measures it.
    eprintln!(
        "insert reached the other process's memory within {:?}",
        started.elapsed()
    );
    assert_eq!(b.ask("call value 1"), "fresh", "read from Redis");
    assert_eq!(b.stat("value", "computed"), 0);

    assert_eq!(a.ask("invalidate value 1"), "true");
    b.until("peek value 1", "None");
    assert_eq!(b.ask("call value 1"), "value-1");
    assert_eq!(
        b.stat("value", "computed"),
        1,
        "gone from Redis too: computed"
    );

    // `clear` removes this function's entries only, in Redis and in
    // every process's memory.
    a.ask("call fallible 2");
    b.ask("call value 2");
    server.wait_entries(3);
    assert_eq!(a.ask("clear value"), "cleared");
    b.until("peek value 2", "None");
    let keys = server.entries();
    assert!(keys.iter().all(|k| !k.contains("::value/")), "{keys:?}");
    assert!(
        keys.iter().any(|k| k.contains("::fallible/")),
        "other functions stay: {keys:?}"
    );
}

#[test]
fn a_server_killed_mid_run_costs_nothing_and_is_used_again_after_its_restart() {
    let mut server = server!();
    let mut a = Driver::connected(&server.url());
    a.until("subscribed", "true");
    assert_eq!(a.ask("call value 1"), "value-1");
    server.kill();
    for k in 2..12 {
        assert_eq!(a.ask(&format!("call value {k}")), format!("value-{k}"));
    }
    assert_eq!(a.ask("call value 1"), "value-1", "memory still answers");
    let errors = a.stat("value", "tier_errors");
    assert!(errors >= 1, "counted");
    assert!(
        errors < 10,
        "the breaker skipped Redis after a few failures: {errors}"
    );
    server.restart();
    // Back: what this process holds in memory may be stale, so it is dropped.
    a.until("subscribed", "true");
    a.until("peek value 1", "None");
    // Used again within one cool-down (300 ms here).
    let started = Instant::now();
    loop {
        a.ask(&format!(
            "call value {}",
            100 + started.elapsed().as_millis()
        ));
        if server.entries().iter().any(|k| k.contains("::value/")) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Redis never used again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_process_started_while_the_server_is_down_uses_it_once_it_is_up() {
    let mut server = server!();
    let url = server.url();
    server.kill();
    let mut a = Driver::connected(&url);
    a.send("call value 1");
    let (answer, took) = a.answer_timed();
    assert_eq!(answer, "value-1");
    eprintln!("first call with the server down: {took:?}");
    assert_eq!(a.ask("call value 2"), "value-2");
    assert!(a.stat("value", "tier_errors") >= 1);
    server.restart();
    let started = Instant::now();
    let mut k = 10;
    while !server.entries().iter().any(|key| key.contains("::value/")) {
        k += 1;
        a.ask(&format!("call value {k}"));
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Redis never used"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // And shared: another process reads it.
    let mut b = Driver::connected(&url);
    assert_eq!(b.ask(&format!("call value {k}")), format!("value-{k}"));
    assert_eq!(b.stat("value", "computed"), 0);
}

#[test]
fn a_paused_server_costs_one_timeout_then_the_breaker_skips_it() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    assert_eq!(a.ask("call value 1"), "value-1");
    server.pause(true);
    let mut times = Vec::new();
    for k in 2..14 {
        a.send(&format!("call value {k}"));
        let (answer, took) = a.answer_timed();
        assert_eq!(answer, format!("value-{k}"));
        times.push(took);
    }
    server.pause(false);
    eprintln!("calls while paused: {times:?}");
    let errors = a.stat("value", "tier_errors");
    assert!((1..12).contains(&errors), "counted, then skipped: {errors}");
    // Back after the cool-down: values another process stores are read.
    let mut b = Driver::connected(&server.url());
    let started = Instant::now();
    for k in 100.. {
        b.ask(&format!("call value {k}"));
        b.until(&format!("call value {k}"), &format!("value-{k}"));
        assert_eq!(a.ask(&format!("call value {k}")), format!("value-{k}"));
        if a.stat("value", "tier_hits") >= 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never used again"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_full_server_refuses_writes_and_every_call_still_answers() {
    let server = server!();
    let big = "x".repeat(2 << 20);
    server.cmd(&["SET", "ballast", &big]);
    server.cmd(&["CONFIG", "SET", "maxmemory", "1mb"]);
    server.cmd(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    let mut a = Driver::connected(&server.url());
    for k in 0..3 {
        assert_eq!(a.ask(&format!("call value {k}")), format!("value-{k}"));
    }
    assert!(
        a.stat("value", "tier_errors") >= 1,
        "the refusals are counted"
    );
    assert!(server.entries().is_empty());
}

#[test]
fn a_garbage_value_under_our_key_is_counted_deleted_and_replaced() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    assert_eq!(a.ask("call value 9"), "value-9");
    let key = server.wait_entries(1).pop().unwrap();
    assert_eq!(server.cmd(&["SET", &key, "not memokit's"]), "+OK");
    let mut b = Driver::connected(&server.url());
    assert_eq!(b.ask("call value 9"), "value-9");
    assert_eq!(b.stat("value", "computed"), 1);
    assert_eq!(b.stat("value", "tier_errors"), 1);
    // Stored again, correctly: a third process reads it.
    let mut c = Driver::connected(&server.url());
    c.until("call value 9", "value-9");
    let started = Instant::now();
    while c.stat("value", "tier_hits") == 0 {
        let _ = c.ask("invalidate value 8");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    assert_eq!(c.stat("value", "computed"), 0);
}

#[test]
fn a_wrong_password_is_an_error_per_kind_and_the_right_one_works() {
    let server = server!("--requirepass", "s3cret");
    let mut wrong = Driver::connected(&format!("{}?password=nope", server.url()));
    for k in 0..8 {
        assert_eq!(wrong.ask(&format!("call value {k}")), format!("value-{k}"));
    }
    let errors = wrong.stat("value", "tier_errors");
    assert!((1..8).contains(&errors), "{errors}");
    // Several errors of one kind, logged once (the subscriber's failure to
    // connect is the connection's, logged once too).
    let warnings: u64 = wrong.ask("warnings").parse().unwrap();
    assert!(
        (1..=2).contains(&warnings),
        "{warnings} warnings for {errors} errors"
    );
    let mut none = Driver::connected(&server.url());
    assert_eq!(none.ask("call value 1"), "value-1");
    let url = format!("{}?password=s3cret", server.url());
    let mut right = Driver::connected(&url);
    assert_eq!(right.ask("call value 1"), "value-1");
    let mut again = Driver::connected(&url);
    assert_eq!(again.ask("call value 1"), "value-1");
    assert_eq!(again.stat("value", "tier_hits"), 1);
}

#[test]
fn without_a_server_the_functions_use_memory_only_and_the_env_var_is_read() {
    let mut alone = Driver::spawn(&[("MEMOKIT_TEST_DRIVER", "none")]);
    assert_eq!(alone.ask("call value 1"), "value-1");
    assert_eq!(alone.ask("call value 1"), "value-1");
    assert_eq!(alone.stat("value", "hits"), 1);
    assert_eq!(alone.stat("value", "tier_errors"), 0);
    let server = server!();
    let env = [
        ("MEMOKIT_TEST_DRIVER", "none"),
        ("MEMOKIT_REDIS_URL", &server.url()),
    ];
    let mut a = Driver::spawn(&env);
    let mut b = Driver::spawn(&env);
    assert_eq!(a.ask("call value 4"), "value-4");
    assert_eq!(b.ask("call value 4"), "value-4");
    assert_eq!(
        b.stat("value", "computed"),
        0,
        "shared through MEMOKIT_REDIS_URL"
    );
}

#[test]
fn an_async_fn_never_blocks_its_executor_thread_on_redis() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    let mut b = Driver::connected(&server.url());
    assert!(a.ask("call fetched 2").starts_with("6 "));
    assert!(b.ask("call fetched 2").starts_with("6 "), "shared");
    server.pause(true);
    let answer = a.ask("call fetched 3");
    server.pause(false);
    // The call waited for the server's timeout (100 ms) while the other
    // task ticked every 5 ms on the same thread.
    let ticks: u64 = answer
        .split("ticks=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(answer.starts_with("9 "), "{answer}");
    assert!(
        ticks >= 3,
        "the executor thread ran other tasks meanwhile: {answer}"
    );
}

#[test]
fn a_crashed_lease_holder_blocks_others_no_longer_than_its_lease() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    assert_eq!(a.ask("call value 1"), "value-1");
    let entry = server.wait_entries(1).pop().unwrap();
    // A process took the lease of `value(2)` and died: its lease stays
    // until it expires (500 ms here).
    let lease = entry
        .replacen("memokit:v:", "memokit:lease:", 1)
        .replace(":\u{1}", ":\u{2}");
    assert_eq!(
        server.cmd(&["SET", &lease, "dead-process", "PX", "500"]),
        "+OK"
    );
    let mut b = Driver::connected(&server.url());
    b.send("call value 2");
    let (answer, took) = b.answer_timed();
    assert_eq!(answer, "value-2");
    assert_eq!(
        b.stat("value", "computed"),
        1,
        "computed once the lease ran out"
    );
    assert!(
        took >= Duration::from_millis(400),
        "it waited for the holder: {took:?}"
    );
    eprintln!("waited {took:?} for a dead holder's 500 ms lease");
}

#[test]
fn a_server_on_a_loopback_port_is_shared_too() {
    let server = server!("tcp");
    let mut a = Driver::connected(&server.tcp_url());
    let mut b = Driver::connected(&server.tcp_url());
    assert_eq!(a.ask("call value 3"), "value-3");
    server.wait_entries(1);
    assert_eq!(b.ask("call value 3"), "value-3");
    assert_eq!(b.stat("value", "tier_hits"), 1);
    b.until("subscribed", "true");
    a.until("subscribed", "true");
    a.ask("invalidate value 3");
    b.until("peek value 3", "None");
}

#[test]
fn a_computation_longer_than_the_lease_is_still_made_once() {
    let server = server!();
    let mut a = Driver::connected(&server.url());
    let mut b = Driver::connected(&server.url());
    a.until("subscribed", "true");
    b.until("subscribed", "true");
    a.send("call very_slow 1");
    std::thread::sleep(Duration::from_millis(200));
    b.send("call very_slow 1");
    assert_eq!(a.answer(), "1");
    assert_eq!(b.answer(), "1");
    let computed = a.stat("very_slow", "computed") + b.stat("very_slow", "computed");
    assert_eq!(computed, 1, "the 4.5 s computation kept its 3 s lease");
}
