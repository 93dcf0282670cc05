//! One connection to the server, every wait on it bounded by the timeout.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crate::redis::resp::{self, Reply};
use crate::redis::url::{Address, Target};

/// A TCP or unix socket.
enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Socket {
    fn connect(address: &Address, timeout: Duration) -> io::Result<Socket> {
        match address {
            Address::Unix(path) => Ok(Socket::Unix(UnixStream::connect(path)?)),
            Address::Tcp(host) => {
                let mut last = io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("`{host}` names no address"),
                );
                for addr in host.to_socket_addrs()? {
                    match TcpStream::connect_timeout(&addr, timeout) {
                        Ok(stream) => {
                            stream.set_nodelay(true)?;
                            return Ok(Socket::Tcp(stream));
                        }
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    }

    fn try_clone(&self) -> io::Result<Socket> {
        Ok(match self {
            Socket::Tcp(s) => Socket::Tcp(s.try_clone()?),
            Socket::Unix(s) => Socket::Unix(s.try_clone()?),
        })
    }

    fn set_timeouts(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
            Socket::Unix(s) => {
                s.set_read_timeout(timeout)?;
                s.set_write_timeout(timeout)
            }
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.flush(),
            Socket::Unix(s) => s.flush(),
        }
    }
}

/// Why a connection could not be made or used.
#[derive(Debug)]
pub(crate) enum ConnError {
    /// No connection, or it broke (or timed out) mid-use.
    Io(io::Error),
    /// The server refused the handshake (`AUTH`, `SELECT`).
    Refused(String),
}

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnError::Io(e) if is_timeout(e) => write!(f, "no answer in time ({e})"), // see client.rs
            ConnError::Io(e) => write!(f, "{e}"),
            ConnError::Refused(e) => write!(f, "the server refused the connection: {e}"),
        }
    }
}

impl From<io::Error> for ConnError {
    fn from(e: io::Error) -> Self {
        ConnError::Io(e)
    }
}

/// Whether `e` is a read or write that ran out of time.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A connection, authenticated and on its database.
pub(crate) struct Conn {
    reader: BufReader<Socket>,
    writer: BufWriter<Socket>,
    /// Replies to commands sent without waiting, read (and checked) before
    /// the next round trip's.
    pub(crate) owed: usize,
}

impl Conn {
    /// Connects to `target`, every step within `timeout`.
    pub(crate) fn open(target: &Target, timeout: Duration) -> Result<Conn, ConnError> {
        // A little short of the timeout: waking up after a socket timeout
        // takes the kernel and scheduler a few milliseconds more, and the
        // call as a whole must not wait longer than the timeout.
        let timeout = timeout
            .saturating_sub(timeout / 20)
            .max(Duration::from_millis(1));
        let socket = Socket::connect(&target.address, timeout)?;
        socket.set_timeouts(Some(timeout))?;
        let mut conn = Conn {
            reader: BufReader::with_capacity(16 * 1024, socket.try_clone()?),
            writer: BufWriter::with_capacity(16 * 1024, socket),
            owed: 0,
        };
        let mut handshake: Vec<Vec<&[u8]>> = Vec::new();
        match (&target.username, &target.password) {
            (Some(user), Some(pass)) => {
                handshake.push(vec![b"AUTH", user.as_bytes(), pass.as_bytes()])
            }
            (None, Some(pass)) => handshake.push(vec![b"AUTH", pass.as_bytes()]),
            _ => {}
        }
        let db = target.db.to_string();
        if target.db != 0 {
            handshake.push(vec![b"SELECT", db.as_bytes()]);
        }
        // Without a password a server that wants one answers `PING` with
        // `NOAUTH`: the refusal comes now, not on the first read.
        handshake.push(vec![b"PING"]);
        for command in &handshake {
            conn.queue(command);
        }
        conn.flush()?;
        for _ in &handshake {
            if let Some(e) = conn.read()?.error() {
                return Err(ConnError::Refused(e.to_owned()));
            }
        }
        Ok(conn)
    }

    /// Queues one command; [`flush`](Self::flush) sends what is queued.
    pub(crate) fn queue(&mut self, args: &[&[u8]]) {
        // A BufWriter only fails on the flush that writes.
        let _ = resp::encode(args, &mut self.writer);
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    /// The next reply.
    pub(crate) fn read(&mut self) -> io::Result<Reply> {
        resp::read(&mut self.reader)
    }

    /// Sets how long a read waits (`None`: forever).
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.reader.get_ref().set_timeouts(timeout)
    }
}
