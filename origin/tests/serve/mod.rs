//! Real `payref serve` processes for the process-level tests: each on its own port, over a
//! database it shares or not, started, killed with SIGKILL and restarted; and what those tests
//! read back from the database.

#![allow(dead_code)]

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::Purchase;
use payref_stripe_sim::webhooks::{DeliveryMode, Release};
use sqlx::{AnyPool, Row};

pub const KEYS: &str = "1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const WEBHOOK_SECRET: &str = "whsec_crash";
pub const EDGE_SECRET: &str = "edge-secret-for-crash-tests-0123456789abcdef";

/// One origin: its database, its port, and its server process while running.
pub struct Origin {
    pub database_url: String,
    dir: std::path::PathBuf,
    pub port: u16,
    pub merchant: String,
    server: Option<Child>,
}

impl Origin {
    pub fn new(name: &str, database_url: String) -> Self {
        let dir = std::env::temp_dir().join(format!("payref-crash-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut origin = Self { database_url, dir, port, merchant: String::new(), server: None };
        origin.merchant = origin.ok(&["merchant", "create", "--name", name]);
        let m = origin.merchant.clone();
        origin.ok(&["merchant", "stripe-webhook-secret", "--merchant", &m, "--mode", "test", "--secret", WEBHOOK_SECRET]);
        origin.ok(&["merchant", "stripe-key", "--merchant", &m, "--mode", "test", "--key", "sk_test_crash"]);
        let campaign = origin.ok(&["campaign", "create", "--merchant", &m, "--name", "C", "--rate-bps", "3000"]);
        origin.ok(&["affiliate", "create", "--merchant", &m, "--campaign", &campaign, "--code", "demo", "--name", "Demo"]);
        origin
    }

    /// Another origin over `first`'s database and merchant, on a port of its own.
    pub fn beside(first: &Origin, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("payref-crash-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self { database_url: first.database_url.clone(), dir, port, merchant: first.merchant.clone(), server: None }
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_payref"));
        c.env("PAYREF_DATABASE_URL", &self.database_url)
            .env("PAYREF_ENCRYPTION_KEYS", KEYS)
            .env("PAYREF_EDGE_SECRET", EDGE_SECRET)
            .env("PAYREF_LEAD_SECRET", "lead-secret-for-crash-tests")
            .env("PAYREF_LOG", "warn");
        c
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("running payref");
        assert!(out.status.success(), "payref {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned()
    }

    pub fn webhook_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1/stripe/webhooks/{}/test", self.port, self.merchant)
    }

    /// Starts `payref serve`; `reconcile_secs` is how often it reconciles (0: never).
    pub fn start(&mut self, stripe: &str, reconcile_secs: u32) {
        let log = std::fs::File::create(self.dir.join(format!("serve-{}.log", Instant::now().elapsed().as_nanos()))).unwrap();
        let child = self
            .command()
            .arg("serve")
            .env("PAYREF_BIND", format!("127.0.0.1:{}", self.port))
            .env("PAYREF_STRIPE_API_BASE", stripe)
            .env("PAYREF_RECONCILE_INTERVAL_SECS", reconcile_secs.to_string())
            .env("PAYREF_EVENT_LEASE_SECS", "2")
            .stderr(log)
            .spawn()
            .expect("starting payref serve");
        self.server = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "payref serve did not listen on {}", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no shutdown, no flush, claims left as they were.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.server.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaping the killed server");
        }
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub async fn pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new().max_connections(2).connect(url).await.expect("opening the origin's database")
}

pub async fn pending(pool: &AnyPool) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NULL AND parked_at IS NULL")
        .fetch_one(pool)
        .await
        .map_or(0, |r| r.get::<i64, _>(0))
}

/// Every conversion with its payment's and commission's state, by Stripe object.
pub async fn ledger(pool: &AnyPool) -> Vec<(String, String, i64, i64, String, i64)> {
    sqlx::query(
        "SELECT v.stripe_object_id, v.status, v.amount_paid, v.amount_refunded, m.status, m.amount \
         FROM conversions v JOIN commissions m ON m.conversion_id = v.id ORDER BY v.stripe_object_id",
    )
    .fetch_all(pool)
    .await
    .expect("reading the ledger")
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect()
}

pub async fn settled(pool: &AnyPool, what: &str) {
    let start = Instant::now();
    while pending(pool).await > 0 {
        assert!(start.elapsed() < Duration::from_secs(120), "{what}: {} events still pending", pending(pool).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A busy stretch at Stripe: `sales` payments, every tenth partly refunded, held back and then
/// released all at once, eight deliveries in flight, retried quickly while an origin is down.
pub fn release_sales(sim: &Simulator, sales: i64) {
    sim.set_delivery(DeliveryMode { hold: true, ..DeliveryMode::default() });
    for n in 0..sales {
        let paid = sim.pay_payment_link(&Purchase::new(Some("demo"), &format!("b{n}@example.com"), 1_000 + n, 0, "usd")).unwrap();
        if n % 10 == 0 {
            sim.refund(false, &paid.charge, Some(300)).unwrap();
        }
    }
    sim.set_delivery(DeliveryMode {
        parallel: 8,
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_secs(1),
        max_attempts: 1_000,
        ..DeliveryMode::default()
    });
    sim.release(Release::InOrder);
}
