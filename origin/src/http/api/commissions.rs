//! `/v1/commissions`: list and read commissions, and act on them — approve, deny, mark paid —
//! one at a time or in bulk.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::page_request;
use crate::domain::commission::{CommissionAction, CommissionStatus};
use crate::http::AppState;
use crate::http::auth::{ApiKey, Caller};
use crate::http::error::{ApiError, ApiFailure};
use crate::now_ms;
use crate::storage::StorageError;
use crate::storage::commissions::{self, Action, CommissionFilter, CommissionRow, Outcome};

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

/// A page of commissions, newest first.
#[derive(Debug, Object)]
pub struct CommissionList {
    /// Always `list`.
    pub object: String,
    /// The page.
    pub data: Vec<Commission>,
    /// Whether more follow; pass the last id as `starting_after` for the next page.
    pub has_more: bool,
}

/// Denying a commission.
#[derive(Debug, Object)]
pub struct DenyCommission {
    /// Required. Why, 1–500 characters; shown in the audit trail.
    pub reason: Option<String>,
}

/// Marking a commission paid.
#[derive(Debug, Object)]
pub struct MarkPaid {
    /// Your reference for the payout (transfer id, invoice number), up to 200 characters.
    pub payout_reference: Option<String>,
}

/// The same action on up to 1,000 commissions.
#[derive(Debug, Object)]
pub struct BulkAction {
    /// Required. `approve` (pending → approved), `deny` (pending or approved → denied; needs
    /// `reason`) or `mark_paid` (approved → paid).
    pub action: Option<String>,
    /// Required. 1–1,000 commission ids.
    pub ids: Option<Vec<String>>,
    /// Required to deny.
    pub reason: Option<String>,
    /// With mark_paid: your reference for the payout.
    pub payout_reference: Option<String>,
}

/// One commission a bulk action could not change.
#[derive(Debug, Object)]
pub struct BulkFailure {
    /// The id as sent.
    pub id: String,
    /// `not_found` or `invalid_status`.
    pub code: String,
    /// Why.
    pub message: String,
}

/// What a bulk action came to: each id is either updated or failed.
#[derive(Debug, Object)]
pub struct BulkResult {
    /// Always `bulk_result`.
    pub object: String,
    /// The commissions changed, as they now are.
    pub updated: Vec<Commission>,
    /// The ids left as they were, with the reason.
    pub failed: Vec<BulkFailure>,
}

/// Largest bulk action.
pub const MAX_BULK: usize = 1_000;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

fn check_text(field: &str, value: Option<String>, max: usize, required: bool) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().to_owned()) {
        None if required => Err(invalid(format!("{field} is required"))),
        None => Ok(None),
        Some(v) if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) => {
            Err(invalid(format!("{field} must be 1 to {max} characters, without control characters")))
        }
        Some(v) => Ok(Some(v)),
    }
}

fn action(kind: CommissionAction, reason: Option<String>, payout_reference: Option<String>) -> Result<Action, ApiError> {
    let reason = check_text("reason", reason, 500, kind == CommissionAction::Deny)?;
    let payout_reference = check_text("payout_reference", payout_reference, 200, false)?;
    if reason.is_some() && kind != CommissionAction::Deny {
        return Err(invalid("reason applies only to deny"));
    }
    if payout_reference.is_some() && kind != CommissionAction::MarkPaid {
        return Err(invalid("payout_reference applies only to mark_paid"));
    }
    Ok(Action { action: kind, reason, payout_reference })
}

async fn act_on_one(state: &AppState, caller: &Caller, id: &str, action: Action) -> Result<Json<Commission>, ApiFailure> {
    caller.require_write()?;
    let mut tx = crate::storage::begin_write(&state.db.pool).await.map_err(StorageError::from)?;
    let outcome = commissions::apply(&mut tx, &caller.merchant_id, id, &action, &caller.actor, now_ms()).await?;
    tx.commit().await.map_err(StorageError::from)?;
    match outcome {
        Outcome::Done(row) => Ok(Json((*row).into())),
        Outcome::NotFound => Err(ApiError::NotFound("no such commission").into()),
        Outcome::Refused(message) => Err(ApiError::Conflict { code: "invalid_status", message }.into()),
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
        state: poem::web::Data<&AppState>,
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
    ) -> Result<Json<CommissionList>, ApiFailure> {
        let merchant = &auth.0.merchant_id;
        let pool = &state.db.pool;
        let page = page_request(limit.0, starting_after.0, |id| async move { commissions::position(pool, merchant, &id).await }).await?;
        let filter = CommissionFilter {
            livemode: livemode.0.unwrap_or(false),
            status: status.0.map(Into::into),
            affiliate_id: affiliate_id.0,
            created_gte: created_gte.0,
            created_lt: created_lt.0,
        };
        let found = commissions::list(pool, merchant, &filter, &page).await?;
        Ok(Json(CommissionList { object: "list".into(), data: found.data.into_iter().map(Into::into).collect(), has_more: found.has_more }))
    }

    /// Retrieves a commission.
    #[oai(path = "/v1/commissions/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: poem::web::Data<&AppState>, id: Path<String>) -> Result<Json<Commission>, ApiFailure> {
        let found = commissions::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(ApiError::NotFound("no such commission"))?;
        Ok(Json(found.into()))
    }

    /// Approves a pending commission (also before its hold ends).
    #[oai(path = "/v1/commissions/:id/approve", method = "post")]
    async fn approve(&self, auth: ApiKey, state: poem::web::Data<&AppState>, id: Path<String>) -> Result<Json<Commission>, ApiFailure> {
        act_on_one(&state, &auth.0, &id.0, action(CommissionAction::Approve, None, None)?).await
    }

    /// Denies a pending or approved commission, with the reason.
    #[oai(path = "/v1/commissions/:id/deny", method = "post")]
    async fn deny(
        &self,
        auth: ApiKey,
        state: poem::web::Data<&AppState>,
        id: Path<String>,
        body: Json<DenyCommission>,
    ) -> Result<Json<Commission>, ApiFailure> {
        act_on_one(&state, &auth.0, &id.0, action(CommissionAction::Deny, body.0.reason, None)?).await
    }

    /// Marks an approved commission paid (send `{}` when there is no payout reference).
    #[oai(path = "/v1/commissions/:id/mark_paid", method = "post")]
    async fn mark_paid(
        &self,
        auth: ApiKey,
        state: poem::web::Data<&AppState>,
        id: Path<String>,
        body: Json<MarkPaid>,
    ) -> Result<Json<Commission>, ApiFailure> {
        act_on_one(&state, &auth.0, &id.0, action(CommissionAction::MarkPaid, None, body.0.payout_reference)?).await
    }

    /// Applies one action to up to 1,000 commissions; each id is reported as updated or failed.
    #[oai(path = "/v1/commissions/bulk", method = "post")]
    async fn bulk(&self, auth: ApiKey, state: poem::web::Data<&AppState>, body: Json<BulkAction>) -> Result<Json<BulkResult>, ApiFailure> {
        let caller = &auth.0;
        caller.require_write()?;
        let b = body.0;
        let kind = b.action.ok_or_else(|| invalid("action is required"))?;
        let kind = CommissionAction::parse(&kind).ok_or_else(|| invalid("action must be approve, deny or mark_paid"))?;
        let ids = b.ids.ok_or_else(|| invalid("ids is required"))?;
        if ids.is_empty() || ids.len() > MAX_BULK {
            return Err(invalid(format!("ids must hold 1 to {MAX_BULK} commission ids")).into());
        }
        let action = action(kind, b.reason, b.payout_reference)?;
        let now = now_ms();
        let mut result = BulkResult { object: "bulk_result".into(), updated: Vec::new(), failed: Vec::new() };
        let mut seen = std::collections::HashSet::new();
        let mut tx = crate::storage::begin_write(&state.db.pool).await.map_err(StorageError::from)?;
        for id in ids {
            if !seen.insert(id.clone()) {
                continue;
            }
            match commissions::apply(&mut tx, &caller.merchant_id, &id, &action, &caller.actor, now).await? {
                Outcome::Done(row) => result.updated.push((*row).into()),
                Outcome::NotFound => result.failed.push(BulkFailure { id, code: "not_found".into(), message: "no such commission".into() }),
                Outcome::Refused(message) => result.failed.push(BulkFailure { id, code: "invalid_status".into(), message }),
            }
        }
        tx.commit().await.map_err(StorageError::from)?;
        Ok(Json(result))
    }
}
