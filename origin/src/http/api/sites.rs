//! `/v1/sites`: the merchant's tracked sites and the origins allowed to send clicks.

use payref_shared::{SiteKey, WebOrigin};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::list::list_endpoint;
use crate::http::State;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::storage::sites::{self, SiteRow as Site};

/// Most allowed origins per site.
pub const MAX_ORIGINS: usize = 50;

/// A new site.
#[derive(Debug, Object)]
pub struct CreateSite {
    /// Required. Public key, 1–64 characters of `[A-Za-z0-9_-]`, unique across payref.
    pub site_key: Option<String>,
    /// Display name, 1–200 characters (default: the key).
    pub name: Option<String>,
    /// Up to 50 origins, e.g. `https://shop.example.com`.
    pub allowed_origins: Option<Vec<String>>,
}

/// Changes to a site; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct UpdateSite {
    /// Display name.
    pub name: Option<String>,
    /// Replaces the allowed origins.
    pub allowed_origins: Option<Vec<String>>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

fn check_name(name: Option<String>) -> Result<Option<String>, ApiError> {
    match name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() || n.chars().count() > 200 => Err(invalid("name must be 1 to 200 characters")),
        other => Ok(other),
    }
}

/// Normalises each origin, dropping repeats; the message names the one at fault.
fn check_origins(origins: Option<Vec<String>>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(origins) = origins else { return Ok(None) };
    if origins.len() > MAX_ORIGINS {
        return Err(invalid(format!("allowed_origins holds at most {MAX_ORIGINS} origins")));
    }
    let mut out: Vec<String> = Vec::with_capacity(origins.len());
    for (i, o) in origins.iter().enumerate() {
        let o = WebOrigin::parse(o).map_err(|e| invalid(format!("allowed_origins[{i}] {e}")))?;
        if !out.iter().any(|seen| seen == o.as_str()) {
            out.push(o.as_str().to_owned());
        }
    }
    Ok(Some(out))
}

const NO_SUCH: ApiError = ApiError::NotFound("no such site");

list_endpoint! {
    /// The list of sites.
    SiteListApi;
    /// Lists sites, newest first.
    GET "/v1/sites" => Site, cursor in sites::LIST, "Id of the last site of the previous page.";
    filters {}
    |pool, merchant, page| sites::list(pool, merchant, page)
}

/// Sites.
#[derive(Debug, Default)]
pub struct SitesApi;

#[OpenApi]
impl SitesApi {
    /// Registers a site.
    #[oai(path = "/v1/sites", method = "post")]
    async fn create(&self, auth: ApiKey, state: State<'_>, body: Json<CreateSite>) -> Result<Json<Site>, ApiFailure> {
        auth.0.require_write()?;
        let b = body.0;
        let key = b.site_key.ok_or_else(|| invalid("site_key is required"))?;
        let key = SiteKey::parse(key.trim()).map_err(|e| invalid(format!("site_key is invalid: {e}")))?;
        let name = check_name(b.name)?.unwrap_or_else(|| key.as_str().to_owned());
        let origins = check_origins(b.allowed_origins)?.unwrap_or_default();
        let created = sites::create(&state.db.pool, &auth.0.merchant_id, key.as_str(), &name, &origins, crate::now_ms())
            .await?
            .ok_or_else(|| ApiError::Conflict { code: "site_key_taken", message: format!("site_key {key} is already registered") })?;
        Ok(Json(created))
    }

    /// Retrieves a site.
    #[oai(path = "/v1/sites/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Site>, ApiFailure> {
        Ok(Json(sites::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(NO_SUCH)?))
    }

    /// Updates a site's name or allowed origins.
    #[oai(path = "/v1/sites/:id", method = "patch")]
    async fn update(&self, auth: ApiKey, state: State<'_>, id: Path<String>, body: Json<UpdateSite>) -> Result<Json<Site>, ApiFailure> {
        auth.0.require_write()?;
        let name = check_name(body.0.name)?;
        let origins = check_origins(body.0.allowed_origins)?;
        let updated = sites::update(&state.db.pool, &auth.0.merchant_id, &id.0, name.as_deref(), origins.as_deref(), crate::now_ms())
            .await?
            .ok_or(NO_SUCH)?;
        Ok(Json(updated))
    }
}
