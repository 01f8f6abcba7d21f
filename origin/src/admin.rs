//! The administrative commands behind the CLI: each checks its input, writes through the
//! storage layer and returns what to print.

use anyhow::{Context, bail};
use payref_shared::{ReferralCode, SiteKey, WebOrigin};

use crate::cli::{AffiliateCommand, ApiKeyCommand, CampaignCommand, MerchantCommand, Mode, SiteCommand, UserCommand};
use crate::domain::account::{self, Role};
use crate::domain::affiliate::{is_plausible_email, normalise_email};
use crate::domain::api_key::{self, Scope};
use crate::domain::campaign::CampaignRules;
use crate::storage::affiliates::{self, NewAffiliate};
use crate::storage::{Db, merchants, users};
use crate::storage::{campaigns, sites, stripe_connections};

async fn require_merchant(db: &Db, merchant: &str) -> anyhow::Result<()> {
    if !merchants::merchant_exists(&db.pool, merchant).await? {
        bail!("no merchant {merchant}");
    }
    Ok(())
}

/// `payref merchant …`; the Stripe commands need the keyring (`PAYREF_ENCRYPTION_KEYS`).
pub async fn merchant(db: &Db, cmd: MerchantCommand) -> anyhow::Result<String> {
    match cmd {
        MerchantCommand::Create { name, currency } => {
            let currency = currency.to_ascii_lowercase();
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
                bail!("--currency must be a three-letter ISO 4217 code, e.g. usd");
            }
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            Ok(merchants::create_merchant(&db.pool, name.trim(), &currency, crate::now_ms()).await?)
        }
        MerchantCommand::StripeWebhookSecret { merchant, mode, secret } => {
            require_merchant(db, &merchant).await?;
            if !secret.starts_with("whsec_") {
                bail!("the webhook signing secret starts with whsec_ (Stripe shows it on the endpoint's page)");
            }
            let live = matches!(mode, Mode::Live);
            let keyring = crate::config::keyring_from_env()?;
            stripe_connections::set_webhook_secret(&db.pool, &keyring, &merchant, live, secret.trim()).await?;
            let mode = if live { "live" } else { "test" };
            Ok(format!("webhook endpoint: /v1/stripe/webhooks/{merchant}/{mode}"))
        }
        MerchantCommand::StripeKey { merchant, mode, key } => {
            require_merchant(db, &merchant).await?;
            let live = matches!(mode, Mode::Live);
            let key = key.trim();
            crate::domain::secrets::check_stripe_key(key, live).map_err(|e| anyhow::anyhow!("--key {e}"))?;
            let keyring = crate::config::keyring_from_env()?;
            stripe_connections::set_api_key(&db.pool, &keyring, &merchant, live, key).await?;
            Ok(format!("stored {} (sealed)", crate::domain::secrets::key_hint(key)))
        }
    }
}

/// `payref site …`.
pub async fn site(db: &Db, cmd: SiteCommand) -> anyhow::Result<String> {
    let SiteCommand::Create { merchant, key, name, allowed_origins } = cmd;
    require_merchant(db, &merchant).await?;
    SiteKey::parse(&key).map_err(|e| anyhow::anyhow!("--key is invalid: {e}"))?;
    let origins = allowed_origins
        .iter()
        .map(|o| WebOrigin::parse(o).map(|o| o.as_str().to_owned()).map_err(|e| anyhow::anyhow!("--allowed-origin {o:?} {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let name = name.as_deref().map_or(key.as_str(), str::trim).to_owned();
    let site = sites::create(&db.pool, &merchant, &key, &name, &origins, crate::now_ms()).await?;
    Ok(site.with_context(|| format!("site key {key} is already registered"))?.id)
}

/// `payref campaign …`.
pub async fn campaign(db: &Db, cmd: CampaignCommand) -> anyhow::Result<String> {
    let CampaignCommand::Create { merchant, name, rate_bps } = cmd;
    require_merchant(db, &merchant).await?;
    let rules = CampaignRules::percent(name.trim(), rate_bps);
    rules.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(campaigns::insert(&db.pool, &merchant, &rules, crate::now_ms()).await?)
}

/// `payref api-key …`.
pub async fn api_key(db: &Db, cmd: ApiKeyCommand) -> anyhow::Result<String> {
    match cmd {
        ApiKeyCommand::Create { merchant, read_only } => {
            require_merchant(db, &merchant).await?;
            let key = api_key::generate();
            let scope = if read_only { Scope::Read } else { Scope::Write };
            merchants::create_api_key(&db.pool, &merchant, &key.prefix, &key.token_hash, scope, crate::now_ms()).await?;
            Ok(format!("{}\n(shown once; prefix {} identifies it)", key.token, key.prefix))
        }
        ApiKeyCommand::Revoke { prefix } => {
            if merchants::revoke_api_key(&db.pool, &prefix, crate::now_ms()).await? {
                Ok(format!("revoked {prefix}"))
            } else {
                bail!("no live API key with prefix {prefix}")
            }
        }
    }
}

/// `payref affiliate …`.
pub async fn affiliate(db: &Db, cmd: AffiliateCommand) -> anyhow::Result<String> {
    let AffiliateCommand::Create { merchant, campaign, code, name, email } = cmd;
    require_merchant(db, &merchant).await?;
    let code = ReferralCode::parse(&code).map_err(|e| anyhow::anyhow!("--code is invalid: {e}"))?;
    if !affiliates::campaign_exists(&db.pool, &merchant, &campaign).await? {
        bail!("merchant {merchant} has no campaign {campaign}");
    }
    let email = match email {
        Some(e) if is_plausible_email(e.trim()) => Some(normalise_email(&e)),
        Some(e) => bail!("--email {e:?} is not an email address"),
        None => None,
    };
    let new = NewAffiliate {
        campaign_id: campaign,
        code: code.into(),
        name: name.trim().to_owned(),
        email,
        payout_email: None,
        commission_bps_override: None,
    };
    let created = affiliates::insert(&db.pool, &merchant, &new, crate::now_ms())
        .await?
        .with_context(|| format!("code {} is already used by another affiliate", new.code))?;
    Ok(created.id)
}

/// `payref user …`.
pub async fn user(db: &Db, cmd: UserCommand) -> anyhow::Result<String> {
    let UserCommand::Create { merchant, email, role } = cmd;
    require_merchant(db, &merchant).await?;
    let email = normalise_email(&email);
    if !is_plausible_email(&email) {
        bail!("--email {email:?} is not an email address");
    }
    let role = Role::parse(&role).with_context(|| format!("--role {role:?}: must be owner, admin or viewer"))?;
    let password = match std::env::var("PAYREF_USER_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    account::check_new_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = tokio::task::spawn_blocking(move || account::hash_password(&password)).await?;
    match users::create(&db.pool, &merchant, (&email, &hash), role, crate::now_ms()).await? {
        Some(id) => Ok(format!("{id}\n{email} signs in at /dashboard/login as {}", role.as_str())),
        None => bail!("{email} already has a dashboard account"),
    }
}
