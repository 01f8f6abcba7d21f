//! The origin's configuration, read from the environment in one place.

use std::net::SocketAddr;

use crate::domain::secrets::Keyring;

/// Why the configuration could not be read; names the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable is set but unusable.
    #[error("{name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
    /// A required variable is missing.
    #[error("{0} must be set")]
    Missing(&'static str),
}

/// Everything the origin needs to start.
#[derive(Debug)]
pub struct Config {
    /// `PAYREF_DATABASE_URL`: `sqlite://file.db` (default `sqlite://payref.db`) or `postgres://…`.
    pub database_url: String,
    /// `PAYREF_BIND`: listen address, default `127.0.0.1:3000`.
    pub bind: SocketAddr,
    /// `PAYREF_EDGE_SECRET` and optional `PAYREF_EDGE_SECRET_PREVIOUS`: the edge's batch
    /// signing secrets (two during a rotation).
    pub edge_secrets: Vec<Vec<u8>>,
    /// `PAYREF_LEAD_SECRET`: the key leads' email hashes are stored under (HMAC-SHA256), so the
    /// database alone cannot be matched against a list of known emails. At least 16 bytes;
    /// changing it makes existing leads unmatchable.
    pub lead_secret: Vec<u8>,
    /// `PAYREF_ENCRYPTION_KEYS`: the keyring Stripe secrets are sealed with.
    pub keyring: Keyring,
    /// `PAYREF_METRICS_TOKEN`: when set, `/metrics` requires it as a bearer token.
    pub metrics_token: Option<String>,
    /// `PAYREF_JOB_INTERVAL_SECS`: how often periodic jobs (holds ending) run, default 60.
    pub job_interval: std::time::Duration,
    /// `PAYREF_STRIPE_API_BASE`: Stripe's API base URL (default Stripe's own; a simulator in
    /// tests and the demo).
    pub stripe_api_base: Option<String>,
    /// `PAYREF_RECONCILE_INTERVAL_SECS`: how often every connected Stripe account is
    /// reconciled, default 900; 0 turns it off.
    pub reconcile_interval: Option<std::time::Duration>,
    /// `PAYREF_EVENT_LEASE_SECS` (default 60): how long a worker's claim on a Stripe event
    /// lasts; after a crash its events wait this long before they are taken over.
    pub event_lease_ms: i64,
    /// Backoff and parking of failing Stripe events (not configurable: the default policy).
    pub retry: crate::domain::retry::RetryPolicy,
}

/// `PAYREF_ENCRYPTION_KEYS`: `<version>:<64 hex digits>`, comma-separated, current key first
/// (generate one with `openssl rand -hex 32`). Required wherever Stripe secrets are read or written.
pub fn keyring_from_env() -> Result<Keyring, ConfigError> {
    let spec = var("PAYREF_ENCRYPTION_KEYS").ok_or(ConfigError::Missing("PAYREF_ENCRYPTION_KEYS"))?;
    Keyring::parse(&spec).map_err(|why| ConfigError::Invalid { name: "PAYREF_ENCRYPTION_KEYS", why })
}

/// Shortest accepted edge ↔ origin signing secret, bytes.
pub const MIN_EDGE_SECRET_LEN: usize = 32;

/// `PAYREF_DATABASE_URL`, default `sqlite://payref.db`: all the administrative commands need.
pub fn database_url_from_env() -> String {
    var("PAYREF_DATABASE_URL").unwrap_or_else(|| "sqlite://payref.db".into())
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// Reads `PAYREF_*` variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        let bind = var("PAYREF_BIND").unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind = bind.parse().map_err(|e: std::net::AddrParseError| ConfigError::Invalid { name: "PAYREF_BIND", why: e.to_string() })?;
        let mut edge_secrets = vec![var("PAYREF_EDGE_SECRET").ok_or(ConfigError::Missing("PAYREF_EDGE_SECRET"))?];
        edge_secrets.extend(var("PAYREF_EDGE_SECRET_PREVIOUS"));
        // The secret is an HMAC key that anyone may guess at offline from one signed batch.
        for (name, secret) in ["PAYREF_EDGE_SECRET", "PAYREF_EDGE_SECRET_PREVIOUS"].into_iter().zip(&edge_secrets) {
            if secret.len() < MIN_EDGE_SECRET_LEN {
                return Err(ConfigError::Invalid {
                    name,
                    why: format!("must be at least {MIN_EDGE_SECRET_LEN} bytes (generate one with: openssl rand -hex 32)"),
                });
            }
        }
        let lead_secret = var("PAYREF_LEAD_SECRET").ok_or(ConfigError::Missing("PAYREF_LEAD_SECRET"))?;
        if lead_secret.len() < 16 {
            return Err(ConfigError::Invalid { name: "PAYREF_LEAD_SECRET", why: "must be at least 16 bytes".into() });
        }
        let job_interval = match var("PAYREF_JOB_INTERVAL_SECS") {
            None => 60,
            Some(v) => v.parse::<u64>().ok().filter(|s| (1..=86_400).contains(s)).ok_or_else(|| ConfigError::Invalid {
                name: "PAYREF_JOB_INTERVAL_SECS",
                why: format!("{v:?} is not a whole number of seconds from 1 to 86400"),
            })?,
        };
        let reconcile_interval = match var("PAYREF_RECONCILE_INTERVAL_SECS") {
            None => Some(900),
            Some(v) => match v.parse::<u64>() {
                Ok(0) => None,
                Ok(s) if s <= 86_400 => Some(s),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "PAYREF_RECONCILE_INTERVAL_SECS",
                        why: format!("{v:?} is not a whole number of seconds from 0 (off) to 86400"),
                    });
                }
            },
        };
        let event_lease_ms = match var("PAYREF_EVENT_LEASE_SECS") {
            None => crate::reconcile::events::DEFAULT_LEASE_MS,
            Some(v) => v.parse::<i64>().ok().filter(|s| (1..=3_600).contains(s)).map(|s| s * 1000).ok_or_else(|| ConfigError::Invalid {
                name: "PAYREF_EVENT_LEASE_SECS",
                why: format!("{v:?} is not a whole number of seconds from 1 to 3600"),
            })?,
        };
        Ok(Self {
            event_lease_ms,
            stripe_api_base: var("PAYREF_STRIPE_API_BASE"),
            reconcile_interval: reconcile_interval.map(std::time::Duration::from_secs),
            keyring: keyring_from_env()?,
            metrics_token: var("PAYREF_METRICS_TOKEN"),
            lead_secret: lead_secret.into_bytes(),
            job_interval: std::time::Duration::from_secs(job_interval),
            database_url: database_url_from_env(),
            retry: crate::domain::retry::RetryPolicy::default(),
            bind,
            edge_secrets: edge_secrets.into_iter().map(String::into_bytes).collect(),
        })
    }
}
