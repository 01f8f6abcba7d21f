//! payref's origin: the merchant's system of record.
//!
//! Layers, lower never importing higher: `domain` (types and rules, no I/O) → `storage` (sqlx)
//! → `stripe` (webhook verification, event shapes) → `reconcile` (idempotent event processing)
//! → `http` (poem routes); `app` assembles them.

pub mod admin;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod reconcile;
pub mod seed;
pub mod storage;
pub mod stripe;

pub use app::Application;
pub use config::Config;
pub use storage::Db;

/// Now, UTC epoch milliseconds.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
