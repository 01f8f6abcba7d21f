//! Running commands: announced, checked, and (for long-running services) stopped as a group.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Runs `cmd` to completion, failing with `what` when it does not succeed.
pub fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    println!("xtask: {what}");
    let status = cmd.status().with_context(|| format!("starting {:?} ({what})", cmd.get_program()))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Runs `cmd` and returns its stdout, or `None` when it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A long-running service in its own process group, stopped with its helpers on drop.
#[derive(Debug)]
pub struct Service {
    /// Name shown in messages.
    pub name: &'static str,
    child: Child,
}

impl Service {
    /// Starts `cmd` as a service.
    pub fn start(name: &'static str, cmd: &mut Command) -> anyhow::Result<Self> {
        let child = cmd.process_group(0).spawn().with_context(|| format!("starting {name}"))?;
        Ok(Self { name, child })
    }

    /// Whether the service has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // The whole group: wrangler's launcher leaves a second node process and workerd.
        // `--` keeps the negative group id from being read as an option.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(100));
        }
        // Helpers may outlive the leader: make sure none is left.
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// Whether `GET http://127.0.0.1:{port}{path}` answers 200.
pub fn http_ok(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[9..12] == b"200"
}

/// Waits until `http_ok(port, path)` or `timeout`.
pub fn wait_http(port: u16, path: &str, timeout: Duration, what: &str) -> anyhow::Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if http_ok(port, path) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("{what} did not answer on 127.0.0.1:{port}{path} within {timeout:?}")
}

/// A port that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something listens on loopback `port`.
pub fn wait_tcp(port: u16, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
