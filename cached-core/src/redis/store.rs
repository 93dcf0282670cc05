//! The Redis tier's [`Store`]: entries as Redis strings with native expiry
//! (`SET ... PX`), a lease per key so that processes missing it together
//! compute it about once, and a message on the events channel for every
//! change other processes must drop from memory.
//!
//! Redis keys, under the configured prefix (`memokit:` by default):
//! - `{prefix}v:{namespace}:{key}`: an entry, `mk\x01`, its absolute expiry
//!   (u64 LE milliseconds since the Unix epoch, 0: never) and the value;
//! - `{prefix}lease:{namespace}:{key}`: the lease of a process computing it,
//!   a random token, expiring by itself after the lease time;
//! - `{prefix}events`: the pub/sub channel (see `events.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::redis::client::{Client, Command};
use crate::redis::events;
use crate::redis::resp::Reply;
use crate::redis::Options;
use crate::tier::namespace::Namespace;
use crate::tier::store::{Store, Stored, TierError, TierErrorKind, WallTime};

/// Reads the entry or, when there is none, takes the lease if it is free:
/// the value (a bulk string), 1 (the lease is ours) or 0 (another holds it).
/// One script, so that no value lands between the read and the claim.
const CLAIM: &str = "local v = redis.call('GET', KEYS[1]) \
    if v then return v end \
    if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end \
    return 0";

/// Extends the lease only if it is still the caller's: a computation longer
/// than the lease keeps it, so other processes go on waiting for it.
const RENEW: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/// Deletes the lease only if it is still the caller's (it may have expired
/// and been taken by another process meanwhile).
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    return redis.call('DEL', KEYS[1]) end return 0";

const MAGIC: &[u8] = b"mk\x01";

/// The Redis store of this process.
pub(crate) struct RedisStore {
    pub(crate) client: Client,
    pub(crate) options: Options,
    /// The keys this process missed and computes now, with the token of
    /// their lease when it holds one: the value written for such a key
    /// (a fill) releases the lease and tells no one; any other write
    /// (`insert`) tells every process.
    computing: Mutex<Computing>,
    tokens: AtomicU64,
}

/// The keys (namespace, key) this process computes, with their leases.
type Computing = HashMap<(String, Vec<u8>), Option<Vec<u8>>>;

/// What a claim found.
enum Claim {
    Value(Vec<u8>),
    Ours(Vec<u8>),
    Held,
}

impl RedisStore {
    pub(crate) fn new(client: Client, options: Options) -> RedisStore {
        RedisStore {
            client,
            options,
            computing: Mutex::new(HashMap::new()),
            tokens: AtomicU64::new(0),
        }
    }

    fn key(&self, kind: &str, namespace: &Namespace, key: &[u8]) -> Vec<u8> {
        let mut name =
            format!("{}{kind}:{}:", self.options.prefix, namespace.as_str()).into_bytes();
        name.extend_from_slice(key);
        name
    }

    fn token(&self) -> Vec<u8> {
        let n = self.tokens.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", events::sender_id()).into_bytes()
    }

    fn claim(&self, namespace: &Namespace, key: &[u8]) -> Result<Claim, TierError> {
        let token = self.token();
        let lease = self.options.lease.as_millis().max(1).to_string();
        let command = cmd(&[
            b"EVAL",
            CLAIM.as_bytes(),
            b"2",
            &self.key("v", namespace, key),
            &self.key("lease", namespace, key),
            &token,
            lease.as_bytes(),
        ]);
        match one(self.client.call(vec![command]), TierErrorKind::Read)? {
            Reply::Bulk(Some(value)) => Ok(Claim::Value(value)),
            Reply::Int(1) => Ok(Claim::Ours(token)),
            Reply::Int(0) => Ok(Claim::Held),
            other => Err(unexpected(&other)),
        }
    }

    /// The value of `key`, or the lease to compute it, waiting for another
    /// process's computation if it holds the lease.
    fn lookup(&self, namespace: &Namespace, key: &[u8]) -> Result<Claim, TierError> {
        // A hit is one plain `GET`: one round trip, nothing else on the server.
        let get = cmd(&[b"GET", &self.key("v", namespace, key)]);
        match one(self.client.call(vec![get]), TierErrorKind::Read)? {
            Reply::Bulk(Some(value)) => Ok(Claim::Value(value)),
            Reply::Bulk(None) => match self.claim(namespace, key)? {
                Claim::Held => self.wait_for_holder(namespace, key),
                claim => Ok(claim),
            },
            other => Err(unexpected(&other)),
        }
    }

    /// Remembers that this process computes `key`, holding `lease`.
    fn computing(&self, namespace: &Namespace, key: &[u8], lease: Option<Vec<u8>>) {
        self.lock()
            .insert((namespace.as_str().to_owned(), key.to_vec()), lease);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Computing> {
        self.computing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lease of a computation of `key` this process started, if any:
    /// `Some(None)` for one it computes without a lease.
    fn finished(&self, namespace: &Namespace, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.lock()
            .remove(&(namespace.as_str().to_owned(), key.to_vec()))
    }

    /// Extends every lease this process holds by a whole lease from now:
    /// called every third of a lease (see `mod.rs`), so that a computation
    /// longer than the lease keeps it while its process lives, and a
    /// process that died holds none for longer than the lease.
    pub(crate) fn renew_leases(&self) {
        let lease = self.options.lease.as_millis().max(1).to_string();
        let held: Vec<Command> = self
            .lock()
            .iter()
            .filter_map(|((namespace, key), token)| {
                let token = token.as_ref()?;
                let mut name = format!("{}lease:{namespace}:", self.options.prefix).into_bytes();
                name.extend_from_slice(key);
                Some(cmd(&[
                    b"EVAL",
                    RENEW.as_bytes(),
                    b"1",
                    &name,
                    token,
                    lease.as_bytes(),
                ]))
            })
            .collect();
        if !held.is_empty() {
            self.client.send(held);
        }
    }

    fn release(&self, namespace: &Namespace, key: &[u8], token: &[u8]) -> Command {
        cmd(&[
            b"EVAL",
            RELEASE.as_bytes(),
            b"1",
            &self.key("lease", namespace, key),
            token,
        ])
    }

    /// Waits for another process's computation of `key`: the value once it
    /// lands, or the lease once it is free (the holder failed, stored
    /// nothing or crashed and its lease ran out), at most `max_wait`.
    fn wait_for_holder(&self, namespace: &Namespace, key: &[u8]) -> Result<Claim, TierError> {
        let give_up = Instant::now() + self.options.max_wait;
        while Instant::now() < give_up {
            std::thread::sleep(self.options.poll);
            match self.claim(namespace, key)? {
                Claim::Held => continue,
                found => return Ok(found),
            }
        }
        Ok(Claim::Held)
    }

    /// Sends `commands` with a message to every other process that this
    /// namespace changed (see `events.rs`), and waits for both.
    fn change(&self, mut commands: Vec<Command>, namespace: &Namespace) -> Result<(), TierError> {
        commands.push(events::publish(&self.options.prefix, namespace));
        let replies = self.client.call(commands)?;
        match replies.iter().find_map(Reply::error) {
            Some(refused) => Err(TierError::new(TierErrorKind::Write, refused)),
            None => Ok(()),
        }
    }
}

impl Store for RedisStore {
    fn get(
        &self,
        namespace: &Namespace,
        key: &[u8],
        now: WallTime,
    ) -> Result<Option<Stored>, TierError> {
        let (lease, found) = match self.lookup(namespace, key) {
            Ok(Claim::Value(value)) => (None, self.unwrap_entry(namespace, key, value, now)),
            Ok(Claim::Ours(token)) => (Some(token), Ok(None)),
            // Waited `max_wait`: computes without a lease.
            Ok(Claim::Held) => (None, Ok(None)),
            Err(e) => (None, Err(e)),
        };
        // Nothing stored: the caller computes it, and what it then stores
        // is a fill (written without waiting, told to no one). After a
        // failure it is not: that write is waited for, so that its outcome
        // (not an unknown one) tells the breaker whether Redis is back.
        if matches!(found, Ok(None)) {
            self.computing(namespace, key, lease);
        }
        found
    }

    fn put(
        &self,
        namespace: &Namespace,
        key: &[u8],
        value: Vec<u8>,
        expires: Option<WallTime>,
    ) -> Result<(), TierError> {
        let entry = self.key("v", namespace, key);
        let mut bytes = Vec::with_capacity(MAGIC.len() + 8 + value.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&expires.map_or(0, |e| e.0).to_le_bytes());
        bytes.extend_from_slice(&value);
        let set = match expires {
            None => cmd(&[b"SET", &entry, &bytes]),
            Some(expires) => {
                // Redis expires it by its own clock: the time left from now.
                let Some(left) = expires.remaining_after(WallTime::now()) else {
                    return Ok(());
                };
                let px = left.as_millis().max(1).to_string();
                cmd(&[b"SET", &entry, &bytes, b"PX", px.as_bytes()])
            }
        };
        match self.finished(namespace, key) {
            // A fill after a miss: no other process holds an older value,
            // and the caller need not wait for it.
            Some(lease) => {
                let mut commands = vec![set];
                commands.extend(lease.map(|token| self.release(namespace, key, &token)));
                self.client.send(commands);
                Ok(())
            }
            None => self.change(vec![set], namespace),
        }
    }

    fn remove(&self, namespace: &Namespace, key: &[u8]) -> Result<(), TierError> {
        let del = cmd(&[b"DEL", &self.key("v", namespace, key)]);
        self.change(vec![del], namespace)
    }

    fn clear(&self, namespace: &Namespace) -> Result<(), TierError> {
        let pattern = [glob_escape(&self.key("v", namespace, b"")), b"*".to_vec()].concat();
        let mut cursor = b"0".to_vec();
        loop {
            let scan = cmd(&[b"SCAN", &cursor, b"MATCH", &pattern, b"COUNT", b"1000"]);
            let (next, keys) = match one(self.client.call(vec![scan]), TierErrorKind::Read)? {
                Reply::Array(Some(parts)) => scanned(parts)?,
                other => return Err(unexpected(&other)),
            };
            if !keys.is_empty() {
                let mut del: Command = vec![b"UNLINK".to_vec()];
                del.extend(keys);
                one(self.client.call(vec![del]), TierErrorKind::Write)?;
            }
            if next == b"0" {
                break;
            }
            cursor = next;
        }
        self.change(Vec::new(), namespace)
    }

    fn abandon(&self, namespace: &Namespace, key: &[u8]) {
        if let Some(Some(token)) = self.finished(namespace, key) {
            self.client.send(vec![self.release(namespace, key, &token)]);
        }
    }

    fn cool_down(&self) -> Duration {
        self.options.cool_down
    }

    fn is_remote(&self) -> bool {
        true
    }
}

impl RedisStore {
    /// The stored entry in `value`; a value that is not one of memokit's
    /// (written by something else under our key) is deleted and reported.
    fn unwrap_entry(
        &self,
        namespace: &Namespace,
        key: &[u8],
        value: Vec<u8>,
        now: WallTime,
    ) -> Result<Option<Stored>, TierError> {
        let Some(rest) = value.strip_prefix(MAGIC).filter(|rest| rest.len() >= 8) else {
            self.client
                .send(vec![cmd(&[b"DEL", &self.key("v", namespace, key)])]);
            return Err(TierError::new(
                TierErrorKind::Codec,
                "a value under memokit's key is not a memokit entry (deleted)",
            ));
        };
        let (expiry, payload) = rest.split_at(8);
        let expiry = u64::from_le_bytes(expiry.try_into().expect("8 bytes"));
        let expires = (expiry != 0).then_some(WallTime(expiry));
        if expires.is_some_and(|e| e <= now) {
            return Ok(None);
        }
        Ok(Some(Stored {
            value: payload.to_vec(),
            expires,
        }))
    }
}

/// A command of these arguments.
pub(crate) fn cmd(args: &[&[u8]]) -> Command {
    args.iter().map(|a| a.to_vec()).collect()
}

/// The one reply of a one-command call; a refusal is an error of `kind`.
fn one(replies: Result<Vec<Reply>, TierError>, kind: TierErrorKind) -> Result<Reply, TierError> {
    let reply = replies?
        .into_iter()
        .next()
        .ok_or_else(|| unexpected(&Reply::Array(None)))?;
    match reply {
        Reply::Error(e) => {
            // A full server refuses writes, even inside a script.
            let kind = if e.starts_with("OOM") || e.contains("OOM command") {
                TierErrorKind::Write
            } else {
                kind
            };
            Err(TierError::new(kind, format!("the server refused: {e}")))
        }
        reply => Ok(reply),
    }
}

fn unexpected(reply: &Reply) -> TierError {
    TierError::new(
        TierErrorKind::Read,
        format!("an unexpected reply: {reply:?}"),
    )
}

/// The cursor and keys of a `SCAN` reply.
fn scanned(mut parts: Vec<Reply>) -> Result<(Vec<u8>, Vec<Vec<u8>>), TierError> {
    let (Some(Reply::Array(Some(keys))), Some(Reply::Bulk(Some(cursor)))) =
        (parts.pop(), parts.pop())
    else {
        return Err(unexpected(&Reply::Array(Some(parts))));
    };
    let keys = keys
        .into_iter()
        .filter_map(|k| match k {
            Reply::Bulk(Some(k)) => Some(k),
            _ => None,
        })
        .collect();
    Ok((cursor, keys))
}

/// `text` matching itself only in a `SCAN ... MATCH` pattern.
fn glob_escape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for &b in text {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_of_a_namespace_match_only_themselves() {
        assert_eq!(glob_escape(b"a*b?[c]\\"), b"a\\*b\\?\\[c\\]\\\\");
    }

    #[test]
    fn a_scan_reply_gives_its_cursor_and_keys() {
        let reply = vec![
            Reply::Bulk(Some(b"17".to_vec())),
            Reply::Array(Some(vec![Reply::Bulk(Some(b"k".to_vec()))])),
        ];
        assert_eq!(
            scanned(reply).unwrap(),
            (b"17".to_vec(), vec![b"k".to_vec()])
        );
    }
}
