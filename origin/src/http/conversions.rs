//! `GET /v1/conversions`: the merchant's attributed sales with their commissions.

use poem::web::{Data, Json, Query};
use poem::{Request, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::{AppState, auth};
use crate::storage::conversions::list_conversions;

/// Query parameters.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    /// Live (`true`) or test (`false`, default) data; the two never mix.
    #[serde(default)]
    livemode: bool,
    /// Page size, 1–100 (default 50).
    limit: Option<i64>,
}

/// Lists the newest conversions.
#[handler]
pub async fn list(req: &Request, Data(state): Data<&AppState>, params: Result<Query<ListParams>, poem::Error>) -> Result<Json<Value>, ApiError> {
    let caller = auth::caller(req, state).await?;
    let Query(params) = params.map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 100"));
    }
    let data = list_conversions(&state.db.pool, &caller.merchant_id, params.livemode, limit).await?;
    Ok(Json(json!({ "object": "list", "data": data })))
}
