//! A `redis-server` for the Redis benchmarks: a unix socket in a fresh
//! directory, no persistence, pinned to CPU 0 (`taskset -c 0`) like the
//! benchmark process, stopped when dropped.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    dir: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one; panics if `redis-server` (and `taskset`) are missing.
    pub fn start(name: &str) -> RedisServer {
        let dir = std::env::temp_dir().join(format!("memokit-bench-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = RedisServer {
            socket: dir.join("redis.sock"),
            dir,
            child: None,
        };
        server.restart();
        server
    }

    pub fn socket(&self) -> &std::path::Path {
        &self.socket
    }

    pub fn restart(&mut self) {
        let child = Command::new("taskset")
            .args(["-c", "0", "redis-server", "--port", "0", "--unixsocket"])
            .arg(&self.socket)
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("taskset and redis-server are installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not start");
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = UnixStream::connect(&self.socket) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with("+PONG")
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.socket);
    }

    /// SIGSTOP / SIGCONT: a server that accepts connections and answers nothing.
    pub fn pause(&self, paused: bool) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let signal = if paused { "-STOP" } else { "-CONT" };
        Command::new("kill").args([signal, &pid]).status().unwrap();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.pause(false);
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
