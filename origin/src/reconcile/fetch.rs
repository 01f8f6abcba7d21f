//! Fetches what an event is missing from Stripe's API and stores it as events of its own,
//! processed like webhooks before the waiting event's retry.

use super::events::EventWorker;
use super::reconciler;
use super::step::Missing;
use crate::storage::{StorageError, discounts, refund_ledger, stripe_connections, stripe_customers};
use crate::stripe::client::CallError;

impl EventWorker {
    /// Fetches what an event is missing and stores it as events of its own (processed like
    /// webhooks, before the waiting event's retry); says what was found.
    pub(super) async fn fetch(&self, merchant_id: &str, missing: &Missing) -> Result<String, FetchError> {
        let livemode = missing.livemode();
        let Some(key) = stripe_connections::api_key(&self.db.pool, &self.keyring, merchant_id, livemode).await? else {
            return Ok("nothing (no Stripe API key is connected; waiting for the webhook)".into());
        };
        let stripe = self.stripe.connect(&key)?;
        let now = crate::now_ms();
        let synthetic: Vec<reconciler::Synthetic> = match missing {
            Missing::PaymentOfIntent { payment_intent, .. } => {
                let mut found: Vec<_> =
                    stripe.sessions_of_payment_intent(payment_intent).await?.iter().filter_map(reconciler::session_event).collect();
                if found.is_empty()
                    && let Some(invoice) = stripe.invoice_of_payment_intent(payment_intent).await?
                {
                    // A subscription's payment: tie the PaymentIntent to the invoice's conversion,
                    // and fetch the invoice in case its event has not been processed either.
                    refund_ledger::set_payment_intent(&self.db.pool, merchant_id, livemode, &invoice, payment_intent).await?;
                    found.extend(stripe.invoice(&invoice).await?.as_ref().and_then(reconciler::invoice_event));
                }
                found
            }
            Missing::SessionOfSubscription { subscription, .. } => {
                stripe.sessions_of_subscription(subscription).await?.iter().filter_map(reconciler::session_event).collect()
            }
            // Taken now, which is no earlier than the event that asked (Stripe's clock or ours).
            Missing::ChargeAsOf { charge, as_of, .. } => {
                stripe.charge(charge).await?.and_then(|c| reconciler::charge_event(&c, (*as_of).max(now / 1000))).into_iter().collect()
            }
            Missing::PromotionCode { promotion_code, .. } => match stripe.promotion_code(promotion_code).await? {
                Some(object) => reconciler::object_event(&object, "promotion_code.updated", now / 1000).into_iter().collect(),
                None => {
                    // Gone from Stripe: remember it maps to nobody, so the payment goes on without.
                    let mut conn = self.db.pool.acquire().await.map_err(StorageError::from)?;
                    discounts::record(&mut conn, merchant_id, livemode, promotion_code, None, None, "metadata", 0, now).await?;
                    return Ok("nothing (no such promotion code)".into());
                }
            },
            Missing::Customer { customer, .. } => match stripe.customer(customer).await? {
                Some(object) => reconciler::object_event(&object, "customer.updated", now / 1000).into_iter().collect(),
                None => {
                    // Gone from Stripe: remember it has no metadata, so the payment goes on without.
                    let mut conn = self.db.pool.acquire().await.map_err(StorageError::from)?;
                    let none = stripe_customers::Metadata { ref_code: None, ref_click: None };
                    stripe_customers::record_metadata(&mut conn, merchant_id, livemode, customer, &none, 0, now).await?;
                    return Ok("nothing (no such customer)".into());
                }
            },
        };
        let new = reconciler::store(&self.db, merchant_id, livemode, &synthetic, now).await?;
        let ids: Vec<&str> = synthetic.iter().map(|s| s.id.as_str()).collect();
        Ok(if ids.is_empty() { "nothing".into() } else { format!("{} ({new} new)", ids.join(", ")) })
    }
}

/// Why fetching a missing object failed (the event is retried either way).
#[derive(Debug, thiserror::Error)]
pub(super) enum FetchError {
    #[error(transparent)]
    Stripe(#[from] CallError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}
