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

mod stripe;

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
        let parsed = EventBatch::from_json_each(body.as_bytes()).expect("batch");
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

#[tokio::main]
async fn main() {
    // `payref-origin-bench [webhooks|reconcile|ingest|list]…` runs only those figures.
    let only: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("webhooks") {
        webhooks().await;
    }
    if wanted("reconcile") {
        reconcile().await;
    }
    if wanted("ingest") {
        let ingest = ingest_ratio().await;
        println!("{:<28} {:>12.2} {:>12} {:>10.2}", "ingest ÷ raw insert (SQLite)", ingest, "≥ 0.8", ingest / 0.8);
    }
    if wanted("list") {
        let (list, small, large) = list_ratio().await;
        println!("{:<28} {:>12.2} {:>12} {:>10.2}", "list p99 1M ÷ 10k (SQLite)", list, "≤ 2", list / 2.0);
        println!(
            "  (p99 {:.2} ms at 10k rows, {:.2} ms at 1M rows; this machine, for context only)",
            small.as_secs_f64() * 1e3,
            large.as_secs_f64() * 1e3
        );
    }
}

async fn webhooks() {
    let (webhooks, per_sec) = stripe::webhook_ratio().await;
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "webhooks e2e ÷ raw insert", webhooks, "≥ 0.5", webhooks / 0.5);
    println!("  ({per_sec:.0} webhook events/s receipt to ledger on SQLite; this machine, for context only)");
}

async fn reconcile() {
    let (vs_list, vs_insert, sessions_per_sec) = stripe::reconcile_ratio().await;
    println!("{:<28} {:>12.2} {:>12} {:>10.2}", "reconcile 100k ÷ raw list", vs_list, "≥ 0.8", vs_list / 0.8);
    println!("{:<28} {:>12.2} {:>12} {:>10}", "reconcile 100k ÷ raw insert", vs_insert, "-", "-");
    println!("  ({sessions_per_sec:.0} sessions/s listed and queued; this machine, for context only)");
}
