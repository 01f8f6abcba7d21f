//! `/v1/commissions`: list and read commissions (acting on them is `commission_actions.rs`).

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::list::{ListOf, page_in};
use crate::domain::commission::CommissionStatus;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::commissions::{self, CommissionFilter, CommissionRow};

/// Where a commission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "CommissionStatus", rename_all = "snake_case")]
pub enum Status {
    /// Awaiting approval or the end of its hold.
    Pending,
    /// Owed.
    Approved,
    /// Paid out.
    Paid,
    /// Refused, with the reason.
    Denied,
    /// Taken back.
    Reversed,
}

impl From<Status> for CommissionStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Pending => Self::Pending,
            Status::Approved => Self::Approved,
            Status::Paid => Self::Paid,
            Status::Denied => Self::Denied,
            Status::Reversed => Self::Reversed,
        }
    }
}

/// A commission owed (or once owed) to an affiliate for one conversion.
#[derive(Debug, Object)]
pub struct Commission {
    /// `com_…`.
    pub id: String,
    /// Always `commission`.
    pub object: String,
    /// Test or live mode.
    pub livemode: bool,
    /// The conversion that earned it.
    pub conversion_id: String,
    /// The Stripe object paid.
    pub stripe_object_id: String,
    /// The affiliate owed.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// Rate applied, basis points (0 for a flat amount).
    pub rate_bps: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// pending, approved, paid, denied or reversed.
    pub status: String,
    /// Why it was denied or reversed.
    pub reason: Option<String>,
    /// A held commission approves itself at this moment (UTC epoch ms).
    pub hold_until: Option<i64>,
    /// Approved at (UTC epoch ms).
    pub approved_at: Option<i64>,
    /// Paid at (UTC epoch ms).
    pub paid_at: Option<i64>,
    /// Your reference for the payout.
    pub payout_reference: Option<String>,
    /// Why it is held (`dispute du_…` while the buyer's dispute is open): a held commission
    /// is neither approved nor paid until the hold lifts.
    pub held_by: Option<String>,
    /// Created at (UTC epoch ms).
    pub created_at: i64,
    /// Last changed (UTC epoch ms).
    pub updated_at: i64,
}

impl From<CommissionRow> for Commission {
    fn from(r: CommissionRow) -> Self {
        Self {
            id: r.id,
            object: "commission".into(),
            livemode: r.livemode,
            conversion_id: r.conversion_id,
            stripe_object_id: r.stripe_object_id,
            affiliate_id: r.affiliate_id,
            affiliate_code: r.affiliate_code,
            rate_bps: r.rate_bps,
            amount: r.amount,
            currency: r.currency,
            status: r.status.as_str().into(),
            reason: r.reason,
            hold_until: r.hold_until,
            approved_at: r.approved_at,
            paid_at: r.paid_at,
            payout_reference: r.payout_reference,
            held_by: r.held_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Commissions.
#[derive(Debug, Default)]
pub struct CommissionsApi;

#[OpenApi]
impl CommissionsApi {
    /// Lists commissions, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/v1/commissions", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Query<Option<bool>>,
        /// Only commissions with this status.
        status: Query<Option<Status>>,
        /// Only this affiliate's.
        affiliate_id: Query<Option<String>>,
        /// Created at or after (UTC epoch ms).
        created_gte: Query<Option<i64>>,
        /// Created before (UTC epoch ms).
        created_lt: Query<Option<i64>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last commission of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Commission>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&commissions::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let filter = CommissionFilter {
            livemode: livemode.0.unwrap_or(false),
            status: status.0.map(Into::into),
            affiliate_id: affiliate_id.0,
            created_gte: created_gte.0,
            created_lt: created_lt.0,
        };
        let found = commissions::list(pool, merchant, &filter, &page).await?;
        Ok(ListOf::page(found))
    }

    /// Retrieves a commission.
    #[oai(path = "/v1/commissions/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Commission>, ApiFailure> {
        let found = commissions::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(ApiError::NotFound("no such commission"))?;
        Ok(Json(found.into()))
    }
}
