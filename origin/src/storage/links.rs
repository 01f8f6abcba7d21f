//! Affiliate redirect links (slug unique per site → destination), scoped to their merchant.

use sqlx::AnyPool;

use super::StorageError;
use super::list::Listing;
use super::page::{Page, PageRequest};
use crate::domain::ids::new_id;

/// An affiliate redirect link, as stored and as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Link")]
pub struct LinkRow {
    /// `lnk_…`.
    pub id: String,
    /// Always `link`.
    pub object: String,
    /// The site whose edge serves it.
    pub site_id: String,
    /// The affiliate credited.
    pub affiliate_id: String,
    /// `/r/{slug}` on the edge; unique within the site.
    pub slug: String,
    /// Where visitors are sent (with the referral added).
    pub destination_url: String,
    /// Created at (UTC epoch ms).
    pub created_at: i64,
    /// Last changed (UTC epoch ms).
    pub updated_at: i64,
}

/// The merchant's links, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, 'link' AS object, site_id, affiliate_id, slug, destination_url, created_at, updated_at FROM links",
    table: "links",
    created: "created_at",
    id: "id",
};

/// What creating a link needs (each part already checked to be the merchant's and valid).
#[derive(Debug, Clone)]
pub struct NewLink {
    /// The site.
    pub site_id: String,
    /// The affiliate.
    pub affiliate_id: String,
    /// The slug.
    pub slug: String,
    /// The destination.
    pub destination_url: String,
}

/// Creates a link; `None` when the slug is taken on that site.
pub async fn insert(pool: &AnyPool, merchant_id: &str, new: &NewLink, now: i64) -> Result<Option<LinkRow>, StorageError> {
    let id = new_id("lnk");
    let done = sqlx::query(
        "INSERT INTO links (id, merchant_id, site_id, affiliate_id, slug, destination_url, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (site_id, slug) DO NOTHING",
    )
    .bind(&id)
    .bind(merchant_id)
    .bind(&new.site_id)
    .bind(&new.affiliate_id)
    .bind(&new.slug)
    .bind(&new.destination_url)
    .bind(now)
    .execute(pool)
    .await?;
    LIST.written(done, pool, merchant_id, &id).await
}

/// One of the merchant's links.
pub async fn get(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<LinkRow>, StorageError> {
    LIST.get(pool, merchant_id, id).await
}

/// A page of the merchant's links, newest first, optionally one affiliate's or one site's.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    affiliate_id: Option<&str>,
    site_id: Option<&str>,
    page: &PageRequest,
) -> Result<Page<LinkRow>, StorageError> {
    LIST.of(merchant_id).affiliate(affiliate_id).filter_some("site_id = {}", site_id).page(pool, page).await
}

/// What an update came to.
#[derive(Debug)]
pub enum Updated {
    /// Changed; the link as it now is.
    Yes(LinkRow),
    /// No such link for this merchant.
    NotFound,
    /// The new slug is taken on the site.
    SlugTaken,
}

/// Changes a link's slug, destination and/or affiliate (each already checked); a slug taken
/// on the site is refused by the unique constraint.
pub async fn update(
    pool: &AnyPool,
    merchant_id: &str,
    id: &str,
    slug: Option<&str>,
    destination_url: Option<&str>,
    affiliate_id: Option<&str>,
    now: i64,
) -> Result<Updated, StorageError> {
    let done = sqlx::query(
        "UPDATE links SET slug = COALESCE($1, slug), destination_url = COALESCE($2, destination_url), \
         affiliate_id = COALESCE($3, affiliate_id), updated_at = $4 WHERE merchant_id = $5 AND id = $6",
    )
    .bind(slug)
    .bind(destination_url)
    .bind(affiliate_id)
    .bind(now)
    .bind(merchant_id)
    .bind(id)
    .execute(pool)
    .await;
    match done {
        Ok(done) if done.rows_affected() == 0 => Ok(Updated::NotFound),
        Ok(_) => Ok(get(pool, merchant_id, id).await?.map_or(Updated::NotFound, Updated::Yes)),
        // The (site_id, slug) constraint decides, so two concurrent updates cannot both take it.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Updated::SlugTaken),
        Err(e) => Err(e.into()),
    }
}

/// Deletes a link; returns whether the merchant had it.
pub async fn delete(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<bool, StorageError> {
    let done = sqlx::query("DELETE FROM links WHERE merchant_id = $1 AND id = $2").bind(merchant_id).bind(id).execute(pool).await?;
    Ok(done.rows_affected() == 1)
}

/// A link as the edge serves it: the destination, and the code to add when the affiliate is
/// active (a paused or banned affiliate's link still takes visitors to the page, uncredited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLink {
    /// The slug.
    pub slug: String,
    /// Where to send the visitor.
    pub destination_url: String,
    /// The affiliate's code, when it is active.
    pub code: Option<String>,
}

/// Looks a link up by site key and slug, for the edge.
pub async fn for_edge(pool: &AnyPool, site_key: &str, slug: &str) -> Result<Option<EdgeLink>, StorageError> {
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT l.slug, l.destination_url, a.code, a.status FROM links l \
         JOIN sites s ON s.id = l.site_id JOIN affiliates a ON a.id = l.affiliate_id \
         WHERE s.site_key = $1 AND l.slug = $2",
    )
    .bind(site_key)
    .bind(slug)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(slug, destination_url, code, status)| EdgeLink { slug, destination_url, code: (status == "active").then_some(code) }))
}
