//! The demo merchant that `cargo xtask demo` and the tests start from.

use serde::Serialize;

use crate::domain::api_key::{self, Scope};
use crate::domain::campaign::CampaignRules;
use crate::domain::ids::new_click_id;
use crate::domain::secrets::Keyring;
use crate::storage::affiliates::{self, NewAffiliate};
use crate::storage::{Db, StorageError, merchants};
use crate::storage::{campaigns, sites, stripe_connections};

/// Commission rate of the demo campaign: 30%.
pub const DEMO_RATE_BPS: i64 = 3_000;

/// What was created; the API key is shown only here.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSeed {
    /// The merchant's id (part of the webhook URL).
    pub merchant_id: String,
    /// The site key for the tracker's `data-site`.
    pub site_key: String,
    /// The demo campaign (30%).
    pub campaign_id: String,
    /// The affiliate's referral code.
    pub affiliate_code: String,
    /// A read/write merchant API key.
    pub api_key: String,
    /// The test-mode webhook signing secret.
    pub webhook_secret: String,
}

/// Creates a merchant with a site, a 30% campaign, the affiliate `demo` and an API key.
pub async fn seed_demo(db: &Db, keyring: &Keyring, site_key: &str, webhook_secret: Option<&str>) -> Result<DemoSeed, StorageError> {
    let pool = &db.pool;
    let merchant_id = merchants::create_merchant(pool, "Demo Shop", "usd", crate::now_ms()).await?;
    sites::create(pool, &merchant_id, site_key, "Demo shop", &[], crate::now_ms()).await?;
    let campaign = campaigns::insert(pool, &merchant_id, &CampaignRules::percent("Standard 30%", DEMO_RATE_BPS), crate::now_ms()).await?;
    let demo = NewAffiliate {
        campaign_id: campaign.clone(),
        code: "demo".into(),
        name: "Demo Affiliate".into(),
        email: Some("affiliate@example.com".into()),
        payout_email: None,
        commission_bps_override: None,
    };
    affiliates::insert(pool, &merchant_id, &demo, crate::now_ms()).await?;
    let key = api_key::generate();
    merchants::create_api_key(pool, &merchant_id, &key.prefix, &key.token_hash, Scope::Write, crate::now_ms()).await?;
    let webhook_secret = webhook_secret.map_or_else(|| format!("whsec_{}", new_click_id()), str::to_owned);
    stripe_connections::set_webhook_secret(pool, keyring, &merchant_id, false, &webhook_secret).await?;
    Ok(DemoSeed {
        merchant_id,
        site_key: site_key.to_owned(),
        campaign_id: campaign,
        affiliate_code: "demo".into(),
        api_key: key.token,
        webhook_secret,
    })
}
