//! The `payref` server killed with SIGKILL while Stripe events are stored but not yet
//! processed: restarted on the same database, it ends in exactly the ledger of an origin that
//! never crashed and received the same webhooks (the crashing one also reconciling, whose
//! bulk inserts make the backlog). Both are real `payref serve` processes fed by
//! one Stripe simulator; on SQLite, and on PostgreSQL when `PAYREF_TEST_POSTGRES_URL` is set.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use payref_stripe_sim::Simulator;
use payref_stripe_sim::scenario::Purchase;
use payref_stripe_sim::webhooks::{DeliveryMode, Release};
use sqlx::{AnyPool, Row};

const KEYS: &str = "1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const WEBHOOK_SECRET: &str = "whsec_crash";
const SALES: i64 = 250;

/// One origin: its database, its port, and its server process while running.
struct Origin {
    database_url: String,
    dir: std::path::PathBuf,
    port: u16,
    merchant: String,
    server: Option<Child>,
}

impl Origin {
    fn new(name: &str, database_url: String) -> Self {
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

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_payref"));
        c.env("PAYREF_DATABASE_URL", &self.database_url)
            .env("PAYREF_ENCRYPTION_KEYS", KEYS)
            .env("PAYREF_EDGE_SECRET", "edge-secret-for-crash-tests-0123456789abcdef")
            .env("PAYREF_LEAD_SECRET", "lead-secret-for-crash-tests")
            .env("PAYREF_LOG", "warn");
        c
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().expect("running payref");
        assert!(out.status.success(), "payref {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned()
    }

    fn webhook_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1/stripe/webhooks/{}/test", self.port, self.merchant)
    }

    /// Starts `payref serve`; `reconcile_secs` is how often it reconciles (0: never).
    fn start(&mut self, stripe: &str, reconcile_secs: u32) {
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
    fn kill(&mut self) {
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

async fn pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new().max_connections(2).connect(url).await.expect("opening the origin's database")
}

async fn pending(pool: &AnyPool) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NULL AND parked_at IS NULL")
        .fetch_one(pool)
        .await
        .map_or(0, |r| r.get::<i64, _>(0))
}

/// Every conversion with its payment's and commission's state, by Stripe object.
async fn ledger(pool: &AnyPool) -> Vec<(String, String, i64, i64, String, i64)> {
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

async fn settled(pool: &AnyPool, what: &str) {
    let start = Instant::now();
    while pending(pool).await > 0 {
        assert!(start.elapsed() < Duration::from_secs(120), "{what}: {} events still pending", pending(pool).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn killed_mid_backlog_then_restarted_ends_in_the_clean_ledger(clean_url: String, crash_url: String) {
    let sim = Simulator::start().await.expect("starting the Stripe simulator");
    let mut clean = Origin::new("clean", clean_url);
    let mut crash = Origin::new("crash", crash_url);
    clean.start(&sim.base_url, 0);
    // Webhooks alone no longer build a backlog: each is committed to disk before it is answered,
    // slower than the worker applies them. The crashing origin also reconciles every second, and
    // its reconciler stores the events it lists in bulk: the backlog the kill interrupts.
    crash.start(&sim.base_url, 1);
    sim.add_endpoint(&clean.webhook_url(), &[WEBHOOK_SECRET], false);
    sim.add_endpoint(&crash.webhook_url(), &[WEBHOOK_SECRET], false);

    // 250 sales and 25 refunds: 1,050 events, held back, then delivered all at once.
    sim.set_delivery(DeliveryMode { hold: true, ..DeliveryMode::default() });
    for n in 0..SALES {
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

    let crash_db = pool(&crash.database_url).await;
    let start = Instant::now();
    let at_kill = loop {
        let n = pending(&crash_db).await;
        if n >= 100 {
            crash.kill();
            break n;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the backlog never reached 100 events (last {n})");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM stripe_events").fetch_one(&crash_db).await.unwrap().get(0);
    assert!(at_kill >= 100, "{at_kill} of {stored} events pending at the kill");
    eprintln!("SIGKILL with {at_kill} of {stored} stored events pending");
    // Down for a moment: Stripe's deliveries fail and are retried.
    tokio::time::sleep(Duration::from_millis(500)).await;
    crash.start(&sim.base_url, 1);
    sim.wait_delivered(Duration::from_secs(120)).await.expect("every webhook delivered");

    let clean_db = pool(&clean.database_url).await;
    settled(&clean_db, "the clean origin").await;
    settled(&crash_db, "the restarted origin").await;
    let expected = ledger(&clean_db).await;
    assert_eq!(expected.len(), SALES as usize, "every sale attributed");
    assert_eq!(expected.iter().filter(|r| r.1 == "partially_refunded").count(), 25);
    assert_eq!(ledger(&crash_db).await, expected, "{at_kill} of {stored} events were pending when the origin was killed");
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM stripe_events").fetch_one(&crash_db).await.unwrap().get(0);
    assert!(events >= 1_050, "every event stored once: {events}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

#[test]
fn killed_mid_backlog_then_restarted_ends_in_the_clean_ledger_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("payref-crash-dbs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.join(name).display());
    runtime().block_on(killed_mid_backlog_then_restarted_ends_in_the_clean_ledger(url("clean.db"), url("crash.db")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_mid_backlog_then_restarted_ends_in_the_clean_ledger_on_postgres() {
    let server = std::env::var("PAYREF_TEST_POSTGRES_URL").expect("PAYREF_TEST_POSTGRES_URL (cargo xtask test sets it)");
    runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let admin = pool(&server).await;
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b).to_owned();
        let mut urls = Vec::new();
        for role in ["clean", "crash"] {
            // Names made here from the process id: never input.
            let name = format!("payref_crash_{role}_{}", std::process::id());
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&admin).await;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.expect("creating a database");
            urls.push(format!("{base}/{name}"));
        }
        killed_mid_backlog_then_restarted_ends_in_the_clean_ledger(urls[0].clone(), urls[1].clone()).await;
    });
}
