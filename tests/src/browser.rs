//! Real Chromium, driven by `tests/browser/visit.mjs` (playwright-core).

use serde::Deserialize;

/// What the visitor's browser ended up with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    /// The payment link's `href` after the tracker ran.
    pub payment_link: String,
    /// The link the page added after load.
    pub late_link: Option<String>,
    /// `<stripe-buy-button client-reference-id>`.
    pub buy_button: Option<String>,
    /// `<stripe-pricing-table client-reference-id>`.
    pub pricing_table: Option<String>,
    /// `document.cookie`.
    pub cookie: String,
    /// The page's address, after any redirects.
    pub url: String,
    /// Status the edge answered the click beacon with, if one was sent.
    pub beacon_status: Option<u16>,
    /// Console errors and warnings and uncaught exceptions.
    pub console_errors: Vec<String>,
}

/// Opens `url` in Chromium with an ordinary desktop user agent.
pub async fn visit(url: &str) -> Visit {
    visit_with(url, &[]).await
}

/// As [`visit`], with more Chromium flags (e.g. `--host-resolver-rules` for a shop's names).
pub async fn visit_with(url: &str, flags: &[&str]) -> Visit {
    let chromium = crate::required_env("PAYREF_CHROMIUM");
    let script = crate::repo_root().join("tests/browser/visit.mjs");
    let out = tokio::process::Command::new("node").arg(&script).arg(url).arg(&chromium).args(flags).output().await.expect("running node");
    assert!(out.status.success(), "visit.mjs failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("visit.mjs printed no result ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// The value of query parameter `name` in `href` (as written, not decoded).
pub fn query_param<'a>(href: &'a str, name: &str) -> Option<&'a str> {
    let query = href.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
}
