//! The edge's figures for `cargo xtask bench`: `POST /v1/clicks` against the same worker's
//! `GET /healthz` (which touches no binding) in local workerd (`wrangler dev`), delivering to a
//! real origin, in alternating rounds at the same concurrency (never an absolute time):
//! - throughput, clicks ÷ healthz (goal ≥ 0.8), counting only 204s from distinct visitors;
//! - p99 latency, healthz ÷ clicks (goal ≥ 0.8, the same orientation: higher is better).
//!
//! The figures count only once every click answered 204 has reached the origin's database.
//! Prints one `figure value goal of-goal` row per figure.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use payref_shared::{ClickEvent, ClickId, ReferralCode, SiteKey};
use payref_tests::edge::spawn_edge_with;
use payref_tests::origin::{Backend, SITE_KEY, TestOrigin};

/// Requests per round and route.
const PER_ROUND: usize = 1_000;
/// Rounds per route, alternating.
const ROUNDS: usize = 6;
/// Requests in flight.
const CONCURRENCY: usize = 16;
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/// What one round measured.
struct Round {
    /// Requests answered as expected per second of the round.
    per_sec: f64,
    /// Every request's latency.
    latencies: Vec<Duration>,
    /// Requests not answered as expected.
    failed: usize,
}

#[derive(Clone, Copy)]
enum Route {
    Healthz,
    Clicks,
}

/// A distinct visitor's click: its own user agent (the edge hashes IP and user agent) and id.
fn click(round: usize, n: usize) -> (String, String) {
    let mut id = [7u8; 16];
    id[..8].copy_from_slice(&(round as u64).to_be_bytes());
    id[8..16].copy_from_slice(&(n as u64).to_be_bytes());
    let body = ClickEvent {
        site: SiteKey::parse(SITE_KEY).expect("site key"),
        code: ReferralCode::parse("demo").expect("code"),
        click_id: ClickId::from_bytes(id),
        landing_url: "https://shop.example.com/pricing?ref=demo&utm_source=blog".into(),
        referrer: "https://blog.example/post".into(),
        utm: vec![("utm_source".into(), "blog".into())],
    }
    .to_form();
    (format!("{UA} bench/{round}.{n}"), body)
}

async fn round(client: &reqwest::Client, base: &str, route: Route, round: usize) -> Round {
    let start = Instant::now();
    let results: Vec<(Duration, bool)> = futures_util::stream::iter(0..PER_ROUND)
        .map(|n| async move {
            let sent = Instant::now();
            let ok = match route {
                Route::Healthz => client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status() == 200),
                Route::Clicks => {
                    let (ua, body) = click(round, n);
                    let resp = client
                        .post(format!("{base}/v1/clicks"))
                        .header("User-Agent", ua)
                        .header("Origin", "https://shop.example.com")
                        .header("Content-Type", "text/plain;charset=UTF-8")
                        .body(body)
                        .send()
                        .await;
                    resp.is_ok_and(|r| r.status() == 204)
                }
            };
            (sent.elapsed(), ok)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = start.elapsed().as_secs_f64();
    let failed = results.iter().filter(|(_, ok)| !ok).count();
    Round { per_sec: (PER_ROUND - failed) as f64 / elapsed, latencies: results.into_iter().map(|(d, _)| d).collect(), failed }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p99(rounds: &[Round]) -> Duration {
    let mut all: Vec<Duration> = rounds.iter().flat_map(|r| r.latencies.iter().copied()).collect();
    all.sort();
    all[(all.len() * 99 / 100).min(all.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let origin = TestOrigin::builder(Backend::Sqlite).webhook_secret("whsec_bench").start().await;
    // The configuration cached as in production (wrangler.toml's 60 s), not the tests' 1 s.
    let edge = spawn_edge_with(&origin.url, &[("CONFIG_TTL_SECONDS", "60")]).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(CONCURRENCY).build()?;
    // Warm up both routes (the site's configuration reaches the isolate's cache); the warm-up
    // clicks are counted at the origin with the rest.
    let warm_health = round(&client, &edge.url, Route::Healthz, usize::MAX).await;
    let warm_clicks = round(&client, &edge.url, Route::Clicks, usize::MAX).await;
    anyhow::ensure!(warm_health.failed + warm_clicks.failed == 0, "warm-up requests failed; edge log:\n{}", edge.log_text());

    let (mut health, mut clicks) = (Vec::new(), Vec::new());
    for r in 0..ROUNDS {
        health.push(round(&client, &edge.url, Route::Healthz, r).await);
        clicks.push(round(&client, &edge.url, Route::Clicks, r).await);
    }
    let failed: usize = clicks.iter().chain(&health).map(|r| r.failed).sum();
    anyhow::ensure!(failed == 0, "{failed} requests were not answered 204/200; edge log:\n{}", edge.log_text());

    // Only once every click is stored do the figures count.
    let expected = (PER_ROUND * (ROUNDS + 1)) as i64;
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut stored = origin.count("clicks").await;
    while stored < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stored = origin.count("clicks").await;
    }
    anyhow::ensure!(stored == expected, "{stored} of {expected} clicks reached the origin; the edge figures do not count");

    let throughput = median(clicks.iter().zip(&health).map(|(c, h)| c.per_sec / h.per_sec).collect());
    let (click_p99, health_p99) = (p99(&clicks), p99(&health));
    let latency = health_p99.as_secs_f64() / click_p99.as_secs_f64();
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "edge clicks/s ÷ healthz/s", throughput, "≥ 0.8", throughput / 0.8);
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "edge p99 healthz ÷ clicks", latency, "≥ 0.8", latency / 0.8);
    println!(
        "  ({:.0} clicks/s against {:.0} healthz/s, p99 {:.1} ms against {:.1} ms, {CONCURRENCY} in flight; all {expected} clicks stored; this machine, for context only)",
        median(clicks.iter().map(|r| r.per_sec).collect()),
        median(health.iter().map(|r| r.per_sec).collect()),
        click_p99.as_secs_f64() * 1e3,
        health_p99.as_secs_f64() * 1e3,
    );
    Ok(())
}
