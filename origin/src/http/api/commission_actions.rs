//! `/v1/commissions/…/approve`, `deny`, `mark_paid` and `/v1/commissions/bulk`: the merchant's
//! actions on commissions, one at a time or up to 1,000 at once, each in one transaction with
//! its audit entries (`storage/commissions/actions.rs`).

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use crate::domain::commission::{CommissionAction, action_notes};
use crate::http::auth::{ApiKey, Caller};
use crate::http::error::{ApiError, ApiFailure};
use crate::http::{AppState, State};
use crate::now_ms;
use crate::storage::StorageError;
use crate::storage::commissions::CommissionRow as Commission;
use crate::storage::commissions::{self, Action, Outcome};

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

fn action(kind: CommissionAction, reason: Option<String>, payout_reference: Option<String>) -> Result<Action, ApiError> {
    let (reason, payout_reference) = action_notes(kind, reason.as_deref(), payout_reference.as_deref()).map_err(|e| invalid(e.message))?;
    Ok(Action { action: kind, reason, payout_reference })
}

async fn act_on_one(state: &AppState, caller: &Caller, id: &str, action: Action) -> Result<Json<Commission>, ApiFailure> {
    caller.require_write()?;
    let mut tx = crate::storage::begin_write(&state.db.pool).await.map_err(StorageError::from)?;
    let outcome = commissions::apply(&mut tx, &caller.merchant_id, id, &action, &caller.actor, now_ms()).await?;
    tx.commit().await.map_err(StorageError::from)?;
    match outcome {
        Outcome::Done(row) => Ok(Json(*row)),
        Outcome::NotFound => Err(ApiError::NotFound("no such commission").into()),
        Outcome::Refused(message) => Err(ApiError::Conflict { code: "invalid_status", message }.into()),
    }
}

/// Actions on commissions.
#[derive(Debug, Default)]
pub struct CommissionActionsApi;

#[OpenApi]
impl CommissionActionsApi {
    /// Approves a pending commission (also before its hold ends).
    #[oai(path = "/v1/commissions/:id/approve", method = "post")]
    async fn approve(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Commission>, ApiFailure> {
        act_on_one(&state, &auth.0, &id.0, action(CommissionAction::Approve, None, None)?).await
    }

    /// Denies a pending or approved commission, with the reason.
    #[oai(path = "/v1/commissions/:id/deny", method = "post")]
    async fn deny(
        &self,
        auth: ApiKey,
        state: State<'_>,
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
        state: State<'_>,
        id: Path<String>,
        body: Json<MarkPaid>,
    ) -> Result<Json<Commission>, ApiFailure> {
        act_on_one(&state, &auth.0, &id.0, action(CommissionAction::MarkPaid, None, body.0.payout_reference)?).await
    }

    /// Applies one action to up to 1,000 commissions; each id is reported as updated or failed.
    #[oai(path = "/v1/commissions/bulk", method = "post")]
    async fn bulk(&self, auth: ApiKey, state: State<'_>, body: Json<BulkAction>) -> Result<Json<BulkResult>, ApiFailure> {
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
        let mut result = BulkResult { object: "bulk_result".into(), updated: Vec::new(), failed: Vec::new() };
        for (id, outcome) in commissions::apply_each(&state.db.pool, &caller.merchant_id, &ids, &action, &caller.actor, now_ms()).await? {
            match outcome {
                Outcome::Done(row) => result.updated.push(*row),
                Outcome::NotFound => result.failed.push(BulkFailure { id, code: "not_found".into(), message: "no such commission".into() }),
                Outcome::Refused(message) => result.failed.push(BulkFailure { id, code: "invalid_status".into(), message }),
            }
        }
        Ok(Json(result))
    }
}
