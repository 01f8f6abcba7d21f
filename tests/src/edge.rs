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
}
