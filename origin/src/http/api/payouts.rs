//! `/v1/payouts/due`: what the merchant owes, per affiliate and currency; `POST /v1/payouts`
//! records a payout, paying those commissions and settling those adjustments at once.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::audit::{self, Entry};
use crate::storage::payouts::{self, PayoutLine};
use crate::storage::{StorageError, affiliates, campaigns};

/// Recording a payout.
#[derive(Debug, Object)]
pub struct NewPayout {
    /// Required. The affiliate paid.
    pub affiliate_id: Option<String>,
    /// Required. The lowercase ISO 4217 currency paid in.
    pub currency: Option<String>,
    /// Required. Your reference for the transfer, 1–200 characters.
    pub payout_reference: Option<String>,
    /// Live (`true`) or test (`false`, the default) commissions.
    pub livemode: Option<bool>,
}

/// A recorded payout.
#[derive(Debug, Object)]
pub struct Payout {
    /// Always `payout`.
    pub object: String,
    /// The affiliate paid.
    pub affiliate_id: String,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// The net amount the payout covers, minor units.
    pub amount: i64,
    /// Commissions marked paid.
    pub commission_count: i64,
    /// Adjustments settled.
    pub adjustment_count: i64,
    /// Your reference.
    pub payout_reference: String,
    /// Test or live mode.
    pub livemode: bool,
}

fn required(field: &str, value: Option<String>) -> Result<String, ApiError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request("invalid_request", format!("{field} is required")))
}

/// The payouts report.
#[derive(Debug, Object)]
pub struct PayoutReport {
    /// Always `list`.
    pub object: String,
    /// Livemode of the figures.
    pub livemode: bool,
    /// One line per affiliate and currency, by code.
    pub data: Vec<PayoutLine>,
}

/// Payouts.
#[derive(Debug, Default)]
pub struct PayoutsApi;

#[OpenApi]
impl PayoutsApi {
    /// What is owed: approved, unpaid commissions per affiliate and currency, listed when at or
    /// above the campaign's minimum payout in that currency.
    #[oai(path = "/v1/payouts/due", method = "get")]
    async fn payouts_due(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) figures.
        livemode: Query<Option<bool>>,
    ) -> Result<Json<PayoutReport>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let livemode = livemode.0.unwrap_or(false);
        let minimums = campaigns::min_payouts(&state.db.pool, merchant).await?;
        let lines = payouts::payouts_due(&state.db.pool, merchant, livemode, &minimums).await?;
        Ok(Json(PayoutReport { object: "list".into(), livemode, data: lines }))
    }

    /// Records a payout to one affiliate in one currency: every approved commission becomes
    /// paid and every open adjustment settled, under your reference, in one step.
    #[oai(path = "/v1/payouts", method = "post")]
    async fn record(&self, auth: ApiKey, state: State<'_>, body: Json<NewPayout>) -> Result<Json<Payout>, ApiFailure> {
        auth.0.require_write()?;
        let body = body.0;
        let affiliate_id = required("affiliate_id", body.affiliate_id)?;
        let currency = required("currency", body.currency)?;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(ApiError::bad_request("invalid_request", "currency must be a lowercase ISO 4217 code such as usd").into());
        }
        let reference = required("payout_reference", body.payout_reference)?;
        if reference.chars().count() > 200 {
            return Err(ApiError::bad_request("invalid_request", "payout_reference must be at most 200 characters").into());
        }
        let livemode = body.livemode.unwrap_or(false);
        let merchant = &auth.0.merchant_id;
        if affiliates::get(&state.db.pool, merchant, &affiliate_id).await?.is_none() {
            return Err(ApiError::NotFound("no such affiliate").into());
        }
        let now = crate::now_ms();
        let mut tx = crate::storage::begin_write(&state.db.pool).await.map_err(StorageError::from)?;
        let settled = payouts::record_payout(&mut tx, merchant, livemode, &affiliate_id, &currency, &reference, now).await?;
        if settled.commissions == 0 && settled.adjustments == 0 {
            return Err(
                ApiError::Conflict { code: "nothing_due", message: format!("nothing is due to this affiliate in {currency}") }.into()
            );
        }
        let entry = Entry {
            merchant_id: merchant,
            object_type: "affiliate",
            object_id: &affiliate_id,
            action: "payout.recorded",
            actor: &auth.0.actor,
            detail: serde_json::json!({
                "currency": currency, "amount": settled.amount, "commissions": settled.commissions,
                "adjustments": settled.adjustments, "payout_reference": reference, "livemode": livemode,
            }),
        };
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await.map_err(StorageError::from)?;
        Ok(Json(Payout {
            object: "payout".into(),
            affiliate_id,
            currency,
            amount: settled.amount,
            commission_count: i64::try_from(settled.commissions).unwrap_or(i64::MAX),
            adjustment_count: i64::try_from(settled.adjustments).unwrap_or(i64::MAX),
            payout_reference: reference,
            livemode,
        }))
    }
}
