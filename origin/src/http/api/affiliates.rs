//! `/v1/affiliates`: create, read, update, delete and list the merchant's affiliates.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::DeletedObject;
use super::list::list_endpoint;
use crate::domain::FieldError;
use crate::domain::affiliate::{AffiliateFields, AffiliateStatus, check_email, check_name, check_new, check_rate};
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::http::{AppState, State};
use crate::storage::affiliates::{self, AffiliatePatch, AffiliateRow as Affiliate};
use crate::storage::list::Deleted;

/// A new affiliate. `code`, `name` and `campaign_id` are required; they are checked by
/// payref rather than the schema so that the error names the missing field.
#[derive(Debug, Object)]
pub struct CreateAffiliate {
    /// Required. Referral code: 1–64 characters of `[A-Za-z0-9_-]`, unique within the merchant.
    pub code: Option<String>,
    /// Required. Display name, 1–200 characters.
    pub name: Option<String>,
    /// Required. The campaign whose rules apply.
    pub campaign_id: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Where payouts go.
    pub payout_email: Option<String>,
    /// Rate overriding the campaign's, 0–10000 basis points.
    pub commission_bps: Option<i64>,
}

/// Changes to an affiliate; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct UpdateAffiliate {
    /// Display name.
    pub name: Option<String>,
    /// The campaign whose rules apply.
    pub campaign_id: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Where payouts go.
    pub payout_email: Option<String>,
    /// Status.
    pub status: Option<AffiliateStatus>,
    /// Rate overriding the campaign's, basis points.
    pub commission_bps: Option<i64>,
}

/// A field's error as the API answers it (400 with its message).
fn field_error(e: FieldError) -> ApiError {
    invalid(e.message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

async fn check_campaign(state: &AppState, merchant: &str, campaign_id: &str) -> Result<(), ApiError> {
    if affiliates::campaign_exists(&state.db.pool, merchant, campaign_id).await? {
        Ok(())
    } else {
        Err(invalid("campaign_id names no campaign of yours"))
    }
}

const NO_SUCH: ApiError = ApiError::NotFound("no such affiliate");

list_endpoint! {
    /// The list of affiliates.
    AffiliateListApi;
    /// Lists affiliates, newest first.
    GET "/v1/affiliates" => Affiliate, cursor in affiliates::LIST, "Id of the last affiliate of the previous page.";
    filters {
        /// Only affiliates with this status.
        status: Option<AffiliateStatus>,
        /// Only affiliates whose code, name or email contains this (case-insensitive).
        search: Option<String>,
    }
    |pool, merchant, page| affiliates::list(pool, merchant, (status.map(AffiliateStatus::as_str), search.as_deref()), page)
}

/// Affiliates.
#[derive(Debug, Default)]
pub struct AffiliatesApi;

#[OpenApi]
impl AffiliatesApi {
    /// Creates an affiliate.
    #[oai(path = "/v1/affiliates", method = "post")]
    async fn create(&self, auth: ApiKey, state: State<'_>, body: Json<CreateAffiliate>) -> Result<Json<Affiliate>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        let b = body.0;
        let given = AffiliateFields {
            code: b.code.as_deref(),
            name: b.name.as_deref(),
            campaign_id: b.campaign_id.as_deref(),
            email: b.email.as_deref(),
            payout_email: b.payout_email.as_deref(),
            commission_bps: b.commission_bps,
        };
        let new = check_new(&given).map_err(field_error)?;
        check_campaign(&state, merchant, &new.campaign_id).await?;
        let created = affiliates::insert(&state.db.pool, merchant, &new, crate::now_ms()).await?.ok_or_else(|| ApiError::Conflict {
            code: "code_taken",
            message: format!("code {} is already used by another affiliate", new.code),
        })?;
        Ok(Json(created))
    }

    /// Retrieves an affiliate.
    #[oai(path = "/v1/affiliates/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Affiliate>, ApiFailure> {
        let found = affiliates::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(NO_SUCH)?;
        Ok(Json(found))
    }

    /// Updates an affiliate; absent fields stay as they are.
    #[oai(path = "/v1/affiliates/:id", method = "patch")]
    async fn update(
        &self,
        auth: ApiKey,
        state: State<'_>,
        id: Path<String>,
        body: Json<UpdateAffiliate>,
    ) -> Result<Json<Affiliate>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        let b = body.0;
        if let Some(c) = &b.campaign_id {
            check_campaign(&state, merchant, c).await?;
        }
        let patch = AffiliatePatch {
            name: b.name.as_deref().map(check_name).transpose().map_err(field_error)?,
            email: check_email("email", b.email.as_deref()).map_err(field_error)?,
            payout_email: check_email("payout_email", b.payout_email.as_deref()).map_err(field_error)?,
            status: b.status.map(AffiliateStatus::as_str),
            commission_bps_override: check_rate(b.commission_bps).map_err(field_error)?,
            campaign_id: b.campaign_id,
        };
        let updated = affiliates::update(&state.db.pool, merchant, &id.0, &patch, crate::now_ms()).await?.ok_or(NO_SUCH)?;
        Ok(Json(updated))
    }

    /// Deletes an affiliate without history; one with clicks or conversions is paused or banned instead.
    #[oai(path = "/v1/affiliates/:id", method = "delete")]
    async fn delete(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<DeletedObject>, ApiFailure> {
        auth.0.require_write()?;
        match affiliates::delete(&state.db.pool, &auth.0.merchant_id, &id.0).await? {
            Deleted::Yes => Ok(Json(DeletedObject { id: id.0, object: "affiliate".into(), deleted: true })),
            Deleted::NotFound => Err(NO_SUCH.into()),
            Deleted::InUse => Err(ApiError::Conflict {
                code: "affiliate_has_history",
                message: "this affiliate has clicks or conversions: set status to paused or banned instead".into(),
            }
            .into()),
        }
    }
}
