//! Merchant API authentication: `Authorization: Bearer <api key>`.

use poem::Request;

use super::AppState;
use super::error::ApiError;
use crate::domain::api_key::{Scope, hash_token};
use crate::storage::merchants;

/// The merchant a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Every query is scoped to this merchant.
    pub merchant_id: String,
    /// What the key may do.
    pub scope: Scope,
}

/// Resolves the bearer key of `req`; 401 when absent, unknown or revoked.
pub async fn caller(req: &Request, state: &AppState) -> Result<Caller, ApiError> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized("send Authorization: Bearer <api key>"))?;
    let (merchant_id, scope) = merchants::api_key_owner(&state.db.pool, &hash_token(token.trim()))
        .await?
        .ok_or(ApiError::Unauthorized("API key is not valid"))?;
    Ok(Caller { merchant_id, scope })
}
