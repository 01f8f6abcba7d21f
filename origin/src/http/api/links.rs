//! `/v1/links`: affiliate redirect links, served by the edge at `/r/{slug}`.

use payref_shared::LinkSlug;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::DeletedObject;
use super::list::list_endpoint;
use crate::domain::link::check_destination;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::http::{AppState, State};
use crate::storage::links::{self, LinkRow as Link, NewLink, Updated};
use crate::storage::{affiliates, sites};

/// A new link.
#[derive(Debug, Object)]
pub struct CreateLink {
    /// Required. The site whose edge serves it.
    pub site_id: Option<String>,
    /// Required. The affiliate credited.
    pub affiliate_id: Option<String>,
    /// Required. 1–64 characters of `[A-Za-z0-9_-]`, unique within the site.
    pub slug: Option<String>,
    /// Required. An http(s) URL on one of the site's allowed origins, or a Stripe Payment Link.
    pub destination_url: Option<String>,
}

/// Changes to a link; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct UpdateLink {
    /// New slug.
    pub slug: Option<String>,
    /// New destination.
    pub destination_url: Option<String>,
    /// Credit another affiliate.
    pub affiliate_id: Option<String>,
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_request", message)
}

fn check_slug(slug: &str) -> Result<String, ApiError> {
    Ok(LinkSlug::parse(slug.trim()).map_err(|e| invalid(format!("slug is invalid: {e}")))?.as_str().to_owned())
}

async fn check_affiliate(state: &AppState, merchant: &str, id: &str) -> Result<(), ApiError> {
    match affiliates::get(&state.db.pool, merchant, id).await? {
        Some(_) => Ok(()),
        None => Err(invalid("affiliate_id names no affiliate of yours")),
    }
}

/// The site's allowed origins, or a 400 naming `site_id`.
async fn site_origins(state: &AppState, merchant: &str, site_id: &str) -> Result<Vec<String>, ApiError> {
    let site = sites::get(&state.db.pool, merchant, site_id).await?.ok_or_else(|| invalid("site_id names no site of yours"))?;
    Ok(site.allowed_origins.0)
}

fn slug_taken(slug: &str) -> ApiError {
    ApiError::Conflict { code: "slug_taken", message: format!("slug {slug} is already used on this site") }
}

const NO_SUCH: ApiError = ApiError::NotFound("no such link");

list_endpoint! {
    /// The list of links.
    LinkListApi;
    /// Lists links, newest first.
    GET "/v1/links" => Link, cursor in links::LIST, "Id of the last link of the previous page.";
    filters {
        /// Only this affiliate's links.
        affiliate_id: Option<String>,
        /// Only this site's links.
        site_id: Option<String>,
    }
    |pool, merchant, page| links::list(pool, merchant, affiliate_id.as_deref(), site_id.as_deref(), page)
}

/// Links.
#[derive(Debug, Default)]
pub struct LinksApi;

#[OpenApi]
impl LinksApi {
    /// Creates a link.
    #[oai(path = "/v1/links", method = "post")]
    async fn create(&self, auth: ApiKey, state: State<'_>, body: Json<CreateLink>) -> Result<Json<Link>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        let b = body.0;
        let site_id = b.site_id.ok_or_else(|| invalid("site_id is required"))?;
        let affiliate_id = b.affiliate_id.ok_or_else(|| invalid("affiliate_id is required"))?;
        let slug = check_slug(&b.slug.ok_or_else(|| invalid("slug is required"))?)?;
        let destination = b.destination_url.ok_or_else(|| invalid("destination_url is required"))?;
        let origins = site_origins(&state, merchant, &site_id).await?;
        check_affiliate(&state, merchant, &affiliate_id).await?;
        let destination_url = check_destination(&destination, &origins).map_err(invalid)?;
        let new = NewLink { site_id, affiliate_id, slug, destination_url };
        let created = links::insert(&state.db.pool, merchant, &new, crate::now_ms()).await?.ok_or_else(|| slug_taken(&new.slug))?;
        Ok(Json(created))
    }

    /// Retrieves a link.
    #[oai(path = "/v1/links/:id", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<Link>, ApiFailure> {
        Ok(Json(links::get(&state.db.pool, &auth.0.merchant_id, &id.0).await?.ok_or(NO_SUCH)?))
    }

    /// Updates a link; absent fields stay as they are.
    #[oai(path = "/v1/links/:id", method = "patch")]
    async fn update(&self, auth: ApiKey, state: State<'_>, id: Path<String>, body: Json<UpdateLink>) -> Result<Json<Link>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        let b = body.0;
        let current = links::get(&state.db.pool, merchant, &id.0).await?.ok_or(NO_SUCH)?;
        let slug = b.slug.as_deref().map(check_slug).transpose()?;
        if let Some(a) = &b.affiliate_id {
            check_affiliate(&state, merchant, a).await?;
        }
        let destination = match b.destination_url {
            Some(d) => Some(check_destination(&d, &site_origins(&state, merchant, &current.site_id).await?).map_err(invalid)?),
            None => None,
        };
        match links::update(
            &state.db.pool,
            merchant,
            &id.0,
            slug.as_deref(),
            destination.as_deref(),
            b.affiliate_id.as_deref(),
            crate::now_ms(),
        )
        .await?
        {
            Updated::Yes(row) => Ok(Json(row)),
            Updated::NotFound => Err(NO_SUCH.into()),
            Updated::SlugTaken => Err(slug_taken(slug.as_deref().unwrap_or_default()).into()),
        }
    }

    /// Deletes a link; the edge stops serving it once its cache expires.
    #[oai(path = "/v1/links/:id", method = "delete")]
    async fn delete(&self, auth: ApiKey, state: State<'_>, id: Path<String>) -> Result<Json<DeletedObject>, ApiFailure> {
        auth.0.require_write()?;
        if links::delete(&state.db.pool, &auth.0.merchant_id, &id.0).await? {
            Ok(Json(DeletedObject { id: id.0, object: "link".into(), deleted: true }))
        } else {
            Err(NO_SUCH.into())
        }
    }
}
