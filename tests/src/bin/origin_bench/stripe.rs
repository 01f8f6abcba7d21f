//! The Stripe figures: webhook events end to end, and reconciling from the simulator.

use std::time::{Duration, Instant};

use payref_origin::Db;
use payref_origin::seed::seed_demo;

use super::{keyring, temp_db_url};

/// Webhook events per second from receipt to ledger (signed POSTs, 8 in flight as Stripe sends
/// them; verified, stored, acknowledged, then attributed by the worker: conversion, commission,
/// customer binding, audit entries, the metadata write queued) ÷ the same rows inserted by
/// plain INSERTs, one transaction per event (as events arrive one at a time), side by side in
/// alternating rounds on SQLite. Returns (ratio, events/s end to end).
pub async fn webhook_ratio() -> (f64, f64) {
    const SECRET: &str = "whsec_bench";
    const PER_ROUND: usize = 400;
    let origin = payref_tests::origin::TestOrigin::builder(payref_tests::origin::Backend::Sqlite).webhook_secret(SECRET).start().await;
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
pub async fn reconcile_ratio() -> (f64, f64, f64) {
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
        after = page.data.last().and_then(|s| payref_origin::stripe::client::Head::of(s)).map(|h| h.id);
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

    // A raw insert of the same rows (the stored events' payloads, read back), 500 a statement,
    // into a database as fresh as the one reconciled into.
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event_id, payload FROM stripe_events").fetch_all(&db.pool).await.expect("rows");
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    let (url, dir) = temp_db_url("reconcile-raw");
    let db = Db::connect(&url).await.expect("bench database");
    let seed = seed_demo(&db, &keyring(), "site_bench", None).await.expect("seed");
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
