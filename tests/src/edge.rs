//! The real worker in local workerd through `wrangler dev`, with its queue delivering to a
//! test origin; or through Miniflare, where a test chooses each request's `request.cf`. Needs
//! the bundle `cargo xtask build` made.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::origin::{EDGE_SECRET, TempDir};
use crate::process::{ChildGuard, free_port, wait_until_up};

/// A running worker.
#[derive(Debug)]
pub struct TestEdge {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Where the worker's output goes, for a failing test to show.
    pub log: std::path::PathBuf,
    _child: ChildGuard,
    _state: TempDir,
}

/// Starts `wrangler dev` delivering to `origin_url`.
pub async fn spawn_edge(origin_url: &str) -> TestEdge {
    spawn_edge_with(origin_url, &[]).await
}

/// As [`spawn_edge`], with more `[vars]` (name, value) over `wrangler.toml`'s. Configuration is
/// cached for one second, so a test sees the origin's changes without waiting.
pub async fn spawn_edge_with(origin_url: &str, vars: &[(&str, &str)]) -> TestEdge {
    let wrangler = crate::required_env("PAYREF_WRANGLER");
    let (port, inspector) = (free_port(), free_port());
    let state = TempDir::new("payref-wrangler");
    let mut cmd = Command::new(wrangler);
    cmd.args(["dev", "--local", "--ip", "127.0.0.1", "--show-interactive-dev-session=false"])
        .args(["--port", &port.to_string(), "--inspector-port", &inspector.to_string()])
        .arg("--persist-to")
        .arg(state.0.join("state"))
        .args(["--var", &format!("EDGE_SECRET:{EDGE_SECRET}"), "--var", &format!("ORIGIN_URL:{origin_url}")])
        .args(["--var", "CONFIG_TTL_SECONDS:1"])
        .args(vars.iter().flat_map(|(k, v)| ["--var".to_owned(), format!("{k}:{v}")]));
    start(cmd, port, state, "wrangler dev").await
}

/// The same worker in Miniflare with `wrangler.toml`'s bindings (`tests/edge/miniflare.mjs`):
/// a request's `x-test-cf` header (JSON) becomes its `request.cf`, which `wrangler dev` fixes.
/// Configuration is cached for one second; `vars` are more `[vars]` (name, value).
pub async fn spawn_miniflare(origin_url: &str, vars: &[(&str, &str)]) -> TestEdge {
    let root = crate::repo_root();
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg(root.join("tests/edge/miniflare.mjs")).arg(&root).arg(port.to_string()).args([origin_url, EDGE_SECRET]);
    cmd.args(vars.iter().map(|(k, v)| format!("{k}={v}")));
    start(cmd, port, TempDir::new("payref-miniflare"), "Miniflare").await
}

async fn start(mut cmd: Command, port: u16, state: TempDir, what: &str) -> TestEdge {
    let root = crate::repo_root();
    assert!(root.join("edge/build/index.js").exists(), "edge/build/index.js is missing: run `cargo xtask build`");
    let log = state.0.join("edge.log");
    let out = std::fs::File::create(&log).expect("creating the edge log");
    let child = cmd
        .current_dir(&root)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("CI", "true")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log handle"))
        .stderr(out)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {what}: {e}"));
    let url = format!("http://127.0.0.1:{port}");
    let guard = ChildGuard(child);
    wait_until_up(&format!("{url}/healthz"), Duration::from_secs(60), what).await;
    TestEdge { url, log, _child: guard, _state: state }
}

impl TestEdge {
    /// The worker's output so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// POSTs `len` bytes chunked (no `Content-Length`) from a page on `https://shop.test` with
    /// `user_agent`; returns the status line. The answer is read while the body is still being
    /// written: an early answer is followed by a reset, which would discard it if it were read
    /// only afterwards.
    pub async fn post_chunked(&self, path: &str, user_agent: &str, len: usize) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.url.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&addr).await.expect("connecting to the edge");
        let (mut reader, mut writer) = stream.into_split();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {user_agent}\r\nOrigin: https://shop.test\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        let feeding = tokio::spawn(async move {
            writer.write_all(head.as_bytes()).await?;
            for _ in 0..len / 1024 {
                writer.write_all(format!("400\r\n{}\r\n", "a".repeat(1024)).as_bytes()).await?;
            }
            writer.write_all(b"0\r\n\r\n").await
        });
        let mut answer = vec![0u8; 512];
        let n = tokio::time::timeout(Duration::from_secs(30), reader.read(&mut answer)).await.expect("an answer").unwrap_or(0);
        feeding.abort();
        // workerd cancels the unread body; `wrangler dev`'s local proxy then answers the next
        // request on its connection to workerd 503 (the worker never sees it). Absorb that one.
        let health = format!("{}/healthz", self.url);
        for _ in 0..3 {
            let probe = reqwest::Client::new().get(&health).timeout(Duration::from_secs(5)).send().await;
            if probe.is_ok_and(|r| r.status() == 200) {
                break;
            }
        }
        String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or_default().to_owned()
    }
}
