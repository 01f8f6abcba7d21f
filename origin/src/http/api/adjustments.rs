//! `GET /v1/commission_adjustments`: entries against approved or paid commissions (refunds
//! taking part back), open until a payout settles them.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::list::{ListOf, page_in};
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::ApiFailure;
use crate::storage::adjustments::{self, AdjustmentRow};

/// An entry against a commission already approved or paid.
#[derive(Debug, Object)]
pub struct CommissionAdjustment {
    /// `adj_…`.
    pub id: String,
    /// Always `commission_adjustment`.
    pub object: String,
    /// The commission adjusted.
    pub commission_id: String,
    /// Its affiliate.
    pub affiliate_id: String,
    /// Test or live mode.
    pub livemode: bool,
    /// Minor units; negative takes commission back.
    pub amount: i64,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// Why (e.g. the refund and how much of the payment it returned).
    pub reason: String,
    /// The Stripe event it came from.
    pub stripe_event_id: String,
    /// Settled by a payout, UTC epoch ms; null while it still counts against the next one.
    pub settled_at: Option<i64>,
    /// The payout that settled it.
    pub payout_reference: Option<String>,
    /// Made, UTC epoch ms.
    pub created_at: i64,
}

impl From<AdjustmentRow> for CommissionAdjustment {
    fn from(r: AdjustmentRow) -> Self {
        Self {
            id: r.id,
            object: "commission_adjustment".into(),
            commission_id: r.commission_id,
            affiliate_id: r.affiliate_id,
            livemode: r.livemode != 0,
            amount: r.amount,
            currency: r.currency,
            reason: r.reason,
            stripe_event_id: r.stripe_event_id,
            settled_at: r.settled_at,
            payout_reference: r.payout_reference,
            created_at: r.created_at,
        }
    }
}

/// Commission adjustments.
#[derive(Debug, Default)]
pub struct AdjustmentsApi;

#[OpenApi]
impl AdjustmentsApi {
    /// Lists commission adjustments, newest first.
    #[oai(path = "/v1/commission_adjustments", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Query<Option<bool>>,
        /// Only this affiliate's.
        affiliate_id: Query<Option<String>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last adjustment of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<CommissionAdjustment>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&adjustments::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let found = adjustments::list(pool, merchant, livemode.0.unwrap_or(false), affiliate_id.0.as_deref(), &page).await?;
        Ok(ListOf::page(found))
    }
}
