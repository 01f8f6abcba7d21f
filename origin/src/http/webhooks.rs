//! `POST /v1/stripe/webhooks/{merchant_id}/{test|live}`: Stripe's event deliveries.
//!
//! Verify the signature, store the raw event (kept even if payref cannot parse it yet), answer
//! at once and wake the event worker, which applies it. A redelivery answers 200 and does nothing.

use poem::web::{Data, Json, Path};
use poem::{Body, Request, handler};
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, read_body};
use crate::now_ms;
use crate::storage::{stripe_connections, stripe_events};
use crate::stripe::event::Event;
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
    let raw = stripe_events::RawEvent {
        merchant_id: &merchant_id,
        event_id: &event.id,
        livemode: event.livemode,
        event_type: &event.event_type,
        payload: &payload,
    };
    let new = stripe_events::insert_event(&state.db.pool, &raw, now_ms()).await?;
    if new {
        state.metrics.webhook();
        state.events_wake.notify_one();
    }
    // Acknowledged at once; the event worker applies it.
    Ok(Json(json!({ "received": true, "duplicate": !new })))
}
