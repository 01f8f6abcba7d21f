//! The `payref` command line: serve, migrate, and the administrative commands a self-hoster
//! needs before the API (which itself needs an API key) is reachable.

use clap::{Parser, Subcommand};

/// payref: affiliate attribution for Stripe.
#[derive(Debug, Parser)]
#[command(name = "payref", version, about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the origin server (PAYREF_BIND, PAYREF_DATABASE_URL, PAYREF_EDGE_SECRET).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Merchants and their Stripe connections.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// Tracked sites (what the tracker's data-site names).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Campaigns (commission rules).
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Merchant API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Affiliates.
    #[command(subcommand)]
    Affiliate(AffiliateCommand),
    /// Create the demo merchant, site, campaign, affiliate `demo` and API key; print them as JSON.
    SeedDemo {
        /// The demo site's key.
        #[arg(long, default_value = "site_demo")]
        site_key: String,
        /// The test-mode webhook signing secret (random when absent).
        #[arg(long)]
        webhook_secret: Option<String>,
    },
}

/// `payref merchant …`.
#[derive(Debug, Subcommand)]
pub enum MerchantCommand {
    /// Create a merchant; prints its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Default currency, ISO 4217 (e.g. usd).
        #[arg(long, default_value = "usd")]
        currency: String,
    },
    /// Set the webhook signing secret of the merchant's Stripe account in one mode.
    StripeWebhookSecret {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// test or live.
        #[arg(long)]
        mode: Mode,
        /// The endpoint's signing secret (whsec_…); read from PAYREF_WEBHOOK_SECRET when absent.
        #[arg(long, env = "PAYREF_WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
    },
    /// Set the Stripe secret or restricted key (sk_…/rk_…) of one mode; stored sealed.
    StripeKey {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// test or live.
        #[arg(long)]
        mode: Mode,
        /// The key; read from PAYREF_STRIPE_KEY when absent (keeps it out of shell history).
        #[arg(long, env = "PAYREF_STRIPE_KEY", hide_env_values = true)]
        key: String,
    },
}

/// Stripe account mode.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Mode {
    /// Test mode.
    Test,
    /// Live mode.
    Live,
}

/// `payref site …`.
#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Register a tracked site under a public key.
    Create {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// The public site key (1–64 of [A-Za-z0-9_-]).
        #[arg(long)]
        key: String,
        /// Display name (default: the key).
        #[arg(long)]
        name: Option<String>,
        /// An origin allowed to send clicks, e.g. https://shop.example.com (repeatable).
        #[arg(long = "allowed-origin")]
        allowed_origins: Vec<String>,
    },
}

/// `payref campaign …`.
#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a percentage campaign; prints its id.
    Create {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Commission in basis points (3000 = 30%).
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..=10_000))]
        rate_bps: i64,
    },
}

/// `payref api-key …`.
#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key; the token is printed once and stored only as a hash.
    Create {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// A key that can only read.
        #[arg(long)]
        read_only: bool,
    },
    /// Revoke a key by its visible prefix (prk_…).
    Revoke {
        /// The key's prefix, as printed at creation.
        #[arg(long)]
        prefix: String,
    },
}

/// `payref affiliate …`.
#[derive(Debug, Subcommand)]
pub enum AffiliateCommand {
    /// Create an affiliate; prints its id.
    Create {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// The campaign's id.
        #[arg(long)]
        campaign: String,
        /// Referral code (1–64 of [A-Za-z0-9_-]).
        #[arg(long)]
        code: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Contact email.
        #[arg(long)]
        email: Option<String>,
    },
}
