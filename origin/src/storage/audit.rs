//! The audit trail: what changed what and why — attribution decisions, status changes, by whom.
//! Entries are written in the same transaction as the change they record and never updated.

use sqlx::{AnyConnection, AnyPool};

use super::StorageError;
use super::page::{Conditions, Page, PageRequest};
use crate::domain::ids::new_id;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A merchant API key, by id (never the token).
    ApiKey(String),
    /// A Stripe event, by id.
    Stripe(String),
    /// payref itself (e.g. a hold ending).
    System(&'static str),
    /// An operator at the command line.
    Cli,
}

impl Actor {
    /// The stored form: `api_key:key_…`, `stripe:evt_…`, `system:hold`, `cli`.
    pub fn as_text(&self) -> String {
        match self {
            Self::ApiKey(id) => format!("api_key:{id}"),
            Self::Stripe(id) => format!("stripe:{id}"),
            Self::System(what) => format!("system:{what}"),
            Self::Cli => "cli".into(),
        }
    }
}

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Whose object.
    pub merchant_id: &'a str,
    /// e.g. `commission`, `conversion`, `lead`.
    pub object_type: &'static str,
    /// The object's id.
    pub object_id: &'a str,
    /// e.g. `commission.approved`.
    pub action: &'static str,
    /// Who.
    pub actor: &'a Actor,
    /// Why and with what evidence, as a JSON object.
    pub detail: serde_json::Value,
}

/// Records an entry on `conn` (the transaction making the change).
pub async fn record(conn: &mut AnyConnection, e: &Entry<'_>, now: i64) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_events (id, merchant_id, object_type, object_id, action, actor, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id("aud"))
    .bind(e.merchant_id)
    .bind(e.object_type)
    .bind(e.object_id)
    .bind(e.action)
    .bind(e.actor.as_text())
    .bind(e.detail.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An entry as stored.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// `aud_…`.
    pub id: String,
    /// e.g. `commission`.
    pub object_type: String,
    /// The object's id.
    pub object_id: String,
    /// e.g. `commission.approved`.
    pub action: String,
    /// Who, in its stored form.
    pub actor: String,
    /// JSON object.
    pub detail: serde_json::Value,
    /// When, UTC epoch ms.
    pub created_at: i64,
}

type Row = (String, String, String, String, String, String, i64);

/// A page of the merchant's audit trail, newest first, optionally about one object.
pub async fn list(pool: &AnyPool, merchant_id: &str, object_id: Option<&str>, page: &PageRequest) -> Result<Page<AuditRow>, StorageError> {
    let mut c = Conditions::new();
    c.push("merchant_id = {}");
    if object_id.is_some() {
        c.push("object_id = {}");
    }
    if page.after.is_some() {
        c.push("(created_at, id) < ({}, {})");
    }
    let limit = c.placeholder();
    let sql = format!(
        "SELECT id, object_type, object_id, action, actor, detail, created_at FROM audit_events \
         WHERE {} ORDER BY created_at DESC, id DESC LIMIT {limit}",
        c.to_sql()
    );
    let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(merchant_id);
    if let Some(o) = object_id {
        q = q.bind(o);
    }
    if let Some((at, id)) = &page.after {
        q = q.bind(*at).bind(id);
    }
    let rows = q.bind(page.fetch_limit()).fetch_all(pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let detail = serde_json::from_str(&r.5).map_err(|e| StorageError::Corrupt(format!("audit detail of {}: {e}", r.0)))?;
        out.push(AuditRow { id: r.0, object_type: r.1, object_id: r.2, action: r.3, actor: r.4, detail, created_at: r.6 });
    }
    Ok(Page::from_rows(out, page))
}

/// The (created_at, id) position of an entry, for `starting_after`.
pub async fn position(pool: &AnyPool, merchant_id: &str, id: &str) -> Result<Option<(i64, String)>, StorageError> {
    Ok(sqlx::query_as("SELECT created_at, id FROM audit_events WHERE merchant_id = $1 AND id = $2")
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(pool)
        .await?)
}
