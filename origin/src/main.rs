//! `payref`: the origin server and its administrative commands.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use payref_origin::cli::{Cli, Command};
use payref_origin::http::AppState;
use payref_origin::reconcile::reconciler;
use payref_origin::storage::stripe_connections;
use payref_origin::{Application, Config, Db, admin, seed};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PAYREF_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("payref: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The database alone, for the administrative commands (they need none of the secrets).
async fn open() -> anyhow::Result<Db> {
    Db::connect(&payref_origin::config::database_url_from_env()).await.context("opening the database")
}

async fn run(command: Command) -> anyhow::Result<()> {
    let output = match command {
        Command::Serve => return serve().await,
        Command::Migrate => {
            let db = open().await?;
            match payref_origin::config::keyring_from_env() {
                Ok(keyring) => {
                    let n = stripe_connections::reseal_all(&db.pool, &keyring).await?;
                    format!("schema is up to date; {n} Stripe secret(s) re-sealed with key v{}", keyring.current_version())
                }
                Err(_) => "schema is up to date (set PAYREF_ENCRYPTION_KEYS to re-seal Stripe secrets)".to_owned(),
            }
        }
        Command::Merchant(c) => admin::merchant(&open().await?, c).await?,
        Command::Site(c) => admin::site(&open().await?, c).await?,
        Command::Campaign(c) => admin::campaign(&open().await?, c).await?,
        Command::ApiKey(c) => admin::api_key(&open().await?, c).await?,
        Command::Affiliate(c) => admin::affiliate(&open().await?, c).await?,
        Command::User(c) => admin::user(&open().await?, c).await?,
        Command::Reconcile { merchant, mode, since } => return reconcile(merchant, mode, since).await,
        Command::SeedDemo { site_key, webhook_secret, stripe_api_key } => {
            payref_shared::SiteKey::parse(&site_key).map_err(|e| anyhow::anyhow!("--site-key is invalid: {e}"))?;
            if let Some(key) = &stripe_api_key
                && !(key.starts_with("sk_test_") || key.starts_with("rk_test_"))
            {
                anyhow::bail!("--stripe-api-key must be a test-mode key (sk_test_… or rk_test_…): the demo merchant is test mode only");
            }
            let keyring = payref_origin::config::keyring_from_env()?;
            let db = open().await?;
            let seeded = seed::seed_demo(&db, &keyring, &site_key, webhook_secret.as_deref()).await.context("seeding the demo merchant")?;
            if let Some(key) = &stripe_api_key {
                payref_origin::storage::stripe_connections::set_api_key(&db.pool, &keyring, &seeded.merchant_id, false, key)
                    .await
                    .context("connecting the Stripe API key")?;
            }
            serde_json::to_string_pretty(&seeded)?
        }
    };
    println!("{output}");
    Ok(())
}

/// `payref reconcile`: reads the accounts, stores what webhooks missed, then processes the
/// queue (safe beside a running server: events are claimed with leases).
async fn reconcile(merchant: Option<String>, mode: Option<String>, since: Option<String>) -> anyhow::Result<()> {
    use std::io::Write;
    let live = match mode.as_deref() {
        None => None,
        Some("test") => Some(false),
        Some("live") => Some(true),
        Some(other) => anyhow::bail!("--mode {other:?}: must be test or live"),
    };
    let since =
        since.map(|s| payref_origin::cli::parse_since(&s, payref_origin::now_ms() / 1000)).transpose().map_err(anyhow::Error::msg)?;
    let app = Application::build(Config::from_env()?).await.context("opening the database")?;
    let AppState { db, keyring, stripe, .. } = app.state();
    let accounts: Vec<(String, bool)> = stripe_connections::with_api_keys(&db.pool)
        .await?
        .into_iter()
        .filter(|(m, l)| merchant.as_ref().is_none_or(|want| want == m) && live.is_none_or(|want| want == *l))
        .collect();
    if accounts.is_empty() {
        anyhow::bail!(
            "no Stripe API key is connected{}: set one with `payref merchant stripe-key`",
            merchant.map(|m| format!(" for {m}")).unwrap_or_default()
        );
    }
    for (merchant, livemode) in accounts {
        let label = format!("{merchant} ({} mode)", if livemode { "live" } else { "test" });
        let mut show = |p: reconciler::Progress<'_>| {
            let reconciler::Progress::Page(r) = p;
            eprint!(
                "\r{label}: {} events listed ({} new), {} sessions listed ({} new)",
                r.events_listed, r.events_new, r.sessions_listed, r.sessions_new
            );
            let _ = std::io::stderr().flush();
        };
        let report = reconciler::reconcile(db, keyring, stripe, &merchant, livemode, since, &mut show)
            .await
            .with_context(|| format!("reconciling {label}"))?;
        eprintln!();
        println!("{}", serde_json::json!({ "merchant_id": merchant, "livemode": livemode, "report": report }));
    }
    let processed = app.event_worker().drain().await.context("processing the stored events")?;
    eprintln!("{processed} event(s) processed");
    Ok(())
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let bind = config.bind;
    let app = Application::build(config).await.context("opening the database")?;
    let AppState { db, keyring, .. } = app.state();
    let resealed = stripe_connections::reseal_all(&db.pool, keyring).await.context("re-sealing Stripe secrets")?;
    if resealed > 0 {
        tracing::info!(resealed, key_version = keyring.current_version(), "Stripe secrets re-sealed with the current key");
    }
    let listener = std::net::TcpListener::bind(bind).with_context(|| format!("binding {bind}"))?;
    tracing::info!(addr = %bind, "payref origin listening");
    let shutdown = async {
        // If the signal handler cannot be installed, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    app.run(listener, shutdown).await.context("serving")
}
