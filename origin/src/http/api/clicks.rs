//! `GET /v1/clicks` and `GET /v1/leads`: the referral visits and identified visitors the edge
//! forwarded; `POST /v1/leads/erase`: a visitor's erasure request.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::json;

use super::list::{ListOf, page_in};
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

/// Clicks and leads.
#[derive(Debug, Default)]
pub struct ClicksApi;

#[OpenApi]
impl ClicksApi {
    /// Lists clicks, newest first (repeats left out unless asked for).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/v1/clicks", method = "get")]
    async fn list_clicks(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Only this affiliate's clicks.
        affiliate_id: Query<Option<String>>,
        /// Received at or after (UTC epoch ms).
        created_gte: Query<Option<i64>>,
        /// Received before (UTC epoch ms).
        created_lt: Query<Option<i64>>,
        /// Include repeats.
        include_repeats: Query<Option<bool>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last click of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Click>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&clicks::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let filter = ClickFilter {
            affiliate_id: affiliate_id.0,
            received_gte: created_gte.0,
            received_lt: created_lt.0,
            include_repeats: include_repeats.0.unwrap_or(false),
        };
        let found = clicks::list(pool, merchant, &filter, &page).await?;
        Ok(ListOf::page(found))
    }

    /// Lists leads, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/v1/leads", method = "get")]
    async fn list_leads(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Only leads whose click is this affiliate's.
        affiliate_id: Query<Option<String>>,
        /// Received at or after (UTC epoch ms).
        created_gte: Query<Option<i64>>,
        /// Received before (UTC epoch ms).
        created_lt: Query<Option<i64>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last lead of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Lead>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&leads::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let found = leads::list(pool, merchant, affiliate_id.0.as_deref(), (created_gte.0, created_lt.0), &page).await?;
        Ok(ListOf::page(found))
    }

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
