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
    /// Dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Read each connected Stripe account's events and completed Checkout Sessions since the
    /// last run (or --since), store what webhooks missed and process it. Needs the same
    /// environment as `serve`.
    Reconcile {
        /// Only this merchant (default: every merchant with a Stripe API key).
        #[arg(long)]
        merchant: Option<String>,
        /// Only this mode: test or live (default: both).
        #[arg(long)]
        mode: Option<String>,
        /// From when: unix seconds, or a span back from now such as 7d or 12h (at most 30d,
        /// what Stripe keeps of events). Default: from the last run's cursor.
        #[arg(long)]
        since: Option<String>,
    },
    /// Create the demo merchant, site, campaign, affiliate `demo` and API key; print them as JSON.
    SeedDemo {
        /// The demo site's key.
        #[arg(long, default_value = "site_demo")]
        site_key: String,
        /// The test-mode webhook signing secret (random when absent).
        #[arg(long)]
        webhook_secret: Option<String>,
        /// A test-mode Stripe API key (`sk_test_…` or `rk_test_…`) to connect, e.g. the
        /// simulator's, so payref can fetch what events leave out and reconcile.
        #[arg(long)]
        stripe_api_key: Option<String>,
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

/// `payref user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a dashboard user of a merchant; the password is read from PAYREF_USER_PASSWORD,
    /// or else from the first line of standard input (never from an argument, which other
    /// users of the machine can see).
    Create {
        /// The merchant's id.
        #[arg(long)]
        merchant: String,
        /// The sign-in email.
        #[arg(long)]
        email: String,
        /// owner, admin or viewer.
        #[arg(long, default_value = "owner")]
        role: String,
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

/// Parses `--since`: unix seconds, or `<n>d` / `<n>h` / `<n>m` back from `now_secs`.
pub fn parse_since(value: &str, now_secs: i64) -> Result<i64, String> {
    let bad = || format!("--since {value:?}: give unix seconds or a span back from now such as 7d, 12h or 30m");
    let value = value.trim();
    if let Ok(secs) = value.parse::<i64>() {
        return if secs > 0 && secs <= now_secs { Ok(secs) } else { Err(format!("--since {value}: must be a past unix time in seconds")) };
    }
    let (number, unit) = value.split_at(value.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => return Err(bad()),
    };
    if n <= 0 || n.saturating_mul(unit_secs) > 30 * 86_400 {
        return Err(format!("--since {value}: the span must be positive and at most 30d (Stripe keeps 30 days of events)"));
    }
    Ok(now_secs - n * unit_secs)
}

#[cfg(test)]
mod since_tests {
    #[test]
    fn spans_and_unix_seconds() {
        let now = 1_800_000_000;
        assert_eq!(super::parse_since("7d", now), Ok(now - 7 * 86_400));
        assert_eq!(super::parse_since("12h", now), Ok(now - 12 * 3_600));
        assert_eq!(super::parse_since("1700000000", now), Ok(1_700_000_000));
        for bad in ["31d", "0d", "-1h", "7w", "yesterday", "", "1900000000"] {
            assert!(super::parse_since(bad, now).is_err(), "{bad} accepted");
        }
    }
}
