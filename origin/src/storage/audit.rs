//! The audit trail: what changed what and why — attribution decisions, status changes, by whom.
//! Entries are written in the same transaction as the change they record and never updated.

use sqlx::{AnyConnection, AnyPool};

use super::list::Listing;
use super::page::{Page, PageRequest};
use super::{JsonText, StorageError};
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
    /// A dashboard user, by id.
    User(String),
}

impl Actor {
    /// The stored form: `api_key:key_…`, `stripe:evt_…`, `system:hold`, `cli`, `user:usr_…`.
    pub fn as_text(&self) -> String {
        match self {
            Self::ApiKey(id) => format!("api_key:{id}"),
            Self::Stripe(id) => format!("stripe:{id}"),
            Self::System(what) => format!("system:{what}"),
            Self::Cli => "cli".into(),
            Self::User(id) => format!("user:{id}"),
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

/// One recorded change, as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "AuditEvent")]
pub struct AuditRow {
    /// `aud_…`.
    pub id: String,
    /// Always `audit_event`.
    pub object: String,
    /// The kind of object changed, e.g. `commission`.
    pub object_type: String,
    /// Its id.
    pub object_id: String,
    /// What happened, e.g. `commission.approved`, `conversion.attributed`.
    pub action: String,
    /// Who: `api_key:key_…`, `stripe:evt_…`, `system:hold` or `cli`.
    pub actor: String,
    /// Why and on what evidence.
    #[sqlx(try_from = "String")]
    pub detail: JsonText,
    /// When (UTC epoch ms).
    pub created_at: i64,
}

/// The merchant's audit trail, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT id, 'audit_event' AS object, object_type, object_id, action, actor, detail, created_at FROM audit_events",
    table: "audit_events",
    created: "created_at",
    id: "id",
};

/// A page of the merchant's audit trail, newest first, optionally about one object.
pub async fn list(pool: &AnyPool, merchant_id: &str, object_id: Option<&str>, page: &PageRequest) -> Result<Page<AuditRow>, StorageError> {
    LIST.of(merchant_id).filter_some("object_id = {}", object_id).page(pool, page).await
}
