//! What the edge fetches to fill its KV cache: a site's configuration and a link by slug.
//! Both are `GET`s signed with the edge ↔ origin secret over `"GET <path>"`.

use payref_shared::edge_config::{LinkTarget, SiteConfig, signed_payload};
use payref_shared::signature;
use poem::web::{Data, Json, Path};
use poem::{Request, handler};

use super::AppState;
use super::error::ApiError;
use crate::now_ms;
use crate::storage::{links, sites};

/// 400 unless the request carries a valid signature of its method and path.
fn verify(req: &Request, state: &AppState) -> Result<(), ApiError> {
    let header = req
        .headers()
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request("missing_signature", "Payref-Signature header is required"))?;
    let secrets: Vec<&[u8]> = state.edge_secrets.iter().map(Vec::as_slice).collect();
    let payload = signed_payload(req.method().as_str(), req.uri().path());
    signature::verify(header, &payload, &secrets, now_ms()).map_err(|e| ApiError::bad_request("bad_signature", e.to_string()))?;
    Ok(())
}

/// `GET /v1/edge/sites/{site_key}`.
#[handler]
pub async fn site_config(req: &Request, Path(site_key): Path<String>, Data(state): Data<&AppState>) -> Result<Json<SiteConfig>, ApiError> {
    verify(req, state)?;
    let site = sites::by_key(&state.db.pool, &site_key).await?.ok_or(ApiError::NotFound("no such site"))?;
    Ok(Json(SiteConfig { site_key: site.site_key, allowed_origins: site.allowed_origins.0 }))
}

/// `GET /v1/edge/sites/{site_key}/links/{slug}`.
#[handler]
pub async fn link(
    req: &Request,
    Path((site_key, slug)): Path<(String, String)>,
    Data(state): Data<&AppState>,
) -> Result<Json<LinkTarget>, ApiError> {
    verify(req, state)?;
    let link = links::for_edge(&state.db.pool, &site_key, &slug).await?.ok_or(ApiError::NotFound("no such link"))?;
    Ok(Json(LinkTarget { slug: link.slug, destination_url: link.destination_url, code: link.code }))
}
