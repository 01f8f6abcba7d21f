//! The merchant's tracked sites: public key, name and the origins allowed to send clicks.

use sqlx::{AnyExecutor, AnyPool};

use super::StorageError;
use super::list::Listing;
use super::page::{Page, PageRequest};
use crate::domain::ids::new_id;

/// A site as stored.
#[derive(Debug, Clone)]
pub struct SiteRow {
    /// `site_…`.
    pub id: String,
    /// Whose site.
    pub merchant_id: String,
    /// The public key on the tracker's tag.
    pub site_key: String,
    /// Display name.
    pub name: String,
    /// Normalised origins allowed to send clicks.
    pub allowed_origins: Vec<String>,
    /// Created, UTC epoch ms.
    pub created_at: i64,
    /// Last changed, UTC epoch ms.
    pub updated_at: i64,
}

type Row = (String, String, String, String, String, i64, i64);

/// The merchant's sites, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, merchant_id, site_key, name, allowed_origins, created_at, updated_at FROM sites",
    table: "sites",
    created: "created_at",
    id: "id",
};

fn from_row(r: Row) -> Result<SiteRow, StorageError> {
    let allowed_origins =
        serde_json::from_str(&r.4).map_err(|e| StorageError::Corrupt(format!("site {} allowed_origins {:?}: {e}", r.0, r.4)))?;
    Ok(SiteRow { id: r.0, merchant_id: r.1, site_key: r.2, name: r.3, allowed_origins, created_at: r.5, updated_at: r.6 })
}

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
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(pool, merchant_id, &id).await
}

/// One of the merchant's sites.
pub async fn get(conn: impl AnyExecutor<'_>, merchant_id: &str, id: &str) -> Result<Option<SiteRow>, StorageError> {
    LIST.get::<Row>(conn, merchant_id, id).await?.map(from_row).transpose()
}

/// A site by its public key, whoever's it is (the edge and the ingest path know only the key).
pub async fn by_key(conn: impl AnyExecutor<'_>, site_key: &str) -> Result<Option<SiteRow>, StorageError> {
    let sql = format!("{} WHERE site_key = $1", LIST.select);
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(site_key).fetch_optional(conn).await?;
    row.map(from_row).transpose()
}

/// A page of the merchant's sites, newest first.
pub async fn list(pool: &AnyPool, merchant_id: &str, page: &PageRequest) -> Result<Page<SiteRow>, StorageError> {
    let rows: Page<Row> = LIST.query().filter("merchant_id = {}", merchant_id).page(pool, page).await?;
    rows.try_map(from_row)
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
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(pool, merchant_id, id).await
}
