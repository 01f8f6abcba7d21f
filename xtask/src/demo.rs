//! `cargo xtask demo`: the product on 127.0.0.1 — the origin on an embedded SQLite file, the
//! edge in local workerd with its queue delivering to the origin, and the demo shop — until
//! Ctrl-C, then every process it started is stopped.

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::Ctx;
use crate::process::{Service, wait_http};

/// Where the three services listen.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    origin: u16,
    edge: u16,
    shop: u16,
    stripe: u16,
}

impl Ports {
    /// Reads `--origin-port`, `--edge-port`, `--shop-port`, `--stripe-port` (defaults 3000,
    /// 8787, 8000, 12111).
    pub fn from_args(args: &[String]) -> anyhow::Result<Self> {
        let mut ports = Self { origin: 3000, edge: 8787, shop: 8000, stripe: 12111 };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let slot = match flag.as_str() {
                "--origin-port" => &mut ports.origin,
                "--edge-port" => &mut ports.edge,
                "--shop-port" => &mut ports.shop,
                "--stripe-port" => &mut ports.stripe,
                other => bail!("unknown demo flag {other:?} (use --origin-port, --edge-port, --shop-port, --stripe-port)"),
            };
            let value = it.next().with_context(|| format!("{flag} needs a port number"))?;
            *slot = value.parse().with_context(|| format!("{flag}: {value:?} is not a port number"))?;
        }
        Ok(ports)
    }
}

/// The demo merchant's test-mode key for the Stripe simulator (which accepts any `sk_test_` key).
const DEMO_STRIPE_KEY: &str = "sk_test_payref_demo";
/// The demo merchant's dashboard owner (its password is made anew each run and printed).
const DEMO_OWNER: &str = "owner@demo.test";

fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 24];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Ports {
    /// Fails with the flag to use when a port is already taken (e.g. by an earlier demo).
    fn check_free(&self) -> anyhow::Result<()> {
        for (port, flag) in
            [(self.origin, "--origin-port"), (self.edge, "--edge-port"), (self.shop, "--shop-port"), (self.stripe, "--stripe-port")]
        {
            if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                bail!("port {port} on 127.0.0.1 is in use: stop what holds it or choose another with {flag}");
            }
        }
        Ok(())
    }
}

/// Runs the demo until Ctrl-C.
pub fn demo(ctx: &Ctx, ports: Ports) -> anyhow::Result<()> {
    ports.check_free()?;
    crate::setup::setup(ctx)?;
    crate::build::build(ctx)?;
    let dir = ctx.root.join("target/demo");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let database_url = format!("sqlite://{}", dir.join("payref.db").display());
    let edge_secret = random_secret()?;
    let lead_secret = random_secret()?;
    let encryption_keys = format!("1:{}{}", random_secret()?, &random_secret()?[..16]);

    let seeded = Command::new(ctx.debug_bin("payref"))
        .args(["seed-demo", "--stripe-api-key", DEMO_STRIPE_KEY])
        .env("PAYREF_DATABASE_URL", &database_url)
        .env("PAYREF_ENCRYPTION_KEYS", &encryption_keys)
        .output()
        .context("seeding the demo merchant")?;
    if !seeded.status.success() {
        bail!("seeding failed: {}", String::from_utf8_lossy(&seeded.stderr));
    }
    let seed: serde_json::Value = serde_json::from_slice(&seeded.stdout).context("reading the seed output")?;
    let field = |k: &str| seed[k].as_str().unwrap_or_default().to_owned();
    let dashboard_password = random_secret()?[..20].to_owned();
    let user = Command::new(ctx.debug_bin("payref"))
        .args(["user", "create", "--merchant", &field("merchant_id"), "--email", DEMO_OWNER, "--role", "owner"])
        .env("PAYREF_DATABASE_URL", &database_url)
        .env("PAYREF_USER_PASSWORD", &dashboard_password)
        .output()
        .context("creating the demo's dashboard owner")?;
    if !user.status.success() {
        bail!("creating the dashboard owner failed: {}", String::from_utf8_lossy(&user.stderr));
    }

    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .context("installing the Ctrl-C handler")?;

    let stripe_url = format!("http://127.0.0.1:{}/", ports.stripe);
    let mut services = Vec::new();
    // Stripe, simulated: its API for the origin, signed test-mode webhooks to the origin, and a
    // page standing in for a Payment Link's checkout.
    services.push(Service::start(
        "Stripe simulator",
        Command::new(ctx.debug_bin("payref-stripe-sim"))
            .arg(format!("127.0.0.1:{}", ports.stripe))
            .env("PAYREF_SIM_WEBHOOK_URL", format!("http://127.0.0.1:{}/v1/stripe/webhooks/{}/test", ports.origin, field("merchant_id")))
            .env("PAYREF_SIM_WEBHOOK_SECRET", field("webhook_secret")),
    )?);
    wait_http(ports.stripe, "/b/test_demo123", Duration::from_secs(30), "the Stripe simulator")?;
    services.push(Service::start(
        "origin",
        Command::new(ctx.debug_bin("payref"))
            .arg("serve")
            .env("PAYREF_STRIPE_API_BASE", &stripe_url)
            .env("PAYREF_DATABASE_URL", &database_url)
            .env("PAYREF_BIND", format!("127.0.0.1:{}", ports.origin))
            .env("PAYREF_EDGE_SECRET", &edge_secret)
            .env("PAYREF_LEAD_SECRET", &lead_secret)
            .env("PAYREF_ENCRYPTION_KEYS", &encryption_keys),
    )?);
    wait_http(ports.origin, "/healthz", Duration::from_secs(30), "the origin")?;
    services.push(Service::start(
        "edge (wrangler dev)",
        Command::new(ctx.node_bin("wrangler"))
            .current_dir(&ctx.root)
            .args(["dev", "--local", "--ip", "127.0.0.1", "--port", &ports.edge.to_string(), "--show-interactive-dev-session=false"])
            .arg("--persist-to")
            .arg(dir.join("wrangler"))
            .args(["--var", &format!("EDGE_SECRET:{edge_secret}")])
            .args(["--var", &format!("ORIGIN_URL:http://127.0.0.1:{}", ports.origin)])
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false"),
    )?);
    wait_http(ports.edge, "/healthz", Duration::from_secs(60), "the edge")?;
    services.push(Service::start(
        "demo shop",
        Command::new(ctx.debug_bin("payref-demo-shop"))
            .arg(ports.shop.to_string())
            .arg(format!("http://127.0.0.1:{}", ports.edge))
            .arg(field("site_key"))
            .arg(ctx.root.join("demo/shop.html"))
            .arg(format!("http://localhost:{}/b/", ports.stripe)),
    )?);
    wait_http(ports.shop, "/", Duration::from_secs(30), "the demo shop")?;

    println!(
        "\npayref demo is running (Ctrl-C stops it)\n\n  shop       http://127.0.0.1:{shop}/?ref=demo\n  edge       http://127.0.0.1:{edge}\n  dashboard  http://127.0.0.1:{origin}/dashboard  (sign in as {owner}, password {password})\n  API        http://127.0.0.1:{origin}/v1/conversions\n  API docs   http://127.0.0.1:{origin}/docs  (spec: /openapi.json)\n  API key    {key}\n             curl -H 'Authorization: Bearer {key}' http://127.0.0.1:{origin}/v1/conversions\n  webhooks   http://127.0.0.1:{origin}/v1/stripe/webhooks/{merchant}/test\n  signing    {secret}\n  Stripe     http://127.0.0.1:{stripe}/v1 (simulator; key {stripe_key}; checkout pages at http://localhost:{stripe}/b/…)\n  database   {database_url}\n",
        shop = ports.shop,
        edge = ports.edge,
        origin = ports.origin,
        stripe = ports.stripe,
        stripe_key = DEMO_STRIPE_KEY,
        key = field("api_key"),
        owner = DEMO_OWNER,
        password = dashboard_password,
        merchant = field("merchant_id"),
        secret = field("webhook_secret"),
    );
    loop {
        if stop_rx.recv_timeout(Duration::from_millis(500)).is_ok() {
            println!("\nxtask demo: stopping");
            break;
        }
        if let Some(name) = services.iter_mut().find_map(|s| s.exited().then_some(s.name)) {
            drop(services);
            bail!("{name} exited unexpectedly; stopped the others");
        }
    }
    drop(services);
    Ok(())
}
