//! `/v1/merchant`: the calling merchant's own record and privacy settings.

use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};

use crate::http::AppState;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::merchants::{self, MerchantRow};

/// The merchant.
#[derive(Debug, Object)]
pub struct Merchant {
    /// `mer_…` (part of the webhook URLs).
    pub id: String,
    /// Always `merchant`.
    pub object: String,
    /// Display name.
    pub name: String,
    /// Lowercase ISO 4217 currency.
    pub default_currency: String,
    /// Clicks and leads older than this many days are purged (checked every job interval);
    /// null keeps them.
    pub retention_days: Option<i64>,
    /// Created at (UTC epoch ms).
    pub created_at: i64,
}

impl From<MerchantRow> for Merchant {
    fn from(r: MerchantRow) -> Self {
        Self {
            id: r.id,
            object: "merchant".into(),
            name: r.name,
            default_currency: r.default_currency,
            retention_days: r.retention_days,
            created_at: r.created_at,
        }
    }
}

/// Settings to change; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct UpdateMerchant {
    /// 1–3650 days, or null to keep clicks and leads indefinitely.
    pub retention_days: MaybeUndefined<i64>,
}

/// The merchant's settings.
#[derive(Debug)]
pub struct MerchantApi;

#[OpenApi]
impl MerchantApi {
    /// The calling merchant.
    #[oai(path = "/v1/merchant", method = "get")]
    async fn get(&self, auth: ApiKey, state: poem::web::Data<&AppState>) -> Result<Json<Merchant>, ApiFailure> {
        let m = merchants::get_merchant(&state.db.pool, &auth.0.merchant_id).await?.ok_or(ApiError::NotFound("no such merchant"))?;
        Ok(Json(m.into()))
    }

    /// Changes the merchant's settings.
    #[oai(path = "/v1/merchant", method = "patch")]
    async fn update(
        &self,
        auth: ApiKey,
        state: poem::web::Data<&AppState>,
        body: Json<UpdateMerchant>,
    ) -> Result<Json<Merchant>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        match body.0.retention_days {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => merchants::set_retention(&state.db.pool, merchant, None).await?,
            MaybeUndefined::Value(d) if (1..=3650).contains(&d) => merchants::set_retention(&state.db.pool, merchant, Some(d)).await?,
            MaybeUndefined::Value(_) => {
                return Err(ApiError::bad_request("invalid_request", "retention_days must be 1 to 3650, or null").into());
            }
        }
        let m = merchants::get_merchant(&state.db.pool, merchant).await?.ok_or(ApiError::NotFound("no such merchant"))?;
        Ok(Json(m.into()))
    }
}
