//! Stripe customers bound to the affiliate who brought them, and how the binding was made.

use sqlx::{AnyConnection, AnyPool};

use super::list::Listing;
use super::page::{Page, PageRequest};
use super::{Livemode, StorageError, flag};

/// A Stripe customer credited to an affiliate (their later payments follow the binding), as
/// stored with what Stripe reported of their subscription, and as the merchant API shows it.
#[derive(Debug, Clone, sqlx::FromRow, poem_openapi::Object)]
#[oai(rename = "Customer")]
pub struct CustomerRow {
    /// Stripe's `cus_…` id.
    pub id: String,
    /// Always `customer`.
    pub object: String,
    /// Test or live mode.
    #[sqlx(try_from = "i64")]
    pub livemode: Livemode,
    /// The affiliate the customer is bound to.
    pub affiliate_id: String,
    /// How the binding was made: `client_reference_id`, `lead_email`…
    pub method: String,
    /// The click behind it, when there was one.
    pub click_id: Option<String>,
    /// The Stripe object whose attribution made it (`cs_…`, `in_…`).
    pub source_object_id: String,
    /// Bound at, UTC epoch ms.
    pub created_at: i64,
    /// The status of the customer's latest subscription (`active`, `trialing`, `canceled`…),
    /// when Stripe reported one.
    pub subscription_status: Option<String>,
    /// When the customer canceled (or set the subscription to end), UTC epoch ms.
    pub canceled_at: Option<i64>,
}

/// Bound customers with what Stripe reported of their subscription, newest first.
pub const LIST: Listing = Listing {
    select: "SELECT c.stripe_customer_id AS id, 'customer' AS object, c.livemode, c.affiliate_id, c.method, c.click_id, c.source_object_id, c.created_at, \
             s.subscription_status, s.canceled_at FROM customers c LEFT JOIN stripe_customers s \
             ON s.merchant_id = c.merchant_id AND s.livemode = c.livemode AND s.customer_id = c.stripe_customer_id",
    table: "customers",
    created: "c.created_at",
    id: "c.stripe_customer_id",
};

/// A binding to make.
#[derive(Debug, Clone)]
pub struct NewBinding<'a> {
    /// Whose customer.
    pub merchant_id: &'a str,
    /// Test or live mode.
    pub livemode: bool,
    /// `cus_…`.
    pub customer_id: &'a str,
    /// The affiliate.
    pub affiliate_id: &'a str,
    /// How it was found.
    pub method: &'a str,
    /// The click, when there was one.
    pub click_id: Option<&'a str>,
    /// The Stripe object attributed.
    pub source_object_id: &'a str,
}

/// Binds the customer unless already bound (the first affiliate keeps the customer); returns
/// whether this call made the binding.
pub async fn bind(conn: &mut AnyConnection, b: &NewBinding<'_>, now: i64) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "INSERT INTO customers (merchant_id, livemode, stripe_customer_id, affiliate_id, method, click_id, source_object_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (merchant_id, livemode, stripe_customer_id) DO NOTHING",
    )
    .bind(b.merchant_id)
    .bind(flag(b.livemode))
    .bind(b.customer_id)
    .bind(b.affiliate_id)
    .bind(b.method)
    .bind(b.click_id)
    .bind(b.source_object_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The customer's binding, if any.
pub async fn get(
    conn: &mut AnyConnection,
    merchant_id: &str,
    livemode: bool,
    customer_id: &str,
) -> Result<Option<CustomerRow>, StorageError> {
    let sql = format!("{} WHERE c.merchant_id = $1 AND c.livemode = $2 AND c.stripe_customer_id = $3", LIST.select);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(flag(livemode)).bind(customer_id).fetch_optional(conn).await?)
}

/// A page of bound customers of one mode, newest first.
pub async fn list(
    pool: &AnyPool,
    merchant_id: &str,
    livemode: bool,
    affiliate_id: Option<&str>,
    page: &PageRequest,
) -> Result<Page<CustomerRow>, StorageError> {
    LIST.of(merchant_id).mode(livemode).affiliate(affiliate_id).page(pool, page).await
}

/// The (created_at, id) position of a customer of one mode, for `starting_after`.
pub async fn position(pool: &AnyPool, merchant_id: &str, livemode: bool, customer_id: &str) -> Result<Option<(i64, String)>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT created_at, stripe_customer_id FROM customers WHERE merchant_id = $1 AND livemode = $2 AND stripe_customer_id = $3",
    )
    .bind(merchant_id)
    .bind(flag(livemode))
    .bind(customer_id)
    .fetch_optional(pool)
    .await?)
}
