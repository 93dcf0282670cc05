//! RESP2, the protocol of Redis: commands out as arrays of bulk strings,
//! replies in. Only what memokit sends and reads.

use std::io::{self, BufRead};

/// One reply of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `+OK`.
    Status(String),
    /// `-ERR ...`: the server refused the command.
    Error(String),
    /// `:1`.
    Int(i64),
    /// `$3\r\nabc`, or `$-1` (`None`: no such key).
    Bulk(Option<Vec<u8>>),
    /// `*2 ...`, or `*-1`.
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The server's refusal, if this is one.
    pub(crate) fn error(&self) -> Option<&str> {
        match self {
            Reply::Error(e) => Some(e),
            _ => None,
        }
    }
}

/// Writes `args` as one command.
pub(crate) fn encode(args: &[&[u8]], out: &mut impl io::Write) -> io::Result<()> {
    write!(out, "*{}\r\n", args.len())?;
    for arg in args {
        write!(out, "${}\r\n", arg.len())?;
        out.write_all(arg)?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// The largest bulk string or array read: a larger length is not Redis.
const MOST: i64 = 512 << 20;

/// Reads one reply.
pub(crate) fn read(input: &mut impl BufRead) -> io::Result<Reply> {
    let line = read_line(input)?;
    let (kind, rest) = line.split_first().ok_or_else(|| invalid("an empty line"))?;
    let text = || String::from_utf8_lossy(rest).into_owned();
    match kind {
        b'+' => Ok(Reply::Status(text())),
        b'-' => Ok(Reply::Error(text())),
        b':' => Ok(Reply::Int(number(rest)?)),
        b'$' => {
            let len = number(rest)?;
            if len < 0 {
                return Ok(Reply::Bulk(None));
            }
            if len > MOST {
                return Err(invalid("a bulk string too long"));
            }
            let mut bytes = vec![0; len as usize + 2];
            input.read_exact(&mut bytes)?;
            if !bytes.ends_with(b"\r\n") {
                return Err(invalid("a bulk string without its line end"));
            }
            bytes.truncate(len as usize);
            Ok(Reply::Bulk(Some(bytes)))
        }
        b'*' => {
            let len = number(rest)?;
            if len < 0 {
                return Ok(Reply::Array(None));
            }
            if len > MOST {
                return Err(invalid("an array too long"));
            }
            let items = (0..len).map(|_| read(input)).collect::<io::Result<_>>()?;
            Ok(Reply::Array(Some(items)))
        }
        _ => Err(invalid("an unknown reply type")),
    }
}

fn read_line(input: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    input.read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the server closed the connection",
        ));
    }
    if !line.ends_with(b"\r\n") {
        return Err(invalid("a line without its end"));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

fn number(digits: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("a malformed number"))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not a Redis reply: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> io::Result<Reply> {
        read(&mut &bytes[..])
    }

    #[test]
    fn commands_are_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode(&[b"GET", b"k\r"], &mut out).unwrap();
        assert_eq!(out, b"*2\r\n$3\r\nGET\r\n$2\r\nk\r\r\n");
    }

    #[test]
    fn replies_of_every_kind_parse() {
        assert_eq!(parse(b"+OK\r\n").unwrap(), Reply::Status("OK".into()));
        assert_eq!(parse(b"-ERR no\r\n").unwrap().error(), Some("ERR no"));
        assert_eq!(parse(b":-3\r\n").unwrap(), Reply::Int(-3));
        assert_eq!(parse(b"$-1\r\n").unwrap(), Reply::Bulk(None));
        assert_eq!(
            parse(b"$4\r\na\r\nb\r\n").unwrap(),
            Reply::Bulk(Some(b"a\r\nb".to_vec()))
        );
        assert_eq!(
            parse(b"*2\r\n:1\r\n$0\r\n\r\n").unwrap(),
            Reply::Array(Some(vec![Reply::Int(1), Reply::Bulk(Some(vec![]))]))
        );
    }

    #[test]
    fn truncated_or_foreign_input_is_an_error_not_a_hang() {
        for bytes in [
            &b""[..],
            b"$5\r\nab\r\n",
            b"?x\r\n",
            b":1\n",
            b"$99999999999\r\n",
        ] {
            assert!(parse(bytes).is_err(), "{bytes:?}");
        }
    }
}
