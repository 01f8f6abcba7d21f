//! The merchant's tracked sites: public key, name and the origins allowed to send clicks.

use sqlx::{AnyExecutor, AnyPool};

use super::StorageError;
use super::list::Listing;
use super::page::{Page, PageRequest};
use crate::domain::ids::new_id;

/// A tracked site, as stored and as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Site")]
pub struct SiteRow {
    /// `site_…`.
    pub id: String,
    /// Always `site`.
    pub object: String,
    /// Whose site (the API shows only the caller's own).
    #[oai(skip)]
    pub merchant_id: String,
    /// The public key on the tracker's tag (`data-site`).
    pub site_key: String,
    /// Display name.
    pub name: String,
    /// Origins whose pages may send clicks, normalised (`https://shop.example.com`); empty
    /// means not restricted yet.
    #[sqlx(try_from = "String")]
    pub allowed_origins: Origins,
    /// Created at (UTC epoch ms).
    pub created_at: i64,
    /// Last changed (UTC epoch ms).
    pub updated_at: i64,
}

/// A site's allowed origins, stored as a JSON array.
#[derive(Debug, Clone, Default, PartialEq, Eq, poem_openapi::NewType)]
#[oai(from_parameter = false, from_multipart = false, to_header = false)]
pub struct Origins(pub Vec<String>);

impl TryFrom<String> for Origins {
    type Error = String;

    fn try_from(stored: String) -> Result<Self, String> {
        serde_json::from_str(&stored).map(Self).map_err(|e| format!("allowed_origins {stored:?}: {e}"))
    }
}

/// The merchant's sites, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, 'site' AS object, merchant_id, site_key, name, allowed_origins, created_at, updated_at FROM sites",
    table: "sites",
    created: "created_at",
    id: "id",
};

fn origins_json(origins: &[String]) -> String {
    serde_json::to_string(origins).unwrap_or_else(|_| "[]".into())
}

/// Registers a site; `None` when the key is already registered (keys are global: the edge
/// looks sites up by key alone).
pub async fn create(
    pool: &AnyPool,
    merchant_id: &str,
    site_key: &str,
    name: &str,
    origins: &[String],
    now: i64,
) -> Result<Option<SiteRow>, StorageError> {
    let id = new_id("site");
    let done = sqlx::query(
        "INSERT INTO sites (id, merchant_id, site_key, name, allowed_origins, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (site_key) DO NOTHING",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(site_key)
    .bind(name)
    .bind(origins_json(origins))
    .bind(now)
    .execute(pool)
    .await?;
    LIST.written(done, pool, merchant_id, &id).await
}

/// One of the merchant's sites.
pub async fn get(conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<SiteRow>, StorageError> {
    LIST.get(conn, merchant_id, id).await
}

/// A site by its public key, whoever's it is (the edge and the ingest path know only the key).
pub async fn by_key(conn: impl AnyExecutor<'_>, site_key: &str) -> Result<Option<SiteRow>, StorageError> {
    let sql = format!("{} WHERE site_key = $1", LIST.select);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(site_key).fetch_optional(conn).await?)
}

/// A page of the merchant's sites, newest first.
pub async fn list(pool: &AnyPool, merchant_id: &str, page: &PageRequest) -> Result<Page<SiteRow>, StorageError> {
    LIST.of(merchant_id).page(pool, page).await
}

/// Changes a site's name and/or allowed origins; `None` when the merchant has no such site.
pub async fn update(
    pool: &AnyPool,
    merchant_id: &str,
    id: &str,
    name: Option<&str>,
    origins: Option<&[String]>,
    now: i64,
) -> Result<Option<SiteRow>, StorageError> {
    let done = sqlx::query(
        "UPDATE sites SET name = COALESCE($1, name), allowed_origins = COALESCE($2, allowed_origins), updated_at = $3 \
         WHERE merchant_id = $4 AND id = $5",
    )
    .bind(name)
    .bind(origins.map(origins_json))
    .bind(now)
    .bind(merchant_id)
    .bind(id)
    .execute(pool)
    .await?;
    LIST.written(done, pool, merchant_id, id).await
}
