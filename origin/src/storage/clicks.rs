//! Clicks forwarded by the edge: stored in multi-row inserts, idempotent by (merchant, click id).

use sqlx::{AnyConnection, AnyPool};

use super::list::Listing;
use super::page::{Page, PageRequest, placeholder_list, values_rows};
use super::{JsonText, StorageError};
use crate::domain::attribution::{Click, VisitorClick};
use crate::domain::click::Seen;

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
    /// The edge's visitor hash.
    pub visitor: Option<String>,
    /// Coarse device class.
    pub device: Option<String>,
    /// The counted click this one repeats.
    pub duplicate_of: Option<String>,
    /// When the edge received it.
    pub received_at: i64,
}

/// The inserted columns, in bind order.
pub const INSERT_COLUMNS: &str = "merchant_id, click_id, site_id, affiliate_id, code, landing_url, referrer, utm, country, visitor, device, \
                              duplicate_of, received_at, stored_at";
/// Columns per inserted row.
pub const PER_ROW: usize = 14;
/// Rows per statement: 14 parameters each stays far below either backend's limit.
pub const ROWS_PER_INSERT: usize = 500;

/// Inserts clicks in multi-row statements; returns the ids actually inserted (a redelivered
/// click is skipped by its primary key).
pub async fn insert_many(conn: &mut AnyConnection, rows: &[NewClick], stored_at: i64) -> Result<Vec<String>, StorageError> {
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO clicks ({INSERT_COLUMNS}) VALUES {} ON CONFLICT (merchant_id, click_id) DO NOTHING RETURNING click_id",
            values_rows(chunk.len(), PER_ROW)
        );
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for c in chunk {
            q = q
                .bind(&c.merchant_id)
                .bind(&c.click_id)
                .bind(&c.site_id)
                .bind(&c.affiliate_id)
                .bind(&c.code)
                .bind(&c.landing_url)
                .bind(&c.referrer)
                .bind(&c.utm_json)
                .bind(&c.country)
                .bind(&c.visitor)
                .bind(&c.device)
                .bind(&c.duplicate_of)
                .bind(c.received_at)
                .bind(stored_at);
        }
        inserted.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(id,)| id));
    }
    Ok(inserted)
}

/// Counted (non-repeat) clicks of these visitors received in `[from, to)`, for de-duplication.
pub async fn counted_near(
    conn: &mut AnyConnection,
    merchant_id: &str,
    visitors: &[&str],
    from: i64,
    to: i64,
) -> Result<Vec<Seen>, StorageError> {
    let mut out = Vec::new();
    for chunk in visitors.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "SELECT visitor, code, click_id, received_at FROM clicks WHERE merchant_id = $1 AND received_at >= $2 AND received_at < $3 \
             AND duplicate_of IS NULL AND visitor IN ({})",
            placeholder_list(4, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, String, String, i64)>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(from).bind(to);
        for v in chunk {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        out.extend(rows.into_iter().map(|(visitor, code, click_id, received_at)| Seen { visitor, code, click_id, received_at }));
    }
    Ok(out)
}

/// The stored click, if the beacon reached us (an ad blocker may have stopped it).
pub async fn evidence(conn: &mut AnyConnection, merchant_id: &str, click_id: &str) -> Result<Option<Click>, StorageError> {
    let row: Option<(String, Option<String>, Option<String>, i64)> =
        sqlx::query_as("SELECT click_id, affiliate_id, visitor, received_at FROM clicks WHERE merchant_id = $1 AND click_id = $2")
            .bind(merchant_id)
            .bind(click_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(click_id, affiliate_id, visitor, received_at)| Click { click_id, affiliate_id, visitor, received_at }))
}

/// A visitor's first and last counted referral clicks received in `[from, to]` (one when
/// they are the same click, none when there is none): all that first- and last-click
/// attribution can credit, read as two rows however many clicks the visitor made.
pub async fn visitor_first_and_last(
    conn: &mut AnyConnection,
    merchant_id: &str,
    visitor: &str,
    (from, to): (i64, i64),
) -> Result<Vec<VisitorClick>, StorageError> {
    let mut out: Vec<VisitorClick> = Vec::with_capacity(2);
    for order in ["ASC", "DESC"] {
        let sql = format!(
            "SELECT click_id, affiliate_id, received_at FROM clicks WHERE merchant_id = $1 AND visitor = $2 \
             AND received_at >= $3 AND received_at <= $4 AND affiliate_id IS NOT NULL AND duplicate_of IS NULL \
             ORDER BY received_at {order}, click_id {order} LIMIT 1"
        );
        let row: Option<(String, String, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(visitor).bind(from).bind(to).fetch_optional(&mut *conn).await?;
        if let Some((click_id, affiliate_id, received_at)) = row.filter(|r| out.iter().all(|c| c.click_id != r.0)) {
            out.push(VisitorClick { click_id, affiliate_id, received_at });
        }
    }
    Ok(out)
}

/// A referral visit, as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Click")]
pub struct ClickRow {
    /// The click id (also inside `client_reference_id`).
    pub id: String,
    /// Always `click`.
    pub object: String,
    /// The site it landed on.
    pub site_id: String,
    /// The affiliate the code named, when it names one of yours.
    pub affiliate_id: Option<String>,
    /// The referral code as sent.
    pub code: String,
    /// Landing page.
    pub landing_url: String,
    /// The page the visitor came from.
    pub referrer: String,
    /// `utm_*` parameters.
    #[sqlx(try_from = "String")]
    pub utm: JsonText,
    /// ISO 3166 country from the edge.
    pub country: Option<String>,
    /// desktop, mobile or tablet.
    pub device: Option<String>,
    /// Set on a repeat (same visitor and code within 24 hours): the counted click it repeats.
    pub repeat_of: Option<String>,
    /// Received at the edge (UTC epoch ms).
    pub created_at: i64,
}

/// The merchant's clicks, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT click_id AS id, 'click' AS object, site_id, affiliate_id, code, landing_url, referrer, utm, country, device, \
             duplicate_of AS repeat_of, received_at AS created_at FROM clicks",
    table: "clicks",
    created: "received_at",
    id: "click_id",
};

/// Filters of a click listing.
#[derive(Debug, Clone, Default)]
pub struct ClickFilter {
    /// Only this affiliate's.
    pub affiliate_id: Option<String>,
    /// Received at or after.
    pub received_gte: Option<i64>,
    /// Received before.
    pub received_lt: Option<i64>,
    /// Include repeats (left out by default: they are not counted).
    pub include_repeats: bool,
}

/// A page of the merchant's clicks, newest first.
pub async fn list(pool: &AnyPool, merchant_id: &str, f: &ClickFilter, page: &PageRequest) -> Result<Page<ClickRow>, StorageError> {
    let q = LIST.of(merchant_id).affiliate(f.affiliate_id.as_deref()).between((f.received_gte, f.received_lt));
    q.only((!f.include_repeats).then_some("duplicate_of IS NULL")).page(pool, page).await
}
