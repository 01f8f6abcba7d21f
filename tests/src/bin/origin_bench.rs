//! The origin's figures for `cargo xtask bench`, each a ratio of two runs side by side on this
//! machine (never an absolute time):
//! - click ingest (signature check, parse, de-duplication, affiliate lookup, multi-row insert)
//!   vs a raw sqlx multi-row insert of the same rows into the same SQLite database (goal ≥ 0.8);
//! - p99 of listing a filtered page of conversions with 1,000,000 rows present vs 10,000
//!   (goal ≤ 2: keyset pagination on the right index).
//!
//! - webhook events per second end to end vs a raw insert of the same rows (goal ≥ 0.5);
//! - reconciling 100,000 Checkout Sessions from the simulator vs its raw list (goal ≥ 0.8)
//!   and vs a raw insert of the same rows.
//!
//! Prints one `figure value goal ratio` row per figure.

use std::time::{Duration, Instant};

use payref_origin::Db;
use payref_origin::reconcile::ingest::store_batch;
use payref_origin::seed::seed_demo;
use payref_origin::storage::clicks::{INSERT_COLUMNS, PER_ROW};
use payref_origin::storage::conversions::{ConversionFilter, list_conversions};
use payref_origin::storage::page::{PageRequest, values_rows};
use payref_shared::batch::{EventBatch, ReceivedEvent};
use payref_shared::{ClickEvent, ClickId, EdgeEvent, ReferralCode, SiteKey, signature};

const SECRET: &[u8] = b"bench-edge-secret";
const LEAD_SECRET: &[u8] = b"bench-lead-secret-0123";
const BATCH: usize = 1_000;
const ROUNDS: usize = 12;

fn keyring() -> payref_origin::domain::secrets::Keyring {
    payref_origin::domain::secrets::Keyring::parse(payref_tests::origin::ENCRYPTION_KEYS).expect("bench keyring")
}

fn temp_db_url(name: &str) -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("payref-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench temp dir");
    (format!("sqlite://{}", dir.join("bench.db").display()), dir)
}

fn click_id(round: usize, n: usize, salt: u8) -> ClickId {
    let mut b = [salt; 16];
    b[..8].copy_from_slice(&(round as u64).to_be_bytes());
    b[8..12].copy_from_slice(&(n as u32).to_be_bytes());
    ClickId::from_bytes(b)
}

fn batch(round: usize, now: i64) -> EventBatch {
    let events = (0..BATCH)
        .map(|n| ReceivedEvent {
            received_at_ms: now,
            country: Some("DE".into()),
            visitor: Some(format!("visitor-{round}-{n}")),
            device: Some("desktop".into()),
            event: EdgeEvent::Click(ClickEvent {
                site: SiteKey::parse("site_bench").expect("site key"),
                code: ReferralCode::parse("demo").expect("code"),
                click_id: click_id(round, n, 1),
                landing_url: "https://shop.example.com/pricing?ref=demo&utm_source=blog".into(),
                referrer: "https://blog.example/post".into(),
                utm: vec![("utm_source".into(), "blog".into())],
            }),
        })
        .collect();
    EventBatch { sent_at_ms: now, events }
}

/// The same rows as `batch`, inserted with plain multi-row INSERTs in one transaction.
async fn raw_insert(db: &Db, merchant: &str, site: &str, affiliate: &str, round: usize, now: i64) {
    let mut tx = db.pool.begin().await.expect("begin");
    for chunk in (0..BATCH).collect::<Vec<_>>().chunks(500) {
        // The same columns in the same order as the ingest path, without its ON CONFLICT/RETURNING.
        let sql = format!("INSERT INTO clicks ({INSERT_COLUMNS}) VALUES {}", values_rows(chunk.len(), PER_ROW));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for n in chunk {
            q = q
                .bind(merchant)
                .bind(click_id(round, *n, 2).to_text())
                .bind(site)
                .bind(affiliate)
                .bind("demo")
                .bind("https://shop.example.com/pricing?ref=demo&utm_source=blog")
                .bind("https://blog.example/post")
                .bind(r#"{"utm_source":"blog"}"#)
                .bind("DE")
                .bind(format!("raw-visitor-{round}-{n}"))
                .bind("desktop")
                .bind(None::<String>)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *tx).await.expect("raw insert");
    }
    tx.commit().await.expect("commit");
}

async fn ingest_ratio() -> f64 {
    let (url, dir) = temp_db_url("ingest");
    let db = Db::connect(&url).await.expect("bench database");
    let seed = seed_demo(&db, &keyring(), "site_bench", None).await.expect("seed");
    let (site,): (String,) = sqlx::query_as("SELECT id FROM sites WHERE site_key = 'site_bench'").fetch_one(&db.pool).await.expect("site");
    let (affiliate,): (String,) =
        sqlx::query_as("SELECT id FROM affiliates WHERE code = 'demo'").fetch_one(&db.pool).await.expect("affiliate");
    let (mut ours, mut raw) = (Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        let now = payref_origin::now_ms();
        let body = batch(round, now).to_json();
        let header = signature::sign(SECRET, now, body.as_bytes());
        let start = Instant::now();
        signature::verify(&header, body.as_bytes(), &[SECRET], now).expect("signature");
        let parsed = EventBatch::from_json(body.as_bytes()).expect("batch");
        let report = store_batch(&db, parsed, LEAD_SECRET, now).await.expect("ingest");
        let took = start.elapsed();
        assert_eq!(report.stored, BATCH, "every bench click is counted");
        let start = Instant::now();
        raw_insert(&db, &seed.merchant_id, &site, &affiliate, round, now).await;
        let raw_took = start.elapsed();
        // The first round warms caches and statement preparation for both.
        if round > 0 {
            ours += took;
            raw += raw_took;
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    raw.as_secs_f64() / ours.as_secs_f64()
}

async fn add_conversions(db: &Db, merchant: &str, affiliates: &[String], from: usize, to: usize, start_ms: i64) {
    let mut tx = db.pool.begin().await.expect("begin");
    let ids: Vec<usize> = (from..to).collect();
    for chunk in ids.chunks(500) {
        let conv: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1, 0, ${}, ${}, 'client_reference_id', 4900, 'usd', ${})", i * 4 + 2, i * 4 + 3, i * 4 + 4, i * 4 + 5))
            .collect();
        let sql = format!(
            "INSERT INTO conversions (id, merchant_id, livemode, stripe_object_id, affiliate_id, attribution_method, amount, currency, created_at) VALUES {}",
            conv.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant);
        for n in chunk {
            q = q
                .bind(format!("cnv_{n:012}"))
                .bind(format!("cs_{n:012}"))
                .bind(&affiliates[n % affiliates.len()])
                .bind(start_ms + *n as i64 * 1_000);
        }
        q.execute(&mut *tx).await.expect("conversions");
        let com: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, $1, ${}, ${}, 0, 3000, 1470, 'usd', 'pending', ${}, ${})",
                    i * 4 + 2,
                    i * 4 + 3,
                    i * 4 + 4,
                    i * 4 + 5,
                    i * 4 + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO commissions (id, merchant_id, conversion_id, affiliate_id, livemode, rate_bps, amount, currency, status, created_at, updated_at) VALUES {}",
            com.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(merchant);
        for n in chunk {
            q = q
                .bind(format!("com_{n:012}"))
                .bind(format!("cnv_{n:012}"))
                .bind(&affiliates[n % affiliates.len()])
                .bind(start_ms + *n as i64 * 1_000);
        }
        q.execute(&mut *tx).await.expect("commissions");
    }
    tx.commit().await.expect("commit");
}

/// One timed round of listing one affiliate's conversions in a date range, first pages and deep
/// pages alternately; appends each query's time to `samples`.
async fn list_round(db: &Db, merchant: &str, affiliates: &[String], rows: usize, start_ms: i64, samples: &mut Vec<Duration>) {
    for i in 0..200usize {
        let affiliate = &affiliates[i % affiliates.len()];
        // A cursor somewhere in the table (an existing conversion of this affiliate), or none.
        let after = (i % 2 == 1).then(|| {
            let n = (i * 7_919 % rows) / affiliates.len() * affiliates.len() + i % affiliates.len();
            (start_ms + n as i64 * 1_000, format!("cnv_{n:012}"))
        });
        let filter = ConversionFilter {
            livemode: false,
            affiliate_id: Some(affiliate.clone()),
            status: None,
            created_gte: Some(start_ms),
            created_lt: None,
        };
        let page = PageRequest { after, limit: 25 };
        let start = Instant::now();
        let found = list_conversions(&db.pool, merchant, &filter, &page).await.expect("list");
        samples.push(start.elapsed());
        assert!(!found.data.is_empty() || page.after.is_some(), "the first page is never empty");
    }
}

fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() * 99 / 100]
}

/// A database with `rows` conversions spread over ten affiliates.
async fn conversions_db(name: &str, rows: usize, start_ms: i64) -> (Db, String, Vec<String>, std::path::PathBuf) {
    let (url, dir) = temp_db_url(name);
    let db = Db::connect(&url).await.expect("bench database");
    let seed = seed_demo(&db, &keyring(), "site_bench", None).await.expect("seed");
    let mut affiliates = Vec::new();
    for n in 0..10 {
        let id = format!("aff_bench{n}");
        sqlx::query("INSERT INTO affiliates (id, merchant_id, campaign_id, code, name, status, created_at) VALUES ($1, $2, $3, $4, 'B', 'active', 0)")
            .bind(&id)
            .bind(&seed.merchant_id)
            .bind(&seed.campaign_id)
            .bind(format!("bench{n}"))
            .execute(&db.pool)
            .await
            .expect("affiliate");
        affiliates.push(id);
    }
    for from in (0..rows).step_by(50_000) {
        add_conversions(&db, &seed.merchant_id, &affiliates, from, (from + 50_000).min(rows), start_ms).await;
    }
    sqlx::query("ANALYZE").execute(&db.pool).await.expect("analyze");
    (db, seed.merchant_id, affiliates, dir)
}

/// p99 with 1,000,000 rows ÷ p99 with 10,000, the two databases queried in alternating rounds
/// so that the machine's noise falls on both alike.
async fn list_ratio() -> (f64, Duration, Duration) {
    let start_ms = 1_700_000_000_000;
    let (small_db, small_merchant, small_affiliates, small_dir) = conversions_db("list-10k", 10_000, start_ms).await;
    let (large_db, large_merchant, large_affiliates, large_dir) = conversions_db("list-1m", 1_000_000, start_ms).await;
    let (mut small, mut large) = (Vec::new(), Vec::new());
    for round in 0..6 {
        let (mut s, mut l) = (Vec::new(), Vec::new());
        list_round(&small_db, &small_merchant, &small_affiliates, 10_000, start_ms, &mut s).await;
        list_round(&large_db, &large_merchant, &large_affiliates, 1_000_000, start_ms, &mut l).await;
        // The first round warms both databases' caches.
        if round > 0 {
            small.extend(s);
            large.extend(l);
        }
    }
    let _ = std::fs::remove_dir_all(small_dir);
    let _ = std::fs::remove_dir_all(large_dir);
    let (small, large) = (p99(small), p99(large));
    (large.as_secs_f64() / small.as_secs_f64(), small, large)
}

/// Webhook events per second from receipt to ledger (signed POSTs, 8 in flight as Stripe sends
/// them; verified, stored, acknowledged, then attributed by the worker: conversion, commission,
/// customer binding, audit entries, the metadata write queued) ÷ the same rows inserted by
/// plain INSERTs, one transaction per event (as events arrive one at a time), side by side in
/// alternating rounds on SQLite. Returns (ratio, events/s end to end).
async fn webhook_ratio() -> (f64, f64) {
    const SECRET: &str = "whsec_bench";
    const PER_ROUND: usize = 400;
    let origin = payref_tests::origin::spawn_origin_full(payref_tests::origin::Backend::Sqlite, SECRET, None, None).await;
    let merchant = origin.seed.merchant_id.clone();
    let (affiliate,): (String,) =
        sqlx::query_as("SELECT id FROM affiliates WHERE code = 'demo'").fetch_one(&origin.db.pool).await.expect("affiliate");
    let url = format!("{}/v1/stripe/webhooks/{merchant}/test", origin.url);
    let client = reqwest::Client::new();
    let (mut ours, mut raw, mut sent) = (Duration::ZERO, Duration::ZERO, 0usize);
    for round in 0..5 {
        let payloads: Vec<String> = (0..PER_ROUND)
            .map(|n| {
                let id = format!("evt_bench_{round}_{n}");
                let session = payref_tests::stripe::paid_session(&format!("cs_bench_{round}_{n}"), "demo", 5_000 + n as i64, 0, "usd");
                payref_tests::stripe::event(&id, "checkout.session.completed", session).to_string()
            })
            .collect();
        let start = Instant::now();
        let mut in_flight = tokio::task::JoinSet::new();
        for payload in payloads {
            while in_flight.len() >= 8 {
                in_flight.join_next().await.expect("a delivery").expect("delivery task");
            }
            let (client, url) = (client.clone(), url.clone());
            in_flight.spawn(async move {
                let header = payref_tests::stripe::signature_header(SECRET, payref_tests::stripe::now_secs(), &payload);
                let resp = client.post(url).header("Stripe-Signature", header).body(payload).send().await.expect("webhook");
                assert_eq!(resp.status(), 200);
            });
        }
        while let Some(done) = in_flight.join_next().await {
            done.expect("delivery task");
        }
        origin.settled().await;
        let took = start.elapsed();
        let start = Instant::now();
        raw_event_rows(&origin.db, &merchant, &affiliate, round, PER_ROUND).await;
        let raw_took = start.elapsed();
        if round > 0 {
            ours += took;
            raw += raw_took;
            sent += PER_ROUND;
        }
    }
    let conversions: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM conversions WHERE stripe_object_id LIKE 'cs_bench_%'")
        .fetch_one(&origin.db.pool)
        .await
        .expect("count");
    assert_eq!(conversions.0, 5 * PER_ROUND as i64, "every bench event attributed");
    (raw.as_secs_f64() / ours.as_secs_f64(), sent as f64 / ours.as_secs_f64())
}

/// The rows one attributed webhook leaves, inserted plainly, one transaction per event.
async fn raw_event_rows(db: &Db, merchant: &str, affiliate: &str, round: usize, n: usize) {
    for i in 0..n {
        let now = payref_origin::now_ms();
        let key = format!("raw_{round}_{i}");
        let payload = payref_tests::stripe::event(
            &format!("evt_{key}"),
            "checkout.session.completed",
            payref_tests::stripe::paid_session(&format!("cs_{key}"), "demo", 5_000, 0, "usd"),
        )
        .to_string();
        let mut tx = db.pool.begin().await.expect("begin");
        sqlx::query("INSERT INTO stripe_events (merchant_id, event_id, livemode, event_type, payload, received_at, processed_at, outcome) VALUES ($1, $2, 0, 'checkout.session.completed', $3, $4, $4, 'attributed')")
            .bind(merchant).bind(format!("evt_{key}")).bind(&payload).bind(now).execute(&mut *tx).await.expect("event row");
        sqlx::query("INSERT INTO conversions (id, merchant_id, livemode, stripe_object_id, affiliate_id, attribution_method, amount, currency, amount_paid, customer_id, payment_intent_id, status, created_at) VALUES ($1, $2, 0, $3, $4, 'client_reference_id', 5000, 'usd', 5000, $5, $6, 'paid', $7)")
            .bind(format!("cnv_{key}")).bind(merchant).bind(format!("cs_{key}")).bind(affiliate).bind(format!("cus_{key}")).bind(format!("pi_{key}")).bind(now)
            .execute(&mut *tx).await.expect("conversion row");
        sqlx::query("INSERT INTO commissions (id, merchant_id, conversion_id, affiliate_id, livemode, rate_bps, amount, original_amount, currency, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 3000, 1500, 1500, 'usd', 'pending', $5, $5)")
            .bind(format!("com_{key}")).bind(merchant).bind(format!("cnv_{key}")).bind(affiliate).bind(now).execute(&mut *tx).await.expect("commission row");
        sqlx::query("INSERT INTO customers (merchant_id, livemode, stripe_customer_id, affiliate_id, method, source_object_id, created_at, updated_at) VALUES ($1, 0, $2, $3, 'client_reference_id', $4, $5, $5)")
            .bind(merchant).bind(format!("cus_{key}")).bind(affiliate).bind(format!("cs_{key}")).bind(now).execute(&mut *tx).await.expect("customer row");
        for (object, action) in [(format!("cus_{key}"), "customer.bound"), (format!("cnv_{key}"), "conversion.attributed")] {
            sqlx::query("INSERT INTO audit_events (id, merchant_id, object_type, object_id, action, actor, detail, created_at) VALUES ($1, $2, 'conversion', $3, $4, 'stripe', '{}', $5)")
                .bind(format!("aud_{action}_{key}")).bind(merchant).bind(object).bind(action).bind(now).execute(&mut *tx).await.expect("audit row");
        }
        sqlx::query("INSERT INTO stripe_customer_writes (merchant_id, livemode, customer_id, ref_code, next_attempt_at, created_at) VALUES ($1, 0, $2, 'demo', $3, $3)")
            .bind(merchant).bind(format!("cus_{key}")).bind(now).execute(&mut *tx).await.expect("write row");
        tx.commit().await.expect("commit");
    }
}

/// Reconciling 100,000 completed Checkout Sessions (listed through async-stripe from the
/// simulator, 100 a page, and queued as events) vs the simulator's raw list throughput (the
/// same pages, listed only) and vs a raw insert of the same event rows. Returns (÷ list,
/// ÷ raw insert, sessions/s).
async fn reconcile_ratio() -> (f64, f64, f64) {
    const SESSIONS: usize = 100_000;
    let sim = payref_stripe_sim::Simulator::start().await.expect("simulator");
    sim.add_completed_sessions(false, SESSIONS, Some("demo"), 1_000);
    let since = sim.now() - 3_600;
    let stripe = payref_origin::stripe::client::StripeApi { base_url: Some(sim.base_url.clone()) };
    let key = "sk_test_bench";

    // The raw list: every page, nothing else.
    let connected = stripe.connect(key).expect("client");
    let start = Instant::now();
    let (mut listed, mut after) = (0, None::<String>);
    loop {
        let page = connected.completed_sessions(since, after.as_deref(), 100).await.expect("page");
        listed += page.data.len();
        after = page.data.last().and_then(|s| s["id"].as_str().map(str::to_owned));
        if !page.has_more {
            break;
        }
    }
    let list_took = start.elapsed();
    assert_eq!(listed, SESSIONS);

    // Reconciling: the same pages, each stored as events in the queue.
    let (url, dir) = temp_db_url("reconcile");
    let db = Db::connect(&url).await.expect("bench database");
    let seed = seed_demo(&db, &keyring(), "site_bench", None).await.expect("seed");
    payref_origin::storage::stripe_connections::set_api_key(&db.pool, &keyring(), &seed.merchant_id, false, key).await.expect("key");
    let start = Instant::now();
    let report =
        payref_origin::reconcile::reconciler::reconcile(&db, &keyring(), &stripe, &seed.merchant_id, false, Some(since), &mut |_| {})
            .await
            .expect("reconcile");
    let reconcile_took = start.elapsed();
    assert_eq!(report.sessions_new, SESSIONS);

    // A raw insert of the same rows (the stored events' payloads, read back), 500 a statement.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event_id, payload FROM stripe_events").fetch_all(&db.pool).await.expect("rows");
    sqlx::query("DELETE FROM stripe_events").execute(&db.pool).await.expect("emptying");
    let start = Instant::now();
    let mut tx = db.pool.begin().await.expect("begin");
    for chunk in rows.chunks(500) {
        let values: Vec<String> =
            (0..chunk.len()).map(|i| format!("($1, ${}, 0, 'checkout.session.completed', ${}, $2)", i * 2 + 3, i * 2 + 4)).collect();
        let sql = format!(
            "INSERT INTO stripe_events (merchant_id, event_id, livemode, event_type, payload, received_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&seed.merchant_id).bind(payref_origin::now_ms());
        for (id, payload) in chunk {
            q = q.bind(id).bind(payload);
        }
        q.execute(&mut *tx).await.expect("raw insert");
    }
    tx.commit().await.expect("commit");
    let raw_took = start.elapsed();
    let _ = std::fs::remove_dir_all(dir);
    let secs = reconcile_took.as_secs_f64();
    (list_took.as_secs_f64() / secs, raw_took.as_secs_f64() / secs, SESSIONS as f64 / secs)
}

#[tokio::main]
async fn main() {
    let (webhooks, per_sec) = webhook_ratio().await;
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "webhooks e2e ÷ raw insert", webhooks, "≥ 0.5", webhooks / 0.5);
    println!("  ({per_sec:.0} webhook events/s receipt to ledger on SQLite; this machine, for context only)");
    let (vs_list, vs_insert, sessions_per_sec) = reconcile_ratio().await;
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "reconcile 100k ÷ raw list", vs_list, "≥ 0.8", vs_list / 0.8);
    println!("{:<28} {:>12.2} {:>12} {:>10}", "reconcile 100k ÷ raw insert", vs_insert, "-", "-");
    println!("  ({sessions_per_sec:.0} sessions/s listed and queued; this machine, for context only)");
    let ingest = ingest_ratio().await;
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "ingest ÷ raw insert (SQLite)", ingest, "≥ 0.8", ingest / 0.8);
    let (list, small, large) = list_ratio().await;
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "list p99 1M ÷ 10k (SQLite)", list, "≤ 2", list / 2.0);
    println!(
        "  (p99 {:.2} ms at 10k rows, {:.2} ms at 1M rows; this machine, for context only)",
        small.as_secs_f64() * 1e3,
        large.as_secs_f64() * 1e3
    );
}
