//! Markers of payments processed, which later events wait on: a subscription's Checkout
//! Session seen (its invoices wait for it, as it binds the customer), and a payment no
//! affiliate brought (its refunds and disputes then settle at once).

use sqlx::AnyConnection;

use super::{StorageError, flag};

/// One kind of marker: a table keyed by merchant, mode and a Stripe id, naming the Stripe
/// object that set it.
#[derive(Debug, Clone, Copy)]
pub struct Marker {
    table: &'static str,
    key: &'static str,
    object: &'static str,
}

/// A subscription (the key) whose Checkout Session (the object) was processed.
pub const SUBSCRIPTION_SESSION_SEEN: Marker = Marker { table: "stripe_subscriptions", key: "subscription_id", object: "session_id" };

/// A PaymentIntent (the key) processed with no affiliate bringing it, from its Checkout
/// Session or invoice (the object).
pub const PAYMENT_UNATTRIBUTED: Marker = Marker { table: "unattributed_payments", key: "payment_intent_id", object: "stripe_object_id" };

impl Marker {
    /// Sets the marker for `key`, once: a later setting keeps the first object.
    pub async fn set(
        &self,
        conn: &mut AnyConnection,
        (merchant_id, livemode): (&str, bool),
        key: &str,
        object_id: &str,
        now: i64,
    ) -> Result<(), StorageError> {
        let Self { table, key: key_column, object } = self;
        let sql = format!(
            "INSERT INTO {table} (merchant_id, livemode, {key_column}, {object}, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (merchant_id, livemode, {key_column}) DO NOTHING"
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(flag(livemode)).bind(key);
        q.bind(object_id).bind(now).execute(conn).await?;
        Ok(())
    }

    /// Whether the marker is set for `key`.
    pub async fn is_set(&self, conn: &mut AnyConnection, (merchant_id, livemode): (&str, bool), key: &str) -> Result<bool, StorageError> {
        let sql = format!("SELECT 1 FROM {} WHERE merchant_id = $1 AND livemode = $2 AND {} = $3", self.table, self.key);
        let q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)).bind(merchant_id).bind(flag(livemode)).bind(key);
        Ok(q.fetch_optional(conn).await?.is_some())
    }
}
