//! Clicks forwarded by the edge, idempotent by (merchant, click id).

use sqlx::AnyConnection;

use super::StorageError;

/// A click ready to store.
#[derive(Debug, Clone)]
pub struct NewClick {
    /// Whose click.
    pub merchant_id: String,
    /// The click's id (text form).
    pub click_id: String,
    /// The site it landed on.
    pub site_id: String,
    /// The affiliate the code names, when it names one.
    pub affiliate_id: Option<String>,
    /// The referral code as sent.
    pub code: String,
    /// Landing page URL.
    pub landing_url: String,
    /// `document.referrer`.
    pub referrer: String,
    /// `utm_*` parameters as a JSON object.
    pub utm_json: String,
    /// Country from the edge.
    pub country: Option<String>,
    /// When the edge received it.
    pub received_at: i64,
}

/// Inserts a click unless it is already stored; returns whether it was new.
pub async fn insert_click(conn: &mut AnyConnection, c: &NewClick, stored_at: i64) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO clicks (merchant_id, click_id, site_id, affiliate_id, code, landing_url, referrer, utm, country, received_at, stored_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (merchant_id, click_id) DO NOTHING",
    )
    .bind(&c.merchant_id)
    .bind(&c.click_id)
    .bind(&c.site_id)
    .bind(&c.affiliate_id)
    .bind(&c.code)
    .bind(&c.landing_url)
    .bind(&c.referrer)
    .bind(&c.utm_json)
    .bind(&c.country)
    .bind(c.received_at)
    .bind(stored_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a click is stored for this merchant.
pub async fn click_exists(conn: &mut AnyConnection, merchant_id: &str, click_id: &str) -> Result<bool, StorageError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM clicks WHERE merchant_id = $1 AND click_id = $2")
        .bind(merchant_id)
        .bind(click_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}
