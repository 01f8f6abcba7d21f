//! Merchant API authentication: `Authorization: Bearer <api key>`, resolved to the merchant
//! every query is scoped to.

use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

use super::AppState;
use super::error::ApiError;
use crate::domain::api_key::{Scope, hash_token};
use crate::storage::audit::Actor;
use crate::storage::merchants;

/// The merchant a request acts for.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Every query is scoped to this merchant.
    pub merchant_id: String,
    /// What the key may do.
    pub scope: Scope,
    /// Who, for the audit trail.
    pub actor: Actor,
}

impl Caller {
    /// 403 unless the key may write.
    pub fn require_write(&self) -> Result<(), ApiError> {
        match self.scope {
            Scope::Write => Ok(()),
            Scope::Read => Err(ApiError::Forbidden("this API key is read-only")),
        }
    }
}

/// A merchant API key, sent as a bearer token.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "prk_…", checker = "check_api_key")]
pub struct ApiKey(pub Caller);

async fn check_api_key(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let state = req.data::<AppState>().ok_or(ApiError::Unauthorized("no application state"))?;
    // The peer's address, not a forwarded header a caller could vary at will.
    let peer = req.remote_addr().as_socket_addr().map(std::net::SocketAddr::ip);
    let now = crate::now_ms();
    if let Some(ip) = peer
        && let Some(ms) = state.auth_failures.lock().ok().and_then(|t| t.refused_for(&ip, now))
    {
        return Err(ApiError::TooManyAttempts((ms + 999) / 1000).into());
    }
    let caller = caller_for_token(state, &bearer.token).await;
    if let (Some(ip), Err(ApiError::Unauthorized(_))) = (peer, &caller)
        && let Ok(mut t) = state.auth_failures.lock()
    {
        t.failed(&ip, now);
    }
    Ok(caller?)
}

/// Resolves a presented token; 401 when unknown or revoked.
pub async fn caller_for_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let owner =
        merchants::api_key_owner(&state.db.pool, &hash_token(token.trim())).await?.ok_or(ApiError::Unauthorized("API key is not valid"))?;
    Ok(Caller { merchant_id: owner.merchant_id, scope: owner.scope, actor: Actor::ApiKey(owner.key_id) })
}
