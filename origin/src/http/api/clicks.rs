//! `GET /v1/clicks` and `GET /v1/leads`: the referral visits and identified visitors the edge
//! forwarded; `POST /v1/leads/erase`: a visitor's erasure request.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::json;

use super::list::list_endpoint;
use crate::domain::ids::new_id;
use crate::domain::lead::{email_key, email_sha256, is_email_sha256};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::now_ms;
use crate::storage::StorageError;
use crate::storage::audit::{self, Entry};
use crate::storage::clicks::{self, ClickFilter, ClickRow as Click};
use crate::storage::event_redaction;
use crate::storage::leads::{self, LeadRow as Lead};

/// Whose data to erase: the email, or the sha256 of the trimmed, lowercased email.
#[derive(Debug, Object)]
pub struct EraseLead {
    /// The visitor's email (hashed here, never stored).
    pub email: Option<String>,
    /// Or its sha256, lowercase hex.
    pub email_sha256: Option<String>,
}

/// What an erasure removed.
#[derive(Debug, Object)]
pub struct Erasure {
    /// `era_…`, the audit trail's reference.
    pub id: String,
    /// Always `erasure`.
    pub object: String,
    /// Leads deleted.
    pub leads_deleted: u64,
    /// Clicks deleted with them.
    pub clicks_deleted: u64,
    /// Raw Stripe events that held the email and no longer hold the buyer's personal data.
    pub stripe_events_redacted: u64,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

list_endpoint! {
    /// The list of clicks.
    ClickListApi;
    /// Lists clicks, newest first (repeats left out unless asked for).
    GET "/v1/clicks" => Click, cursor in clicks::LIST, "Id of the last click of the previous page.";
    filters {
        /// Only this affiliate's clicks.
        affiliate_id: Option<String>,
        /// Received at or after (UTC epoch ms).
        created_gte: Option<i64>,
        /// Received before (UTC epoch ms).
        created_lt: Option<i64>,
        /// Include repeats.
        include_repeats: Option<bool>,
    }
    |pool, merchant, page| {
        let include_repeats = include_repeats.unwrap_or(false);
        let filter = ClickFilter { affiliate_id, received_gte: created_gte, received_lt: created_lt, include_repeats };
        async move { clicks::list(pool, merchant, &filter, page).await }
    }
}

list_endpoint! {
    /// The list of leads.
    LeadListApi;
    /// Lists leads, newest first.
    GET "/v1/leads" => Lead, cursor in leads::LIST, "Id of the last lead of the previous page.";
    filters {
        /// Only leads whose click is this affiliate's.
        affiliate_id: Option<String>,
        /// Received at or after (UTC epoch ms).
        created_gte: Option<i64>,
        /// Received before (UTC epoch ms).
        created_lt: Option<i64>,
    }
    |pool, merchant, page| leads::list(pool, merchant, affiliate_id.as_deref(), (created_gte, created_lt), page)
}

/// Clicks and leads.
#[derive(Debug, Default)]
pub struct ClicksApi;

#[OpenApi]
impl ClicksApi {
    /// Erases a visitor: every lead with this email and the clicks they carried, and the
    /// buyer's personal data in every raw Stripe event that holds this email. Conversions
    /// keep their amounts but no longer name the erased clicks. Recorded in the audit trail
    /// (counts only, never the email).
    #[oai(path = "/v1/leads/erase", method = "post")]
    async fn erase(&self, auth: ApiKey, state: State<'_>, body: Json<EraseLead>) -> Result<Json<Erasure>, ApiFailure> {
        auth.0.require_write()?;
        let hash = match (body.0.email, body.0.email_sha256) {
            (Some(email), None) if email.contains('@') && email.trim().len() <= 320 => email_sha256(&email),
            (Some(_), None) => return Err(invalid("email is not an email address").into()),
            (None, Some(h)) if is_email_sha256(h.trim()) => h.trim().to_owned(),
            (None, Some(_)) => return Err(invalid("email_sha256 must be 64 lowercase hex characters").into()),
            _ => return Err(invalid("exactly one of email and email_sha256 is required").into()),
        };
        let key = email_key(&state.lead_secret, &hash);
        let id = new_id("era");
        let now = now_ms();
        let mut tx = crate::storage::begin_write(&state.db.pool).await.map_err(StorageError::from)?;
        let erased = leads::erase(&mut tx, &auth.0.merchant_id, &key).await?;
        let events = event_redaction::redact_matching(&mut tx, &auth.0.merchant_id, Some(&hash), i64::MAX, now).await?;
        let entry = Entry {
            merchant_id: &auth.0.merchant_id,
            object_type: "erasure",
            object_id: &id,
            action: "lead.erased",
            actor: &auth.0.actor,
            detail: json!({ "leads_deleted": erased.leads, "clicks_deleted": erased.clicks, "stripe_events_redacted": events }),
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StorageError::from)?;
        Ok(Json(Erasure {
            id,
            object: "erasure".into(),
            leads_deleted: erased.leads,
            clicks_deleted: erased.clicks,
            stripe_events_redacted: events,
        }))
    }
}
