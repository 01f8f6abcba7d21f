//! `GET /v1/commission_adjustments`: entries against approved or paid commissions (refunds
//! taking part back), open until a payout settles them.

use super::list::list_endpoint;
use crate::storage::adjustments::{self, AdjustmentRow as CommissionAdjustment};

list_endpoint! {
    /// Commission adjustments.
    AdjustmentsApi;
    /// Lists commission adjustments, newest first.
    GET "/v1/commission_adjustments" => CommissionAdjustment, cursor in adjustments::LIST, "Id of the last adjustment of the previous page.";
    filters {
        /// Live (`true`) or test (`false`, the default) data.
        livemode: Option<bool>,
        /// Only this affiliate's.
        affiliate_id: Option<String>,
    }
    |pool, merchant, page| adjustments::list(pool, merchant, livemode.unwrap_or(false), affiliate_id.as_deref(), page)
}
