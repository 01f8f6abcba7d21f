//! The `payref` server killed with SIGKILL while Stripe events are stored but not yet
//! processed: restarted on the same database, it ends in exactly the ledger of an origin that
//! never crashed and received the same webhooks (the crashing one also reconciling, whose
//! bulk inserts make the backlog). Both are real `payref serve` processes fed by
//! one Stripe simulator; on SQLite, and on PostgreSQL when `PAYREF_TEST_POSTGRES_URL` is set.

mod serve;

use std::time::{Duration, Instant};

use payref_stripe_sim::Simulator;
use serve::{Origin, WEBHOOK_SECRET, ledger, pending, pool, release_sales, settled};
use sqlx::Row;

const SALES: i64 = 250;

async fn killed_mid_backlog_then_restarted_ends_in_the_clean_ledger(clean_url: String, crash_url: String) {
    let sim = Simulator::start().await.expect("starting the Stripe simulator");
    let mut clean = Origin::new("clean", clean_url);
    let mut crash = Origin::new("crash", crash_url);
    clean.start(&sim.base_url, 0);
    // Webhooks alone no longer build a backlog: each is committed to disk before it is answered,
    // slower than the worker applies them. The crashing origin also reconciles every second, and
    // its reconciler stores the events it lists in bulk: the backlog the kill interrupts.
    crash.start(&sim.base_url, 1);
    sim.add_endpoint(&clean.webhook_url(), &[WEBHOOK_SECRET], false);
    sim.add_endpoint(&crash.webhook_url(), &[WEBHOOK_SECRET], false);

    // 250 sales and 25 refunds: 1,050 events, held back, then delivered all at once.
    release_sales(&sim, SALES);

    let crash_db = pool(&crash.database_url).await;
    let start = Instant::now();
    let at_kill = loop {
        let n = pending(&crash_db).await;
        if n >= 100 {
            crash.kill();
            break n;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the backlog never reached 100 events (last {n})");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM stripe_events").fetch_one(&crash_db).await.unwrap().get(0);
    assert!(at_kill >= 100, "{at_kill} of {stored} events pending at the kill");
    eprintln!("SIGKILL with {at_kill} of {stored} stored events pending");
    // Down for a moment: Stripe's deliveries fail and are retried.
    tokio::time::sleep(Duration::from_millis(500)).await;
    crash.start(&sim.base_url, 1);
    sim.wait_delivered(Duration::from_secs(120)).await.expect("every webhook delivered");

    let clean_db = pool(&clean.database_url).await;
    settled(&clean_db, "the clean origin").await;
    settled(&crash_db, "the restarted origin").await;
    let expected = ledger(&clean_db).await;
    assert_eq!(expected.len(), SALES as usize, "every sale attributed");
    assert_eq!(expected.iter().filter(|r| r.1 == "partially_refunded").count(), 25);
    assert_eq!(ledger(&crash_db).await, expected, "{at_kill} of {stored} events were pending when the origin was killed");
    let events: i64 = sqlx::query("SELECT COUNT(*) FROM stripe_events").fetch_one(&crash_db).await.unwrap().get(0);
    assert!(events >= 1_050, "every event stored once: {events}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

#[test]
fn killed_mid_backlog_then_restarted_ends_in_the_clean_ledger_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("payref-crash-dbs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.join(name).display());
    runtime().block_on(killed_mid_backlog_then_restarted_ends_in_the_clean_ledger(url("clean.db"), url("crash.db")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_mid_backlog_then_restarted_ends_in_the_clean_ledger_on_postgres() {
    let server = std::env::var("PAYREF_TEST_POSTGRES_URL").expect("PAYREF_TEST_POSTGRES_URL (cargo xtask test sets it)");
    runtime().block_on(async {
        sqlx::any::install_default_drivers();
        let admin = pool(&server).await;
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b).to_owned();
        let mut urls = Vec::new();
        for role in ["clean", "crash"] {
            // Names made here from the process id: never input.
            let name = format!("payref_crash_{role}_{}", std::process::id());
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&admin).await;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.expect("creating a database");
            urls.push(format!("{base}/{name}"));
        }
        killed_mid_backlog_then_restarted_ends_in_the_clean_ledger(urls[0].clone(), urls[1].clone()).await;
    });
}
