//! The application, assembled in one place from its configuration (zero2prod's
//! `Application::build`): the database, what every handler reaches, the Stripe event worker
//! and the periodic jobs. `payref serve`, `payref reconcile` and the test harnesses all build
//! it here, so none of them wires the parts together by hand.

use std::sync::Arc;

use crate::config::Config;
use crate::domain::throttle::{FailureThrottle, MAX_TRACKED, SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS};
use crate::http::{self, AppState};
use crate::reconcile::events::EventWorker;
use crate::reconcile::jobs;
use crate::storage::{Db, StorageError};
use crate::stripe::client::StripeApi;

/// The origin, ready to serve.
#[derive(Debug, Clone)]
pub struct Application {
    state: AppState,
    config: Background,
}

/// What the work beside answering requests needs of the configuration.
#[derive(Debug, Clone, Copy)]
struct Background {
    job_interval: std::time::Duration,
    retry: crate::domain::retry::RetryPolicy,
    reconcile_interval: Option<std::time::Duration>,
    event_lease_ms: i64,
}

impl Application {
    /// Opens the database the configuration names (migrating it) and assembles the rest.
    pub async fn build(config: Config) -> Result<Self, StorageError> {
        let db = Db::connect(&config.database_url).await?;
        Ok(Self::over(db, config))
    }

    /// Assembles the application over a database already open.
    pub fn over(db: Db, config: Config) -> Self {
        let state = AppState {
            db,
            edge_secrets: Arc::new(config.edge_secrets),
            lead_secret: Arc::new(config.lead_secret),
            keyring: Arc::new(config.keyring),
            metrics: Arc::default(),
            metrics_token: config.metrics_token.map(Arc::new),
            events_wake: Arc::default(),
            stripe: Arc::new(StripeApi { base_url: config.stripe_api_base }),
            auth_failures: Arc::default(),
            sign_in_failures: Arc::new(std::sync::Mutex::new(FailureThrottle::new(SIGN_IN_FAILURES, SIGN_IN_WINDOW_MS, MAX_TRACKED))),
        };
        let config = Background {
            job_interval: config.job_interval,
            retry: config.retry,
            reconcile_interval: config.reconcile_interval,
            event_lease_ms: config.event_lease_ms,
        };
        Self { state, config }
    }

    /// What every handler reaches: the database, the secrets, Stripe's API, the counters.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The Stripe event worker over this application's database and secrets.
    pub fn event_worker(&self) -> EventWorker {
        let s = &self.state;
        EventWorker {
            db: s.db.clone(),
            policy: self.config.retry,
            wake: s.events_wake.clone(),
            metrics: s.metrics.clone(),
            lead_secret: s.lead_secret.clone(),
            stripe: s.stripe.clone(),
            keyring: s.keyring.clone(),
            lease_ms: self.config.event_lease_ms,
        }
    }

    /// Serves HTTP on `listener` with the background work (the Stripe event worker, the
    /// periodic jobs, the scheduled reconciliation) until `shutdown` completes.
    pub async fn run(self, listener: std::net::TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let s = &self.state;
        let mut tasks = vec![
            tokio::spawn(self.event_worker().run()),
            tokio::spawn(jobs::run(s.db.clone(), self.config.job_interval, s.metrics.clone())),
        ];
        if let Some(every) = self.config.reconcile_interval {
            tasks.push(tokio::spawn(jobs::reconcile_every(
                s.db.clone(),
                s.keyring.clone(),
                s.stripe.clone(),
                every,
                s.events_wake.clone(),
            )));
        }
        let served = http::serve(self.state, listener, shutdown).await;
        for t in tasks {
            t.abort();
        }
        served
    }
}
