//! `/v1/discount_mappings`: promotion codes and coupons that credit an affiliate when a buyer
//! uses them (the fourth link of the attribution chain). A promotion code can also be mapped in
//! Stripe by setting its `payref_ref` metadata to the affiliate's code.

use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::DeletedObject;
use super::list::ListOf;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::discounts::{self, MappingRow};
use crate::storage::{StorageError, affiliates};

/// A promotion code or coupon mapped to an affiliate.
#[derive(Debug, Object)]
pub struct DiscountMapping {
    /// Stripe's `promo_…` promotion code id, or a coupon id.
    pub id: String,
    /// Always `discount_mapping`.
    pub object: String,
    /// The code buyers type, for a promotion code payref has seen.
    pub code: Option<String>,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// `metadata` (the promotion code's `payref_ref` in Stripe) or `api`.
    pub source: String,
    /// Last changed, UTC epoch ms.
    pub updated_at: i64,
}

impl From<MappingRow> for DiscountMapping {
    fn from(r: MappingRow) -> Self {
        Self {
            id: r.stripe_id,
            object: "discount_mapping".into(),
            code: r.code,
            affiliate_code: r.ref_code,
            source: r.source,
            updated_at: r.updated_at,
        }
    }
}

/// Mapping a promotion code or coupon.
#[derive(Debug, Object)]
pub struct MapDiscount {
    /// Required. The affiliate credited when a buyer uses it.
    pub affiliate_id: Option<String>,
    /// Live (`true`) or test (`false`, the default) mode.
    pub livemode: Option<bool>,
}

fn stripe_id(id: &str) -> Result<&str, ApiError> {
    let ok = (1..=200).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(ApiError::bad_request(
            "invalid_request",
            "the id must be a Stripe promotion code (promo_…) or coupon id: 1–200 letters, digits, _ or -",
        ))
    }
}

/// Promotion codes and coupons mapped to affiliates.
#[derive(Debug, Default)]
pub struct DiscountsApi;

#[OpenApi]
impl DiscountsApi {
    /// Lists mapped promotion codes and coupons.
    #[oai(path = "/v1/discount_mappings", method = "get")]
    async fn list(
        &self,
        auth: ApiKey,
        state: State<'_>,
        /// Live (`true`) or test (`false`, the default) mode.
        livemode: Query<Option<bool>>,
    ) -> Result<Json<ListOf<DiscountMapping>>, ApiFailure> {
        let rows = discounts::list(&state.db.pool, &auth.0.merchant_id, livemode.0.unwrap_or(false)).await?;
        Ok(ListOf::all(rows))
    }

    /// Maps a promotion code or coupon to an affiliate (replacing any mapping it had).
    #[oai(path = "/v1/discount_mappings/:id", method = "put")]
    async fn put(
        &self,
        auth: ApiKey,
        state: State<'_>,
        id: Path<String>,
        body: Json<MapDiscount>,
    ) -> Result<Json<DiscountMapping>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        let stripe_id = stripe_id(&id.0)?;
        let affiliate_id =
            body.0.affiliate_id.as_deref().ok_or_else(|| ApiError::bad_request("invalid_request", "affiliate_id is required"))?;
        let affiliate = affiliates::get(&state.db.pool, merchant, affiliate_id).await?.ok_or(ApiError::NotFound("no such affiliate"))?;
        let livemode = body.0.livemode.unwrap_or(false);
        let now = crate::now_ms();
        let mut conn = state.db.pool.acquire().await.map_err(StorageError::from)?;
        discounts::record(&mut conn, merchant, livemode, stripe_id, None, Some(&affiliate.code), "api", now / 1000, now).await?;
        let row = discounts::list(&state.db.pool, merchant, livemode)
            .await?
            .into_iter()
            .find(|m| m.stripe_id == stripe_id)
            .ok_or_else(|| ApiError::from(StorageError::Corrupt(format!("mapping {stripe_id} vanished"))))?;
        Ok(Json(row.into()))
    }

    /// Unmaps a promotion code or coupon.
    #[oai(path = "/v1/discount_mappings/:id", method = "delete")]
    async fn delete(
        &self,
        auth: ApiKey,
        state: State<'_>,
        id: Path<String>,
        /// Live (`true`) or test (`false`, the default) mode.
        livemode: Query<Option<bool>>,
    ) -> Result<Json<DeletedObject>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        let stripe_id = stripe_id(&id.0)?;
        let livemode = livemode.0.unwrap_or(false);
        let mut conn = state.db.pool.acquire().await.map_err(StorageError::from)?;
        if discounts::source_of(&mut conn, merchant, livemode, stripe_id).await?.is_none() {
            return Err(ApiError::NotFound("no such mapping").into());
        }
        let now = crate::now_ms();
        discounts::record(&mut conn, merchant, livemode, stripe_id, None, None, "api", now / 1000, now).await?;
        Ok(Json(DeletedObject { id: stripe_id.to_owned(), object: "discount_mapping".into(), deleted: true }))
    }
}
