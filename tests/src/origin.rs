//! The origin, in-process on a free port, over a fresh SQLite file or a fresh PostgreSQL database.

use std::sync::Arc;

use payref_origin::domain::api_key::{self, Scope};
use payref_origin::domain::retry::RetryPolicy;
use payref_origin::domain::secrets::Keyring;
use payref_origin::seed::{DemoSeed, seed_demo};
use payref_origin::storage::merchants;
use payref_origin::{Application, Config, Db};

async fn key_for(db: &Db, merchant_id: &str, scope: Scope) -> String {
    let key = api_key::generate();
    merchants::create_api_key(&db.pool, merchant_id, &key.prefix, &key.token_hash, scope, payref_origin::now_ms())
        .await
        .expect("creating an API key");
    key.token
}

/// The edge ↔ origin secret the tests use.
pub const EDGE_SECRET: &str = "test-edge-secret";
/// The key the tests' origins store lead email hashes under.
pub const LEAD_SECRET: &str = "test-lead-secret-0123456789";
/// The keyring the tests' origins seal Stripe secrets with.
pub const ENCRYPTION_KEYS: &str = "1:5f3c2a1b0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a";
/// The tests' origins retry failing Stripe events within a second and park them after five
/// attempts (the production policy is unit-tested in the origin).
pub const RETRY: RetryPolicy = RetryPolicy { base_ms: 50, cap_ms: 200, max_attempts: 5 };
/// The demo site key the tests use.
pub const SITE_KEY: &str = "site_demo";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the throwaway server `cargo xtask test` started
    /// (`PAYREF_TEST_POSTGRES_URL`).
    Postgres,
}

/// A running origin.
#[derive(Debug)]
pub struct TestOrigin {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The database, for assertions.
    pub db: Db,
    /// The seeded demo merchant.
    pub seed: DemoSeed,
    pub keyring: Arc<Keyring>,
    _dir: Option<TempDir>,
    server: Option<Server>,
    app: Application,
    addr: std::net::SocketAddr,
    database_url: String,
    unsettled_expected: std::sync::atomic::AtomicBool,
}

/// The origin's HTTP server and how to stop it.
#[derive(Debug)]
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn serve(app: Application, listener: std::net::TcpListener) -> Server {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(app.run(listener, async move {
        let _ = stopped.await;
    }));
    Server { stop, done }
}

/// A temporary directory removed on drop.
#[derive(Debug)]
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// Creates a fresh directory under the system temp dir.
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", payref_origin::domain::ids::new_id("t")));
        std::fs::create_dir_all(&dir).expect("creating a temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new("payref-sqlite");
            (format!("sqlite://{}", dir.0.join("payref.db").display()), Some(dir))
        }
        Backend::Postgres => {
            let server = crate::required_env("PAYREF_TEST_POSTGRES_URL");
            let name = format!("payref_{}", payref_origin::domain::ids::new_id("t").to_lowercase());
            sqlx::any::install_default_drivers();
            let mut conn =
                <sqlx::AnyConnection as sqlx::Connection>::connect(&server).await.expect("connecting to the test PostgreSQL server");
            // The name is made here from a random id: never input.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("creating a test database");
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), None)
        }
    }
}

/// How to start a test origin: the demo merchant seeded on a fresh database of `backend`.
#[derive(Debug, Clone)]
pub struct OriginBuilder {
    backend: Backend,
    webhook_secret: String,
    metrics_token: Option<String>,
    stripe_base: Option<String>,
    unsettled_expected: bool,
}

impl OriginBuilder {
    /// The demo merchant's test-mode webhook signing secret.
    pub fn webhook_secret(mut self, secret: &str) -> Self {
        secret.clone_into(&mut self.webhook_secret);
        self
    }

    /// `/metrics` behind this bearer token.
    pub fn metrics_token(mut self, token: &str) -> Self {
        self.metrics_token = Some(token.to_owned());
        self
    }

    /// Stripe's API at `base` (a simulator, or an address that refuses).
    pub fn stripe(mut self, base: &str) -> Self {
        self.stripe_base = Some(base.to_owned());
        self
    }

    /// The test leaves Stripe events waiting after a failure, or parked, on purpose; without
    /// this, an origin that ends its test with any fails the test.
    pub fn expects_unsettled_events(mut self) -> Self {
        self.unsettled_expected = true;
        self
    }

    /// Builds the application (as `payref serve` does) and serves it on a free port.
    pub async fn start(self) -> TestOrigin {
        let (database_url, dir) = database(self.backend).await;
        let config = Config {
            database_url: database_url.clone(),
            bind: "127.0.0.1:0".parse().expect("a loopback address"),
            edge_secrets: vec![EDGE_SECRET.as_bytes().to_vec()],
            lead_secret: LEAD_SECRET.as_bytes().to_vec(),
            keyring: Keyring::parse(ENCRYPTION_KEYS).expect("test keyring"),
            metrics_token: self.metrics_token,
            job_interval: std::time::Duration::from_secs(3600),
            stripe_api_base: self.stripe_base,
            reconcile_interval: None,
            event_lease_ms: payref_origin::reconcile::events::DEFAULT_LEASE_MS,
            retry: RETRY,
        };
        let app = Application::build(config).await.expect("opening the test database");
        let (db, keyring) = (app.state().db.clone(), app.state().keyring.clone());
        let seed = seed_demo(&db, &keyring, SITE_KEY, Some(&self.webhook_secret)).await.expect("seeding");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the origin");
        let addr = listener.local_addr().expect("origin address");
        let server = Some(serve(app.clone(), listener));
        let url = format!("http://{addr}");
        crate::process::wait_until_up(&format!("{url}/healthz"), std::time::Duration::from_secs(10), "origin").await;
        let unsettled_expected = self.unsettled_expected.into();
        TestOrigin { url, db, seed, keyring, _dir: dir, server, app, addr, database_url, unsettled_expected }
    }
}

impl TestOrigin {
    /// An origin to start on `backend`.
    pub fn builder(backend: Backend) -> OriginBuilder {
        OriginBuilder { backend, webhook_secret: "whsec_unused".into(), metrics_token: None, stripe_base: None, unsettled_expected: false }
    }

    /// Says the test leaves Stripe events waiting or parked on purpose (see [`OriginBuilder::expects_unsettled_events`]).
    pub fn expect_unsettled_events(&self) {
        self.unsettled_expected.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Stops answering: the HTTP server shuts down and its port refuses connections; the
    /// database stays.
    pub async fn go_down(&mut self) {
        let server = self.server.take().expect("the origin is already down");
        let _ = server.stop.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), server.done).await;
        assert!(std::net::TcpStream::connect(self.addr).is_err(), "the origin still answers after going down");
    }

    /// Answers again, on the same address, over the same database.
    pub async fn come_back(&mut self) {
        assert!(self.server.is_none(), "the origin is already up");
        let listener = std::net::TcpListener::bind(self.addr).expect("binding the origin's address again");
        self.server = Some(serve(self.app.clone(), listener));
        crate::process::wait_until_up(&format!("{}/healthz", self.url), std::time::Duration::from_secs(10), "origin").await;
    }

    /// A new API key of the demo merchant with `scope`; returns the token.
    pub async fn api_key(&self, scope: Scope) -> String {
        key_for(&self.db, &self.seed.merchant_id, scope).await
    }

    /// Another merchant with a campaign and a write key: (merchant id, campaign id, token).
    pub async fn other_merchant(&self) -> (String, String, String) {
        let pool = &self.db.pool;
        let merchant = merchants::create_merchant(pool, "Other Shop", "eur", payref_origin::now_ms()).await.expect("creating a merchant");
        let rules = payref_origin::domain::campaign::CampaignRules::percent("Other 10%", 1_000);
        let campaign =
            payref_origin::storage::campaigns::insert(pool, &merchant, &rules, payref_origin::now_ms()).await.expect("creating a campaign");
        let token = key_for(&self.db, &merchant, Scope::Write).await;
        (merchant, campaign, token)
    }

    /// Everything the database holds, as text: every file of an SQLite database (main file,
    /// WAL and shared memory, free pages included), or every row of every table on PostgreSQL.
    pub async fn stored_text(&self) -> String {
        match &self._dir {
            Some(dir) => {
                let mut all = Vec::new();
                for entry in std::fs::read_dir(&dir.0).expect("reading the database dir") {
                    all.extend(std::fs::read(entry.expect("dir entry").path()).expect("reading a database file"));
                }
                String::from_utf8_lossy(&all).into_owned()
            }
            None => {
                let tables: Vec<(String,)> =
                    sqlx::query_as("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
                        .fetch_all(&self.db.pool)
                        .await
                        .expect("listing tables");
                let mut all = String::new();
                for (t,) in tables {
                    // Table names come from the catalogue, not from input.
                    let sql = format!("SELECT COALESCE(string_agg(row_to_json(t)::text, ''), '') FROM \"{t}\" t");
                    let (text,): (String,) =
                        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&self.db.pool).await.expect("dumping a table");
                    all.push_str(&text);
                }
                all
            }
        }
    }

    /// Number of rows in `table` (a fixed name from the test, never input).
    pub async fn count(&self, table: &'static str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(&self.db.pool)
            .await
            .expect("counting rows");
        n
    }

    /// Waits until no Stripe event is waiting for an attempt: each is processed or parked.
    pub async fn settled(&self) {
        let start = std::time::Instant::now();
        loop {
            let pending = payref_origin::storage::stripe_events::pending_count(&self.db.pool).await.expect("counting pending events");
            if pending == 0 {
                return;
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(30), "{pending} Stripe events still pending after 30 s");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Whether the click is stored for the demo merchant.
    pub async fn has_click(&self, click_id: &str) -> bool {
        let row: Option<(String,)> = sqlx::query_as("SELECT code FROM clicks WHERE merchant_id = $1 AND click_id = $2")
            .bind(&self.seed.merchant_id)
            .bind(click_id)
            .fetch_optional(&self.db.pool)
            .await
            .expect("reading clicks");
        row.is_some()
    }
}

/// A test origin must end its test with every Stripe event it received processed: an event
/// left waiting after a failure, or parked, is a failure the test did not look at (unless the
/// builder said it was expected). Events never attempted yet (a late redelivery) do not count.
impl Drop for TestOrigin {
    fn drop(&mut self) {
        if self.unsettled_expected.load(std::sync::atomic::Ordering::Relaxed) || std::thread::panicking() {
            return;
        }
        let url = self.database_url.clone();
        let unsettled = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async move {
                let db = Db::connect(&url).await.ok()?;
                let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
                    "SELECT event_id, event_type, last_error FROM stripe_events WHERE processed_at IS NULL AND last_error IS NOT NULL",
                )
                .fetch_all(&db.pool)
                .await
                .ok()?;
                db.pool.close().await;
                Some(rows)
            })
        })
        .join()
        .ok()
        .flatten()
        .unwrap_or_default();
        assert!(
            unsettled.is_empty(),
            "the test ended with Stripe events waiting or parked (say so with expects_unsettled_events() if it meant to): {unsettled:?}"
        );
    }
}
