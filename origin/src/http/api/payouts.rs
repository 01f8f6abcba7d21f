//! `/v1/payouts/due`: what the merchant owes, per affiliate and currency.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::http::AppState;
use crate::http::auth::ApiKey;
use crate::http::error::ApiFailure;
use crate::storage::campaigns;
use crate::storage::payouts::{self, PayoutDue};

/// What is owed to one affiliate in one currency.
#[derive(Debug, Object)]
pub struct PayoutLine {
    /// The affiliate.
    pub affiliate_id: String,
    /// Its referral code.
    pub affiliate_code: String,
    /// Its name.
    pub affiliate_name: String,
    /// Where to pay it.
    pub payout_email: Option<String>,
    /// active, paused or banned.
    pub affiliate_status: String,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// Approved, unpaid commissions, minor units.
    pub amount: i64,
    /// How many commissions make up `amount`.
    pub commission_count: i64,
    /// The campaign's minimum payout in this currency.
    pub minimum_payout: i64,
}

impl From<PayoutDue> for PayoutLine {
    fn from(p: PayoutDue) -> Self {
        Self {
            affiliate_id: p.affiliate_id,
            affiliate_code: p.code,
            affiliate_name: p.name,
            payout_email: p.payout_email,
            affiliate_status: p.affiliate_status,
            currency: p.currency,
            amount: p.amount,
            commission_count: p.commission_count,
            minimum_payout: p.minimum,
        }
    }
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
        state: poem::web::Data<&AppState>,
        /// Live (`true`) or test (`false`, the default) figures.
        livemode: Query<Option<bool>>,
    ) -> Result<Json<PayoutReport>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let livemode = livemode.0.unwrap_or(false);
        let minimums = campaigns::min_payouts(&state.db.pool, merchant).await?;
        let lines = payouts::payouts_due(&state.db.pool, merchant, livemode, &minimums).await?;
        Ok(Json(PayoutReport { object: "list".into(), livemode, data: lines.into_iter().map(Into::into).collect() }))
    }
}
