//! Where the server is: `redis://[user:password@]host[:port][/db]` or
//! `unix:///path/to/redis.sock[?db=N&password=...]`.

use std::fmt;
use std::path::PathBuf;

/// A parsed server address and its credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) address: Address,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) db: u32,
}

/// A TCP `host:port` or a unix socket's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Address {
    Tcp(String),
    Unix(PathBuf),
}

// Never prints the password.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.address {
            Address::Tcp(host) => write!(f, "redis://{host}/{}", self.db),
            Address::Unix(path) => write!(f, "unix://{}?db={}", path.display(), self.db),
        }
    }
}

/// Parses `url`; the error says what is wrong and what is accepted.
pub(crate) fn parse(url: &str) -> Result<Target, String> {
    let expected = "expected `redis://[user:password@]host[:port][/db]` or `unix:///path/to/redis.sock[?db=N&password=...]`";
    if let Some(rest) = url
        .strip_prefix("unix://")
        .or_else(|| url.strip_prefix("redis+unix://"))
    {
        return unix(rest).map_err(|e| format!("`{url}`: {e}; {expected}"));
    }
    if let Some(rest) = url.strip_prefix("redis://") {
        return tcp(rest).map_err(|e| format!("`{url}`: {e}; {expected}"));
    }
    if url.starts_with("rediss://") {
        return Err(format!(
            "`{url}`: TLS (`rediss://`) is not supported; reach the server over a local socket or a trusted network, {expected}"
        ));
    }
    Err(format!("`{url}`: unknown scheme; {expected}"))
}

fn tcp(rest: &str) -> Result<Target, String> {
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((auth, rest)) => (Some(auth), rest),
        None => (None, rest),
    };
    let (host, db) = match rest.split_once('/') {
        Some((host, "")) => (host, 0),
        Some((host, db)) => (
            host,
            db.parse()
                .map_err(|_| format!("`{db}` is not a database number"))?,
        ),
        None => (rest, 0),
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    let host = if host.contains(':') && !host.ends_with(']') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    };
    let (username, password) = match auth {
        None => (None, None),
        Some(auth) => match auth.split_once(':') {
            Some((user, pass)) => (nonempty(decode(user)?), nonempty(decode(pass)?)),
            None => (nonempty(decode(auth)?), None),
        },
    };
    Ok(Target {
        address: Address::Tcp(host),
        username,
        password,
        db,
    })
}

fn unix(rest: &str) -> Result<Target, String> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() {
        return Err("no socket path".into());
    }
    let mut target = Target {
        address: Address::Unix(PathBuf::from(decode(path)?)),
        username: None,
        password: None,
        db: 0,
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value)?;
        match name {
            "db" => {
                target.db = value
                    .parse()
                    .map_err(|_| format!("`{value}` is not a database number"))?
            }
            "password" | "pass" => target.password = nonempty(value),
            "user" | "username" => target.username = nonempty(value),
            _ => return Err(format!("unknown parameter `{name}`")),
        }
    }
    Ok(target)
}

fn nonempty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Percent-decoding (`%40` is `@`).
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.ok_or_else(|| format!("`{s}` has a malformed `%` escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("`{s}` is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_urls_with_and_without_credentials() {
        let t = parse("redis://127.0.0.1:7000/2").unwrap();
        assert_eq!(
            (t.address, t.db, t.password),
            (Address::Tcp("127.0.0.1:7000".into()), 2, None)
        );
        let t = parse("redis://:p%40ss@localhost/").unwrap();
        assert_eq!(t.address, Address::Tcp("localhost:6379".into()));
        assert_eq!((t.username, t.password.as_deref()), (None, Some("p@ss")));
        let t = parse("redis://app:secret@h:1").unwrap();
        assert_eq!(
            (t.username.as_deref(), t.password.as_deref()),
            (Some("app"), Some("secret"))
        );
        assert!(!format!("{t:?}").contains("secret"), "never printed");
    }

    #[test]
    fn unix_sockets_with_parameters() {
        let t = parse("unix:///tmp/r.sock?db=3&password=x").unwrap();
        assert_eq!(t.address, Address::Unix("/tmp/r.sock".into()));
        assert_eq!((t.db, t.password.as_deref()), (3, Some("x")));
        assert!(parse("redis+unix:///tmp/r.sock").is_ok());
    }

    #[test]
    fn bad_urls_say_what_is_accepted() {
        for url in [
            "http://x",
            "redis://",
            "redis://h/x",
            "unix://",
            "unix:///s?colour=red",
            "rediss://h",
        ] {
            let e = parse(url).unwrap_err();
            assert!(e.contains("redis://"), "{url}: {e}");
        }
    }
}
