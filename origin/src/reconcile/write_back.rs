//! Writing `payref_ref` / `payref_click` back onto Stripe customers: the event worker works
//! the outbox that attribution fills in the same transaction as a match, with the event
//! backoff while Stripe fails.

use super::customers;
use super::events::{BATCH, EventWorker};
use crate::domain::retry::AfterFailure;
use crate::storage::{StorageError, stripe_connections, stripe_customers};

impl EventWorker {
    /// Writes `payref_ref` / `payref_click` onto the customers matched since the last round,
    /// retrying with the event backoff while Stripe fails.
    pub(super) async fn write_customers(&self) -> Result<(), StorageError> {
        let now = crate::now_ms();
        for write in stripe_customers::due_writes(&self.db.pool, now, BATCH).await? {
            let (error, retry_at) = match self.write_customer(&write).await {
                Ok(()) => (None, None),
                Err(WriteError::NoKey) => (Some("no Stripe API key is connected".to_owned()), None),
                Err(WriteError::Failed(e)) => match self.policy.after_failure(write.attempts + 1, now) {
                    AfterFailure::RetryAt(t) => (Some(e), Some(t)),
                    AfterFailure::Park => (Some(e), None),
                },
            };
            match &error {
                None => {
                    tracing::info!(merchant = %write.merchant_id, customer = %write.customer_id, code = %write.ref_code, "payref metadata written onto the Stripe customer")
                }
                Some(e) => {
                    tracing::warn!(merchant = %write.merchant_id, customer = %write.customer_id, error = %e, retry_at, "writing payref metadata onto the Stripe customer failed")
                }
            }
            stripe_customers::write_attempted(&self.db.pool, &write, error.as_deref(), retry_at, now).await?;
        }
        Ok(())
    }

    async fn write_customer(&self, write: &stripe_customers::PendingWrite) -> Result<(), WriteError> {
        let failed = |e: &dyn std::fmt::Display| WriteError::Failed(e.to_string());
        let key = stripe_connections::api_key(&self.db.pool, &self.keyring, &write.merchant_id, write.livemode != 0)
            .await
            .map_err(|e| failed(&e))?
            .ok_or(WriteError::NoKey)?;
        let stripe = self.stripe.connect(&key).map_err(|e| failed(&e))?;
        let mut metadata = vec![(customers::REF_KEY, write.ref_code.as_str())];
        if let Some(click) = &write.ref_click {
            metadata.push((customers::CLICK_KEY, click.as_str()));
        }
        stripe.set_customer_metadata(&write.customer_id, &metadata).await.map_err(|e| failed(&e))
    }
}

/// Why writing a customer's metadata failed.
enum WriteError {
    /// Nothing to write with: given up at once.
    NoKey,
    /// Stripe or the database failed: retried.
    Failed(String),
}
