//! `payref`: the origin server and its administrative commands.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use payref_origin::http::{self, AppState};
use payref_origin::{Config, Db, seed};

const USAGE: &str = "usage: payref [serve]\n       payref seed-demo [--site-key KEY] [--webhook-secret SECRET]\n\n\
configuration: PAYREF_DATABASE_URL (default sqlite://payref.db), PAYREF_BIND (default 127.0.0.1:3000),\n\
PAYREF_EDGE_SECRET (required for serve), PAYREF_EDGE_SECRET_PREVIOUS (during a rotation)";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PAYREF_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("seed-demo") => seed_demo(&args[1..]).await,
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => {
            eprintln!("payref: unknown command {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("payref: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let db = Db::connect(&config.database_url).await.context("opening the database")?;
    let listener = std::net::TcpListener::bind(config.bind).with_context(|| format!("binding {}", config.bind))?;
    tracing::info!(addr = %config.bind, "payref origin listening");
    let state = AppState { db, edge_secrets: Arc::new(config.edge_secrets) };
    let shutdown = async {
        // If the signal handler cannot be installed, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    http::serve(state, listener, shutdown).await.context("serving")
}

fn flag_value<'a>(args: &'a [String], name: &str) -> anyhow::Result<Option<&'a str>> {
    match args.iter().position(|a| a == name) {
        None => Ok(None),
        Some(i) => args.get(i + 1).map(|v| Some(v.as_str())).with_context(|| format!("{name} needs a value")),
    }
}

async fn seed_demo(args: &[String]) -> anyhow::Result<()> {
    let site_key = flag_value(args, "--site-key")?.unwrap_or("site_demo");
    payref_shared::SiteKey::parse(site_key).map_err(|e| anyhow::anyhow!("--site-key: {e}"))?;
    let secret = flag_value(args, "--webhook-secret")?;
    let url = std::env::var("PAYREF_DATABASE_URL").unwrap_or_else(|_| "sqlite://payref.db".into());
    let db = Db::connect(&url).await.context("opening the database")?;
    let seeded = seed::seed_demo(&db, site_key, secret).await.context("seeding the demo merchant")?;
    println!("{}", serde_json::to_string_pretty(&seeded)?);
    Ok(())
}
