//! Storage through sqlx's Any driver: one code path for SQLite (embedded default) and PostgreSQL.

pub mod adjustments;
pub mod affiliates;
pub mod audit;
pub mod campaigns;
pub mod clicks;
pub mod commissions;
pub mod conversions;
pub mod customers;
pub mod discounts;
pub mod event_redaction;
pub mod leads;
pub mod links;
pub mod list;
pub mod merchants;
pub mod page;
pub mod payment_markers;
pub mod payouts;
pub mod refund_ledger;
pub mod retention;
pub mod sessions;
pub mod sites;
pub mod stats;
pub mod stripe_connections;
pub mod stripe_customers;
pub mod stripe_events;
pub mod users;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;

/// A storage failure; the HTTP layer answers it with an opaque 500 and logs the cause.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value is not one payref writes (edited by hand, or a newer version's).
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The URL names a database payref does not support.
    #[error("unsupported database URL (use sqlite://… or postgres://…): {0}")]
    UnsupportedUrl(String),
}

/// Which server is behind the pool, for the few statements that must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// The database handle shared by all requests.
#[derive(Clone, Debug)]
pub struct Db {
    /// The connection pool.
    pub pool: AnyPool,
    /// Which backend the pool talks to.
    pub backend: Backend,
}

fn sqlite_url(url: &str) -> String {
    // Create the file on first start.
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl Db {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url(url))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_owned())
        } else {
            return Err(StorageError::UnsupportedUrl(url.to_owned()));
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; wait rather than fail on a lock.
                        // synchronous = FULL: a commit is on disk before the webhook or batch it stores
                        // is acknowledged (NORMAL can lose the last commits on power failure). A 64 MB
                        // page cache per connection (SQLite's default is 2 MB) keeps the indexes of a
                        // large events or clicks table in memory while rows are added at random keys.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; \
                             PRAGMA cache_size = -65536;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool, backend })
    }
}

/// Begins a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`,
/// waiting up to the busy timeout for it): a deferred transaction that reads first and writes
/// later fails with `database is locked` (SQLITE_BUSY_SNAPSHOT, 517) whenever another writer
/// committed in between, and no busy timeout can wait that out.
pub async fn begin_write(pool: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme().starts_with("sqlite") {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// Booleans are stored as BIGINT 0/1 on both backends.
pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// A JSON document stored as text (`utm_*` parameters, an audit entry's detail), shown as
/// JSON; text that does not parse (never written by payref) shows as `{}`.
#[derive(Debug, Clone, PartialEq, poem_openapi::NewType)]
#[oai(from_parameter = false, from_multipart = false, to_header = false)]
pub struct JsonText(pub poem_openapi::types::Any<serde_json::Value>);

impl From<String> for JsonText {
    fn from(stored: String) -> Self {
        Self(poem_openapi::types::Any(serde_json::from_str(&stored).unwrap_or_else(|_| serde_json::json!({}))))
    }
}

/// Review flags, stored comma-separated (`None`: none) and shown as a list.
#[derive(Debug, Clone, Default, PartialEq, Eq, poem_openapi::NewType)]
#[oai(from_parameter = false, from_multipart = false, to_header = false)]
pub struct Flags(pub Vec<String>);

impl From<Option<String>> for Flags {
    fn from(stored: Option<String>) -> Self {
        Self(stored.as_deref().unwrap_or("").split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect())
    }
}

/// Test (`false`) or live (`true`) mode, read from its stored flag and shown as a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poem_openapi::NewType)]
pub struct Livemode(pub bool);

impl TryFrom<i64> for Livemode {
    type Error = String;

    fn try_from(stored: i64) -> Result<Self, Self::Error> {
        match stored {
            0 => Ok(Self(false)),
            1 => Ok(Self(true)),
            other => Err(format!("a stored mode flag is {other}, not 0 or 1")),
        }
    }
}
