//! `GET /v1/conversions`: attributed sales with their commissions.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::list::{ListOf, page_in};
use crate::domain::commission::PaymentStatus;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::ApiFailure;
use crate::storage::conversions::{self, ConversionFilter, ConversionRow};

/// One Stripe payment attributed to an affiliate.
#[derive(Debug, Object)]
pub struct Conversion {
    /// `cnv_…`.
    pub id: String,
    /// Test or live mode.
    pub livemode: bool,
    /// The Stripe object paid (`cs_…`).
    pub stripe_object_id: String,
    /// The affiliate credited.
    pub affiliate_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// The recorded click the sale came from, when known.
    pub click_id: Option<String>,
    /// How the affiliate was found: `client_reference_id`, `customer_binding`, `lead_email`…
    pub attribution_method: String,
    /// The payment's state: paid, partially_refunded, refunded or disputed.
    pub status: PaymentStatus,
    /// Commissionable amount (paid, less tax and shipping), minor units.
    pub amount: i64,
    /// Paid in all (tax and shipping included), minor units.
    pub amount_paid: i64,
    /// Refunded so far, minor units.
    pub amount_refunded: i64,
    /// Lowercase ISO 4217 currency.
    pub currency: String,
    /// The Stripe customer who paid, when known.
    pub customer_id: Option<String>,
    /// Commission, minor units of `currency`.
    pub commission_amount: i64,
    /// Rate applied, basis points.
    pub commission_rate_bps: i64,
    /// pending, approved, paid, denied or reversed.
    pub commission_status: String,
    /// The buyer's dispute, when there is one: open, won or lost.
    pub dispute_status: Option<String>,
    /// Why the sale deserves a look before its commission is approved (`fast_purchase`: paid
    /// within seconds of the click; `repeat_visitor`: many purchases from one visitor). A
    /// flagged commission is never approved automatically.
    pub review_flags: Vec<String>,
    /// Recorded at, UTC epoch milliseconds.
    pub created_at: i64,
}

impl From<ConversionRow> for Conversion {
    fn from(r: ConversionRow) -> Self {
        Self {
            id: r.id,
            livemode: r.livemode != 0,
            stripe_object_id: r.stripe_object_id,
            affiliate_id: r.affiliate_id,
            affiliate_code: r.affiliate_code,
            click_id: r.click_id,
            attribution_method: r.attribution_method,
            status: PaymentStatus::parse(&r.status).unwrap_or(PaymentStatus::Paid),
            amount: r.amount,
            amount_paid: r.amount_paid,
            amount_refunded: r.amount_refunded,
            currency: r.currency,
            customer_id: r.customer_id,
            commission_amount: r.commission_amount,
            commission_rate_bps: r.commission_rate_bps,
            commission_status: r.commission_status,
            dispute_status: r.dispute_status,
            review_flags: r
                .review_flags
                .as_deref()
                .map(|f| f.split(',').filter(|f| !f.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            created_at: r.created_at,
        }
    }
}

/// Conversions.
#[derive(Debug, Default)]
pub struct ConversionsApi;

#[OpenApi]
impl ConversionsApi {
    /// Lists conversions, newest first.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/v1/conversions", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Query<Option<bool>>,
        /// Only this affiliate's conversions.
        affiliate_id: Query<Option<String>>,
        /// Only conversions in this state.
        status: Query<Option<PaymentStatus>>,
        /// Created at or after (UTC epoch ms).
        created_gte: Query<Option<i64>>,
        /// Created before (UTC epoch ms).
        created_lt: Query<Option<i64>>,
        /// Page size, 1–100 (default 25).
        limit: Query<Option<i64>>,
        /// Id of the last conversion of the previous page.
        starting_after: Query<Option<String>>,
    ) -> Result<Json<ListOf<Conversion>>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_in(&conversions::LIST, pool, merchant, limit.0, starting_after.0).await?;
        let filter = ConversionFilter {
            livemode: livemode.0.unwrap_or(false),
            affiliate_id: affiliate_id.0,
            status: status.0.map(Into::into),
            created_gte: created_gte.0,
            created_lt: created_lt.0,
        };
        let found = conversions::list_conversions(pool, merchant, &filter, &page).await?;
        Ok(ListOf::page(found))
    }
}
