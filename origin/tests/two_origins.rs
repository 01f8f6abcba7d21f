//! Several origins on one PostgreSQL (issue 17): two `payref serve` processes share a
//! database behind a round-robin balancer; Stripe's webhooks and the edge's batches are spread
//! across both; one is killed with SIGKILL mid-run and restarted. Nothing is lost, nothing is
//! doubled: every sale is one conversion attributed once, every refund applied once, every
//! click stored once, every Stripe event processed once.

mod serve;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use payref_shared::batch::{EventBatch, ReceivedEvent};
use payref_shared::{ClickEvent, ClickId, EdgeEvent, ReferralCode, SiteKey, signature};
use payref_stripe_sim::Simulator;
use serve::{EDGE_SECRET, Origin, WEBHOOK_SECRET, pending, pool, release_sales, settled};
use sqlx::Row;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SALES: i64 = 150;
const BATCHES: u32 = 40;
const CLICKS_PER_BATCH: u32 = 50;

/// A TCP balancer: each connection goes to the next backend, or to the other when that one
/// refuses (it is down). Returns its port.
async fn balancer(backends: [u16; 2]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the balancer");
    let port = listener.local_addr().expect("address").port();
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let first = next.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                for i in 0..2 {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", backends[(first + i) % 2])).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    port
}

/// POSTs `body` to `port` with one extra header; the status, 0 when the connection failed.
async fn post(port: u16, path: &str, header: (&str, &str), body: &str) -> u16 {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else { return 0 };
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{}: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        header.0,
        header.1,
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer).await;
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn batch(n: u32) -> String {
    let events = (0..CLICKS_PER_BATCH)
        .map(|i| {
            let mut id = [0u8; 16];
            id[..4].copy_from_slice(&(n * CLICKS_PER_BATCH + i).to_be_bytes());
            ReceivedEvent {
                received_at_ms: payref_origin::now_ms(),
                country: None,
                visitor: Some(format!("visitor-{n}-{i}")),
                device: None,
                event: EdgeEvent::Click(ClickEvent {
                    site: SiteKey::parse("site_two").expect("key"),
                    code: ReferralCode::parse("demo").expect("code"),
                    click_id: ClickId::from_bytes(id),
                    landing_url: "https://shop.test/?ref=demo".into(),
                    referrer: String::new(),
                    utm: Vec::new(),
                }),
            }
        })
        .collect();
    EventBatch { sent_at_ms: payref_origin::now_ms(), events }.to_json()
}

/// Sends every batch as the edge's queue does: to one origin, then the other, until one
/// answers 2xx.
async fn send_batches(ports: [u16; 2]) {
    for n in 0..BATCHES {
        let body = batch(n);
        let mut attempt = n as usize;
        loop {
            let sig = signature::sign(EDGE_SECRET.as_bytes(), payref_origin::now_ms(), body.as_bytes());
            if (200..300).contains(&post(ports[attempt % 2], "/v1/ingest/events", (signature::HEADER, &sig), &body).await) {
                break;
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

async fn count(pool: &sqlx::AnyPool, sql: &'static str) -> i64 {
    sqlx::query(sql).fetch_one(pool).await.expect("counting").get(0)
}

#[test]
fn two_origins_on_one_postgres_one_killed_lose_and_double_nothing() {
    let Ok(server) = std::env::var("PAYREF_TEST_POSTGRES_URL") else {
        panic!("PAYREF_TEST_POSTGRES_URL (cargo xtask test sets it)");
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let admin = pool(&server).await;
        // A name made here from the process id: never input.
        let name = format!("payref_two_{}", std::process::id());
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&admin).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.expect("creating a database");
        let url = format!("{}/{name}", server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b));

        let sim = Simulator::start().await.expect("starting the Stripe simulator");
        let mut a = Origin::new("two-a", url.clone());
        a.ok(&["site", "create", "--merchant", &a.merchant.clone(), "--key", "site_two"]);
        let mut b = Origin::beside(&a, "two-b");
        a.start(&sim.base_url, 0);
        b.start(&sim.base_url, 0);
        let front = balancer([a.port, b.port]).await;
        sim.add_endpoint(&format!("http://127.0.0.1:{front}/v1/stripe/webhooks/{}/test", a.merchant), &[WEBHOOK_SECRET], false);

        release_sales(&sim, SALES);
        let clicks = tokio::spawn(send_batches([a.port, b.port]));

        // Killed mid-run, while events and batches are still arriving.
        let db = pool(&url).await;
        let start = Instant::now();
        while count(&db, "SELECT COUNT(*) FROM stripe_events").await < 150 {
            assert!(start.elapsed() < Duration::from_secs(60), "the run never got going");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let stored = count(&db, "SELECT COUNT(*) FROM stripe_events").await;
        a.kill();
        eprintln!("SIGKILL of one origin with {stored} events stored, {} pending", pending(&db).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.start(&sim.base_url, 0);

        sim.wait_delivered(Duration::from_secs(120)).await.expect("every webhook delivered");
        clicks.await.expect("every batch delivered");
        settled(&db, "the two origins").await;

        assert_eq!(count(&db, "SELECT COUNT(*) FROM conversions").await, SALES, "every sale, once");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_events WHERE action = 'conversion.attributed'").await, SALES, "attributed once");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM conversions WHERE status = 'partially_refunded'").await, SALES / 10);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM audit_events WHERE action = 'commission.reduced'").await,
            SALES / 10,
            "refunds applied once"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM clicks").await, i64::from(BATCHES * CLICKS_PER_BATCH), "every click, once");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM stripe_events WHERE processed_at IS NULL").await, 0, "nothing pending or parked");
        let total = count(&db, "SELECT COUNT(*) FROM stripe_events").await;
        assert!(total >= SALES * 4, "every event stored once: {total}");
        drop((a, b));
        db.close().await;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&admin).await;
    });
}
