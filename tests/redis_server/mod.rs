//! A real `redis-server` per test: a unix socket in a fresh directory, no
//! persistence, stopped when dropped. Missing `redis-server` skips the test
//! outside CI and fails it in CI (`CI=true`). The comparison benchmarks
//! (`compare/`) use it too, pinned to CPU 0 like the benchmark process.

#![allow(dead_code)] // each test uses part of it

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    dir: PathBuf,
    socket: PathBuf,
    /// A loopback TCP port too, when asked for (`tcp`).
    port: Option<u16>,
    /// Run under `taskset -c 0` (`pinned`).
    pinned: bool,
    extra: Vec<String>,
    child: Option<Child>,
}

/// A server, or `None` (the test skips) when `redis-server` is missing
/// outside CI. `extra` are more arguments of `redis-server`, apart from
/// `tcp` (listen on a free loopback port too) and `pinned` (run on CPU 0).
pub fn start(extra: &[&str]) -> Option<Server> {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("redis-server is missing: CI installs it (`apt-get install -y redis-server`)");
        }
        eprintln!("skipped: redis-server is not installed");
        return None;
    }
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("memokit-redis-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = extra.contains(&"tcp").then(|| {
        // A free port: bound, read, released for the server.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    });
    let mut server = Server {
        socket: dir.join("redis.sock"),
        dir,
        port,
        pinned: extra.contains(&"pinned"),
        extra: extra
            .iter()
            .filter(|a| !["tcp", "pinned"].contains(*a))
            .map(|s| s.to_string())
            .collect(),
        child: None,
    };
    server.restart();
    Some(server)
}

impl Server {
    /// `unix://...` of this server.
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// `redis://127.0.0.1:PORT/` of a server started with `tcp`.
    pub fn tcp_url(&self) -> String {
        format!(
            "redis://127.0.0.1:{}/",
            self.port.expect("started with `tcp`")
        )
    }

    /// Starts the server again (on the same socket) after [`kill`](Self::kill).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "running already");
        let mut command = if self.pinned {
            let mut taskset = Command::new("taskset");
            taskset.args(["-c", "0", "redis-server"]);
            taskset
        } else {
            Command::new("redis-server")
        };
        command
            .args([
                "--port",
                &self.port.unwrap_or(0).to_string(),
                "--bind",
                "127.0.0.1",
                "--unixsocket",
            ])
            .arg(&self.socket)
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&self.dir)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.child = Some(command.spawn().expect("redis-server starts"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(reply) = self.try_cmd(&["PING"]) {
                if reply.starts_with("+PONG") || reply.starts_with("-NOAUTH") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not start");
    }

    /// Kills the server (SIGKILL): connections break at once.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.socket);
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the server: it accepts
    /// connections but answers nothing while paused.
    pub fn pause(&self, paused: bool) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let signal = if paused { "-STOP" } else { "-CONT" };
        assert!(Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success());
    }

    /// Runs one command on its own connection: the raw reply (`+OK`,
    /// `$3 abc`, `:1`, `*2 ...` flattened with spaces).
    pub fn cmd(&self, args: &[&str]) -> String {
        self.try_cmd(args).expect("the server answers")
    }

    pub fn cmd_bytes(&self, args: &[&[u8]]) -> String {
        let mut s = UnixStream::connect(&self.socket).expect("connects");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        s.write_all(&out).unwrap();
        let mut r = BufReader::new(s);
        read_reply(&mut r)
    }

    fn try_cmd(&self, args: &[&str]) -> std::io::Result<String> {
        let mut s = UnixStream::connect(&self.socket)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(out.as_bytes())?;
        let mut r = BufReader::new(s);
        Ok(read_reply(&mut r))
    }

    /// The Redis keys of memokit's entries (`memokit:v:*`).
    pub fn entries(&self) -> Vec<String> {
        let reply = self.cmd(&["KEYS", "memokit:v:*"]);
        reply
            .split(' ')
            .skip(1)
            .filter(|k| k.starts_with("memokit:v:"))
            .map(str::to_owned)
            .collect()
    }
}

impl Server {
    /// Waits (bounded) until memokit's entries number `n`: a computed
    /// value is stored just after its call returns.
    pub fn wait_entries(&self, n: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let entries = self.entries();
            if entries.len() == n {
                return entries;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "entries: {entries:?}, expected {n}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn read_reply(r: &mut impl BufRead) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let line = line.trim_end().to_owned();
    match line.as_bytes().first() {
        Some(b'$') => {
            let n: i64 = line[1..].parse().unwrap();
            if n < 0 {
                return "$nil".into();
            }
            let mut buf = vec![0; n as usize + 2];
            r.read_exact(&mut buf).unwrap();
            format!("${}", String::from_utf8_lossy(&buf[..n as usize]))
        }
        Some(b'*') => {
            let n: i64 = line[1..].parse().unwrap();
            let mut parts = vec![line.clone()];
            for _ in 0..n.max(0) {
                parts.push(read_reply(r).trim_start_matches(['$', ':', '+']).to_owned());
            }
            parts.join(" ")
        }
        _ => line,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // A paused server cannot die of SIGKILL until resumed? It can;
            // resume anyway so nothing lingers.
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
