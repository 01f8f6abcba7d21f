//! `/v1/merchant`: the calling merchant's own record, privacy settings and Stripe secrets.

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};

use crate::domain::secrets::check_stripe_key;
use crate::http::auth::ApiKey;
use crate::http::error::{ApiError, ApiFailure};
use crate::http::{AppState, State};
use crate::storage::merchants::{self, MerchantRow};
use crate::storage::stripe_connections::{self, ConnectionInfo};

/// The merchant.
#[derive(Debug, Object)]
pub struct Merchant {
    /// `mer_…` (part of the webhook URLs).
    pub id: String,
    /// Always `merchant`.
    pub object: String,
    /// Display name.
    pub name: String,
    /// Lowercase ISO 4217 currency.
    pub default_currency: String,
    /// Clicks and leads older than this many days are purged (checked every job interval);
    /// null keeps them.
    pub retention_days: Option<i64>,
    /// Created at (UTC epoch ms).
    pub created_at: i64,
    /// The Stripe account per mode (never the secrets themselves).
    pub stripe_connections: Vec<StripeConnection>,
}

/// What payref holds of one mode's Stripe account.
#[derive(Debug, Object)]
pub struct StripeConnection {
    /// Live (`true`) or test.
    pub livemode: bool,
    /// The stored key's prefix and last four characters, e.g. `sk_test_…4242`.
    pub secret_key_hint: Option<String>,
    /// Whether a webhook signing secret is stored.
    pub webhook_secret_set: bool,
}

/// Secrets of one mode's Stripe account; absent fields stay as they are. Stored sealed
/// (AES-256-GCM) and never shown again.
#[derive(Debug, Object)]
pub struct SetStripeConnection {
    /// A secret (`sk_…`) or, better, restricted (`rk_…`) key of this mode.
    pub secret_key: Option<String>,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: Option<String>,
}

impl Merchant {
    fn new(r: MerchantRow, connections: Vec<ConnectionInfo>) -> Self {
        let stripe_connections = connections
            .into_iter()
            .map(|c| StripeConnection { livemode: c.livemode, secret_key_hint: c.api_key_hint, webhook_secret_set: c.webhook_secret_set })
            .collect();
        Self {
            id: r.id,
            object: "merchant".into(),
            name: r.name,
            default_currency: r.default_currency,
            retention_days: r.retention_days,
            created_at: r.created_at,
            stripe_connections,
        }
    }
}

async fn load(state: &AppState, merchant: &str) -> Result<Merchant, ApiFailure> {
    let m = merchants::get_merchant(&state.db.pool, merchant).await?.ok_or(ApiError::NotFound("no such merchant"))?;
    Ok(Merchant::new(m, stripe_connections::connections(&state.db.pool, merchant).await?))
}

/// Settings to change; absent fields stay as they are.
#[derive(Debug, Object)]
pub struct UpdateMerchant {
    /// 1–3650 days, or null to keep clicks and leads indefinitely.
    pub retention_days: MaybeUndefined<i64>,
}

/// The merchant's settings.
#[derive(Debug, Default)]
pub struct MerchantApi;

#[OpenApi]
impl MerchantApi {
    /// The calling merchant.
    #[oai(path = "/v1/merchant", method = "get")]
    async fn get(&self, auth: ApiKey, state: State<'_>) -> Result<Json<Merchant>, ApiFailure> {
        Ok(Json(load(&state, &auth.0.merchant_id).await?))
    }

    /// Stores the Stripe secrets of one mode (`test` or `live`), sealed at rest.
    #[oai(path = "/v1/merchant/stripe/:mode", method = "post")]
    async fn set_stripe(
        &self,
        auth: ApiKey,
        state: State<'_>,
        mode: Path<String>,
        body: Json<SetStripeConnection>,
    ) -> Result<Json<Merchant>, ApiFailure> {
        auth.0.require_write()?;
        let livemode = match mode.0.as_str() {
            "test" => false,
            "live" => true,
            _ => return Err(ApiError::NotFound("no such mode: use test or live").into()),
        };
        let invalid = |m: String| ApiFailure::from(ApiError::bad_request("invalid_request", m));
        let key = body.0.secret_key.map(|k| k.trim().to_owned());
        if let Some(k) = &key {
            check_stripe_key(k, livemode).map_err(|e| invalid(format!("secret_key {e}")))?;
        }
        let webhook = body.0.webhook_secret.map(|w| w.trim().to_owned());
        if let Some(w) = &webhook
            && (!w.starts_with("whsec_") || w.len() > 255 || w.chars().any(char::is_whitespace))
        {
            return Err(invalid("webhook_secret must be the endpoint's signing secret (whsec_…)".into()));
        }
        if key.is_none() && webhook.is_none() {
            return Err(invalid("give secret_key, webhook_secret or both".into()));
        }
        let merchant = &auth.0.merchant_id;
        if let Some(k) = &key {
            stripe_connections::set_api_key(&state.db.pool, &state.keyring, merchant, livemode, k).await?;
        }
        if let Some(w) = &webhook {
            stripe_connections::set_webhook_secret(&state.db.pool, &state.keyring, merchant, livemode, w).await?;
        }
        Ok(Json(load(&state, merchant).await?))
    }

    /// Changes the merchant's settings.
    #[oai(path = "/v1/merchant", method = "patch")]
    async fn update(&self, auth: ApiKey, state: State<'_>, body: Json<UpdateMerchant>) -> Result<Json<Merchant>, ApiFailure> {
        auth.0.require_write()?;
        let merchant = &auth.0.merchant_id;
        match body.0.retention_days {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => merchants::set_retention(&state.db.pool, merchant, None).await?,
            MaybeUndefined::Value(d) if (1..=3650).contains(&d) => merchants::set_retention(&state.db.pool, merchant, Some(d)).await?,
            MaybeUndefined::Value(_) => {
                return Err(ApiError::bad_request("invalid_request", "retention_days must be 1 to 3650, or null").into());
            }
        }
        Ok(Json(load(&state, merchant).await?))
    }
}
