//! `POST /v1/stripe/webhooks/{merchant_id}/{test|live}`: Stripe's event deliveries.
//!
//! Verify the signature, store the raw event (kept even if payref cannot parse it yet), then
//! process it. A redelivery of a processed event answers 200 and does nothing.

use poem::web::{Data, Json, Path};
use poem::{Body, Request, handler};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, read_body};
use crate::now_ms;
use crate::reconcile::checkout::{Outcome, record_session};
use crate::storage::{StorageError, stripe_connections, stripe_events};
use crate::stripe::event::{CheckoutSession, Event};
use crate::stripe::signature;

/// Largest event body accepted.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Receives one Stripe event.
#[handler]
pub async fn receive(
    req: &Request,
    Path((merchant_id, mode)): Path<(String, String)>,
    body: Body,
    Data(state): Data<&AppState>,
) -> Result<Json<Value>, ApiError> {
    let livemode = match mode.as_str() {
        "test" => false,
        "live" => true,
        _ => {
            return Err(ApiError::NotFound("no such webhook endpoint: mode must be test or live"));
        }
    };
    let bytes = read_body(body, WEBHOOK_BODY_LIMIT).await?;
    let secret = stripe_connections::webhook_secret(&state.db.pool, &state.keyring, &merchant_id, livemode)
        .await?
        .ok_or(ApiError::NotFound("no such webhook endpoint"))?;
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("missing_signature", "Stripe-Signature header is required"))?;
    signature::verify(header, &bytes, &secret, now_ms() / 1000).map_err(|e| ApiError::bad_request("bad_signature", e.to_string()))?;
    let event: Event =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request("invalid_event", format!("not a Stripe event: {e}")))?;
    if event.livemode != livemode {
        return Err(ApiError::bad_request("livemode_mismatch", "event livemode does not match the endpoint's mode"));
    }
    // serde_json accepted the bytes, so they are UTF-8.
    let payload = String::from_utf8_lossy(&bytes);
    let outcome = store_and_process(state, &merchant_id, &event, &payload).await?;
    Ok(Json(json!({ "received": true, "outcome": outcome })))
}

async fn store_and_process(state: &AppState, merchant_id: &str, event: &Event, payload: &str) -> Result<String, StorageError> {
    let now = now_ms();
    let raw =
        stripe_events::RawEvent { merchant_id, event_id: &event.id, livemode: event.livemode, event_type: &event.event_type, payload };
    let mut conn = state.db.pool.acquire().await?;
    stripe_events::insert_event(&mut conn, &raw, now).await?;
    state.metrics.webhook();
    drop(conn);
    let mut tx = state.db.pool.begin().await?;
    if stripe_events::is_processed(&mut tx, merchant_id, &event.id).await? {
        tx.commit().await?;
        return Ok("duplicate".into());
    }
    let outcome = match event.event_type.as_str() {
        "checkout.session.completed" => {
            match serde_json::from_value::<CheckoutSession>(event.data.object.clone()) {
                Ok(session) => match record_session(&mut tx, merchant_id, &event.id, &session, now).await? {
                    Outcome::Attributed { .. } => "attributed".to_owned(),
                    Outcome::AlreadyRecorded => "already_recorded".to_owned(),
                    Outcome::NotAttributed(why) => format!("not_attributed: {why}"),
                },
                Err(e) => {
                    // Kept unprocessed in stripe_events for a later version to handle.
                    tracing::warn!(event = %event.id, error = %e, "checkout session not parseable");
                    tx.rollback().await?;
                    return Ok("stored_unparsed".into());
                }
            }
        }
        _ => "ignored".to_owned(),
    };
    stripe_events::mark_processed(&mut tx, merchant_id, &event.id, now).await?;
    tx.commit().await?;
    Ok(outcome)
}
