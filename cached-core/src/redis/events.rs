//! Changes other processes must see: `insert`, `invalidate` and `clear`
//! publish a message on `{prefix}events`; a subscriber thread
//! ("memokit-redis-events", its own connection) drops the named
//! function's entries from this process's memory. When its connection was
//! lost it may have missed messages, so once it is subscribed again it
//! drops the memory of every Redis-backed function.
//!
//! A message is `{sender}\n{namespace}`: the sending process ignores its
//! own (it changed its memory already). A message drops the function's
//! whole memory, not only the key: the key's bytes cannot be turned back
//! into the key without requiring `Deserialize` of it; the next calls read
//! the values from Redis (one round trip each), they do not recompute.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::redis::client::{unreachable, Command};
use crate::redis::conn::{is_timeout, Conn};
use crate::redis::resp::Reply;
use crate::redis::url::Target;
use crate::tier::namespace::Namespace;

/// This process's id in messages and lease tokens: random per process.
pub(crate) fn sender_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        format!("{:016x}", h.finish())
    })
}

fn channel(prefix: &str) -> Vec<u8> {
    format!("{prefix}events").into_bytes()
}

/// The command telling other processes that `namespace` changed.
pub(crate) fn publish(prefix: &str, namespace: &Namespace) -> Command {
    let message = format!("{}\n{}", sender_id(), namespace.as_str()).into_bytes();
    vec![b"PUBLISH".to_vec(), channel(prefix), message]
}

/// Whether the subscriber is subscribed now.
pub(crate) static SUBSCRIBED: AtomicBool = AtomicBool::new(false);

/// Starts the subscriber thread.
pub(crate) fn start(target: Target, prefix: String, timeout: Duration) {
    std::thread::Builder::new()
        .name("memokit-redis-events".into())
        .spawn(move || subscribe_forever(&target, &channel(&prefix), timeout))
        .expect("memokit: cannot start the Redis events thread");
}

/// How often an idle subscription checks that the server still answers.
const PING_EVERY: Duration = Duration::from_millis(500);

fn subscribe_forever(target: &Target, channel: &[u8], timeout: Duration) {
    let mut lost_before = false;
    let mut retry = Duration::from_millis(20);
    loop {
        let Err(e) = listen(target, channel, timeout, lost_before);
        if !lost_before {
            crate::redis::log_once(&unreachable(target, &e));
        }
        SUBSCRIBED.store(false, Ordering::Relaxed);
        lost_before = true;
        std::thread::sleep(retry);
        retry = (retry * 2).min(Duration::from_millis(250));
    }
}

/// Subscribes and handles messages until the connection fails; after a
/// lost connection (`lost_before`) drops the memory of Redis-backed
/// functions once subscribed again.
fn listen(
    target: &Target,
    channel: &[u8],
    timeout: Duration,
    lost_before: bool,
) -> Result<std::convert::Infallible, crate::redis::conn::ConnError> {
    let mut conn = Conn::open(target, timeout)?;
    conn.queue(&[b"SUBSCRIBE", channel]);
    conn.flush()?;
    conn.read()?; // the confirmation
    SUBSCRIBED.store(true, Ordering::Relaxed);
    if lost_before {
        // Messages sent while we were away are lost: nothing in memory is
        // known to be current.
        drop_memory(None);
    }
    conn.set_read_timeout(Some(PING_EVERY))?;
    let mut ping_sent: Option<Instant> = None;
    loop {
        match conn.read() {
            Ok(Reply::Array(Some(parts))) => {
                ping_sent = None;
                handle(&parts);
            }
            Ok(_) => ping_sent = None,
            Err(e) if is_timeout(&e) => {
                if ping_sent.is_some_and(|at| at.elapsed() > timeout + PING_EVERY) {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the server stopped answering",
                    )
                    .into());
                }
                if ping_sent.is_none() {
                    conn.queue(&[b"PING"]);
                    conn.flush()?;
                    ping_sent = Some(Instant::now());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// One pushed reply: `["message", channel, payload]` or `["pong", ""]`.
fn handle(parts: &[Reply]) {
    let [Reply::Bulk(Some(kind)), _, Reply::Bulk(Some(payload))] = parts else {
        return;
    };
    if kind != b"message" {
        return;
    }
    let Ok(text) = std::str::from_utf8(payload) else {
        return;
    };
    let Some((sender, namespace)) = text.split_once('\n') else {
        return;
    };
    if sender != sender_id() {
        drop_memory(Some(namespace));
    }
}

/// Drops from memory the entries of the Redis-backed function of
/// `namespace`, or of all of them.
fn drop_memory(namespace: Option<&str>) {
    for cache in crate::cache::registry::caches() {
        if let Some(("redis", ns)) = cache.tier_namespace() {
            if namespace.is_none_or(|n| n == ns) {
                cache.clear_memory();
            }
        }
    }
}
