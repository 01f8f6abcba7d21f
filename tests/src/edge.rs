//! The real worker in local workerd through `wrangler dev`, with its queue delivering to a
//! test origin. Needs the bundle `cargo xtask build` made.

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
    /// Where wrangler's output goes, for a failing test to show.
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
    let root = crate::repo_root();
    assert!(root.join("edge/build/index.js").exists(), "edge/build/index.js is missing: run `cargo xtask build`");
    let state = TempDir::new("payref-wrangler");
    let (port, inspector) = (free_port(), free_port());
    let log = state.0.join("wrangler.log");
    let out = std::fs::File::create(&log).expect("creating the wrangler log");
    let child = Command::new(wrangler)
        .current_dir(&root)
        .args(["dev", "--local", "--ip", "127.0.0.1", "--show-interactive-dev-session=false"])
        .args(["--port", &port.to_string(), "--inspector-port", &inspector.to_string()])
        .arg("--persist-to")
        .arg(state.0.join("state"))
        .args(["--var", &format!("EDGE_SECRET:{EDGE_SECRET}"), "--var", &format!("ORIGIN_URL:{origin_url}")])
        .args(["--var", "CONFIG_TTL_SECONDS:1"])
        .args(vars.iter().flat_map(|(k, v)| ["--var".to_owned(), format!("{k}:{v}")]))
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("CI", "true")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log handle"))
        .stderr(out)
        .process_group(0)
        .spawn()
        .expect("starting wrangler dev");
    let url = format!("http://127.0.0.1:{port}");
    let guard = ChildGuard(child);
    wait_until_up(&format!("{url}/healthz"), Duration::from_secs(60), "wrangler dev").await;
    TestEdge { url, log, _child: guard, _state: state }
}

impl TestEdge {
    /// wrangler's output so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
