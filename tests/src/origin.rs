//! The origin, in-process on a free port, over a fresh SQLite file or a fresh PostgreSQL database.

use std::sync::Arc;

use payref_origin::Db;
use payref_origin::domain::api_key::{self, Scope};
use payref_origin::domain::retry::RetryPolicy;
use payref_origin::domain::secrets::Keyring;
use payref_origin::http::{self, AppState};
use payref_origin::seed::{DemoSeed, seed_demo};
use payref_origin::storage::merchants;

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
pub const BACKGROUND: http::Background = http::Background {
    job_interval: std::time::Duration::from_secs(3600),
    retry: RetryPolicy { base_ms: 50, cap_ms: 200, max_attempts: 5 },
    reconcile_interval: None,
    event_lease_ms: payref_origin::reconcile::events::DEFAULT_LEASE_MS,
};
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
    state: AppState,
    addr: std::net::SocketAddr,
}

/// The origin's HTTP server and how to stop it.
#[derive(Debug)]
struct Server {
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn serve(state: AppState, listener: std::net::TcpListener) -> Server {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(http::run(state, listener, BACKGROUND, async move {
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

/// Starts an origin with the demo merchant seeded and `webhook_secret` for test mode.
pub async fn spawn_origin(backend: Backend, webhook_secret: &str) -> TestOrigin {
    spawn_origin_with(backend, webhook_secret, None).await
}

/// As [`spawn_origin`], with `/metrics` behind `metrics_token` when one is given.
pub async fn spawn_origin_with(backend: Backend, webhook_secret: &str, metrics_token: Option<&str>) -> TestOrigin {
    spawn_origin_full(backend, webhook_secret, metrics_token, None).await
}

/// An origin whose Stripe API calls go to `stripe_base` (a simulator).
pub async fn spawn_origin_full(
    backend: Backend,
    webhook_secret: &str,
    metrics_token: Option<&str>,
    stripe_base: Option<&str>,
) -> TestOrigin {
    let (url, dir) = database(backend).await;
    let db = Db::connect(&url).await.expect("opening the test database");
    let keyring = Arc::new(Keyring::parse(ENCRYPTION_KEYS).expect("test keyring"));
    let seed = seed_demo(&db, &keyring, SITE_KEY, Some(webhook_secret)).await.expect("seeding");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the origin");
    let addr = listener.local_addr().expect("origin address");
    let state = AppState {
        db: db.clone(),
        edge_secrets: Arc::new(vec![EDGE_SECRET.as_bytes().to_vec()]),
        lead_secret: Arc::new(LEAD_SECRET.as_bytes().to_vec()),
        keyring: keyring.clone(),
        metrics: Arc::default(),
        metrics_token: metrics_token.map(|t| Arc::new(t.to_owned())),
        events_wake: Arc::default(),
        stripe: Arc::new(payref_origin::stripe::client::StripeApi { base_url: stripe_base.map(str::to_owned) }),
        auth_failures: Arc::default(),
    };
    let server = Some(serve(state.clone(), listener));
    let url = format!("http://{addr}");
    crate::process::wait_until_up(&format!("{url}/healthz"), std::time::Duration::from_secs(10), "origin").await;
    TestOrigin { url, db, seed, keyring, _dir: dir, server, state, addr }
}

impl TestOrigin {
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
        self.server = Some(serve(self.state.clone(), listener));
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
