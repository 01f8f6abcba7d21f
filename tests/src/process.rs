//! Child processes that die with the test, free ports, and waiting for a server to answer.

use std::process::Child;
use std::time::{Duration, Instant};

/// A child process killed (with its process group) when dropped.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

/// Sends `signal` to the process group `pgid` (`--` so the negative id is not read as an option).
pub fn signal_group(signal: &str, pgid: u32) {
    let _ = std::process::Command::new("kill").args([signal, "--", &format!("-{pgid}")]).stderr(std::process::Stdio::null()).status();
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // The child leads its own process group, so its helpers (wrangler's second node
        // process, workerd) stop with it.
        let pid = self.0.id();
        signal_group("-TERM", pid);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        signal_group("-KILL", pid);
        let _ = self.0.wait();
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("no free loopback port")
}

/// Polls `url` until it answers 200, or panics after `timeout` with `what` in the message.
pub async fn wait_until_up(url: &str, timeout: Duration, what: &str) {
    let client = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(r) = client.get(url).timeout(Duration::from_secs(2)).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{what} did not answer {url} within {timeout:?}");
}

/// Polls `check` every 200 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
