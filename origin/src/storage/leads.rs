//! Leads: an identified visitor (an HMAC of their email hash) and the click they carried.

use sqlx::{AnyConnection, AnyPool};

use super::StorageError;
use super::list::Listing;
use super::page::{Page, PageRequest, values_rows};
use crate::domain::lead::VISITOR_EMAILS_WINDOW_MS;

/// A lead ready to store.
#[derive(Debug, Clone)]
pub struct NewLead {
    /// `led_…`.
    pub id: String,
    /// Whose lead.
    pub merchant_id: String,
    /// The site it came from.
    pub site_id: String,
    /// The click the visitor carried.
    pub click_id: String,
    /// HMAC of the email hash.
    pub email_key: String,
    /// When the edge received it.
    pub received_at: i64,
    /// The edge's daily visitor hash of the identify call, when it had one.
    pub visitor: Option<String>,
}

const PER_ROW: usize = 8;
const ROWS_PER_INSERT: usize = 500;

/// Inserts leads in multi-row statements; returns how many were new (the same email with the
/// same click is one lead, however often it is sent).
pub async fn insert_many(conn: &mut AnyConnection, rows: &[NewLead], created_at: i64) -> Result<usize, StorageError> {
    let mut inserted = 0;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO leads (id, merchant_id, site_id, click_id, email_hmac, received_at, created_at, visitor) VALUES {} \
             ON CONFLICT (merchant_id, email_hmac, click_id) DO NOTHING",
            values_rows(chunk.len(), PER_ROW)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for l in chunk {
            q = q
                .bind(&l.id)
                .bind(&l.merchant_id)
                .bind(&l.site_id)
                .bind(&l.click_id)
                .bind(&l.email_key)
                .bind(l.received_at)
                .bind(created_at)
                .bind(&l.visitor);
        }
        inserted += usize::try_from(q.execute(&mut *conn).await?.rows_affected()).unwrap_or(0);
    }
    Ok(inserted)
}

/// An identified visitor, as the merchant API shows it (payref keeps only a keyed hash of the
/// email, and never shows it).
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Lead")]
pub struct LeadRow {
    /// `led_…`.
    pub id: String,
    /// Always `lead`.
    pub object: String,
    /// The site.
    pub site_id: String,
    /// The click the visitor carried.
    pub click_id: String,
    /// That click's affiliate, when known.
    pub affiliate_id: Option<String>,
    /// Received at the edge (UTC epoch ms).
    pub created_at: i64,
}

/// The merchant's leads with their click's affiliate, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT l.id, 'lead' AS object, l.site_id, l.click_id, k.affiliate_id, l.received_at AS created_at FROM leads l \
             LEFT JOIN clicks k ON k.merchant_id = l.merchant_id AND k.click_id = l.click_id",
    table: "leads",
    created: "l.received_at",
    id: "l.id",
};

/// A page of the merchant's leads, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    affiliate_id: Option<&str>,
    range: (Option<i64>, Option<i64>),
    page: &PageRequest,
) -> Result<Page<LeadRow>, StorageError> {
    LIST.of(merchant_id).filter_some("k.affiliate_id = {}", affiliate_id).between(range).page(pool, page).await
}

/// The click of the most recent lead with this email key: the visit where the buyer
/// identified themselves.
pub async fn latest_click(conn: &mut AnyConnection, merchant_id: &str, email_key: &str) -> Result<Option<LeadMatch>, StorageError> {
    let row: Option<(String, Option<String>, i64)> = sqlx::query_as(
        "SELECT click_id, visitor, received_at FROM leads WHERE merchant_id = $1 AND email_hmac = $2 ORDER BY received_at DESC, id DESC LIMIT 1",
    )
    .bind(merchant_id)
    .bind(email_key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((click_id, visitor, at)) = row else { return Ok(None) };
    let visitor_emails = match &visitor {
        Some(v) => {
            let known = known_emails(conn, merchant_id, &[v.as_str()], at - VISITOR_EMAILS_WINDOW_MS).await?;
            known.len()
        }
        None => 1,
    };
    Ok(Some(LeadMatch { click_id, visitor, visitor_emails }))
}

/// The latest lead of an email, with what its identify call tells about the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadMatch {
    /// The click the visitor carried.
    pub click_id: String,
    /// The identify call's visitor hash.
    pub visitor: Option<String>,
    /// Distinct emails that visitor identified within a day of this lead (1 when unknown).
    pub visitor_emails: usize,
}

/// The distinct (visitor, email key) pairs of these visitors' leads received since `from`.
pub async fn known_emails(
    conn: &mut AnyConnection,
    merchant_id: &str,
    visitors: &[&str],
    from: i64,
) -> Result<Vec<(String, String)>, StorageError> {
    let mut out = Vec::new();
    for chunk in visitors.chunks(ROWS_PER_INSERT) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT DISTINCT visitor, email_hmac FROM leads WHERE merchant_id = $1 AND received_at >= $2 AND visitor IN ({})",
            list.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(from);
        for v in chunk {
            q = q.bind(*v);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    /// Leads deleted.
    pub leads: u64,
    /// Their clicks deleted (and repeats of them).
    pub clicks: u64,
}

/// Deletes every lead with this email key and the clicks they carried, inside `conn`'s
/// transaction. Conversions and customer bindings stay but lose the link to an erased click.
pub async fn erase(conn: &mut AnyConnection, merchant_id: &str, email_key: &str) -> Result<Erased, StorageError> {
    let clicks: Vec<(String,)> = sqlx::query_as("SELECT click_id FROM leads WHERE merchant_id = $1 AND email_hmac = $2")
        .bind(merchant_id)
        .bind(email_key)
        .fetch_all(&mut *conn)
        .await?;
    let mut erased = Erased::default();
    for (click,) in &clicks {
        for keeper in ["conversions", "customers"] {
            let sql = format!(
                "UPDATE {keeper} SET click_id = NULL WHERE merchant_id = $1 AND click_id IN \
                 (SELECT click_id FROM clicks WHERE merchant_id = $1 AND (click_id = $2 OR duplicate_of = $2))"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(click).execute(&mut *conn).await?;
        }
        let done = sqlx::query("DELETE FROM clicks WHERE merchant_id = $1 AND (click_id = $2 OR duplicate_of = $2)")
            .bind(merchant_id)
            .bind(click)
            .execute(&mut *conn)
            .await?;
        erased.clicks += done.rows_affected();
    }
    let done = sqlx::query("DELETE FROM leads WHERE merchant_id = $1 AND email_hmac = $2")
        .bind(merchant_id)
        .bind(email_key)
        .execute(&mut *conn)
        .await?;
    erased.leads = done.rows_affected();
    Ok(erased)
}
