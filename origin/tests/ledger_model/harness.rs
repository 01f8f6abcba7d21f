//! The real event worker and storage over one SQLite database shared by every history's
//! merchants; each step applied as it would be in production.

use std::collections::HashMap;

use payref_origin::domain::campaign::{Approval, CampaignRules};
use payref_origin::domain::commission::CommissionAction;
use payref_origin::domain::retry::RetryPolicy;
use payref_origin::domain::secrets::Keyring;
use payref_origin::reconcile::events::EventWorker;
use payref_origin::storage::affiliates::{self, NewAffiliate};
use payref_origin::storage::audit::Actor;
use payref_origin::storage::commissions::{self, Action};
use payref_origin::storage::stripe_events::{self, RawEvent};
use payref_origin::storage::{begin_write, campaigns, merchants, payouts};
use payref_origin::{Application, Config, Db};
use serde_json::json;
use sqlx::Row as _;

use super::history::Step;

/// The real event worker over one SQLite database shared by every history's merchants.
pub struct Harness {
    pub db: Db,
    worker: EventWorker,
    _dir: tempdir::Dir,
}

mod tempdir {
    /// A directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Harness {
    pub async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("payref-ledger-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let db = Db::connect(&format!("sqlite://{}", dir.join("ledger.db").display())).await.expect("the database");
        let keyring = Keyring::parse("1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff").expect("keyring");
        let config = Config {
            database_url: String::new(),
            bind: "127.0.0.1:0".parse().expect("an address"),
            edge_secrets: Vec::new(),
            lead_secret: b"lead-secret-for-the-ledger".to_vec(),
            keyring,
            metrics_token: None,
            job_interval: std::time::Duration::from_secs(3600),
            stripe_api_base: Some("http://127.0.0.1:9/".into()),
            reconcile_interval: None,
            event_lease_ms: 60_000,
            // A waiting event is retried when the harness says so (it makes events due between steps).
            retry: RetryPolicy { base_ms: 3_600_000, cap_ms: 3_600_000, max_attempts: 1_000_000 },
        };
        let worker = Application::over(db.clone(), config).event_worker();
        Self { db, worker, _dir: tempdir::Dir(dir) }
    }

    /// A merchant with the affiliate `demo` on a 30% campaign, approving automatically or not.
    pub async fn merchant(&self, name: &str, auto: bool) -> String {
        let pool = &self.db.pool;
        let merchant = merchants::create_merchant(pool, name, "usd", payref_origin::now_ms()).await.expect("a merchant");
        let mut rules = CampaignRules::percent("30%", 3_000);
        rules.approval = if auto { Approval::Auto } else { Approval::Manual };
        let campaign = campaigns::insert(pool, &merchant, &rules, payref_origin::now_ms()).await.expect("a campaign");
        let demo = NewAffiliate {
            campaign_id: campaign,
            code: "demo".into(),
            name: "Demo".into(),
            email: None,
            payout_email: None,
            commission_bps_override: None,
        };
        affiliates::insert(pool, &merchant, &demo, payref_origin::now_ms()).await.expect("the affiliate");
        merchant
    }

    async fn commission_of(&self, merchant: &str, payment: usize) -> Option<String> {
        sqlx::query("SELECT m.id FROM commissions m JOIN conversions v ON v.id = m.conversion_id WHERE m.merchant_id = $1 AND v.stripe_object_id = $2")
            .bind(merchant)
            .bind(format!("cs_{payment}"))
            .fetch_optional(&self.db.pool)
            .await
            .expect("reading a commission")
            .map(|r| r.get(0))
    }

    async fn act(&self, merchant: &str, payment: usize, action: CommissionAction) {
        let Some(id) = self.commission_of(merchant, payment).await else { return };
        let reason = (action == CommissionAction::Deny).then(|| "denied in a property test".to_owned());
        let mut tx = begin_write(&self.db.pool).await.expect("a transaction");
        let a = Action { action, reason, payout_reference: None };
        commissions::apply(&mut tx, merchant, &id, &a, &Actor::Cli, payref_origin::now_ms()).await.expect("an action");
        tx.commit().await.expect("commit");
    }

    /// Applies a step and lets every event it unblocks apply.
    pub async fn apply(&self, merchant: &str, step: &Step) {
        let pool = &self.db.pool;
        let now = payref_origin::now_ms();
        match step {
            Step::Event { id, kind, object, created } => {
                let payload = json!({ "id": id, "object": "event", "api_version": "2026-09-30.clover", "created": created,
                    "data": { "object": object }, "livemode": false, "pending_webhooks": 1, "type": kind })
                .to_string();
                let raw = RawEvent { merchant_id: merchant, event_id: id, livemode: false, event_type: kind, payload: &payload };
                stripe_events::insert_event(pool, &raw, now).await.expect("storing an event");
                self.settle(merchant).await;
            }
            Step::Approve(p) => self.act(merchant, *p, CommissionAction::Approve).await,
            Step::Deny(p) => self.act(merchant, *p, CommissionAction::Deny).await,
            Step::Release => {
                commissions::release_held(pool, now + 400 * 86_400_000).await.expect("releasing holds");
            }
            Step::Payout => {
                for due in payouts::payouts_due(pool, merchant, false, &HashMap::new()).await.expect("what is due") {
                    let mut tx = begin_write(pool).await.expect("a transaction");
                    let reference = format!("tr_{now}");
                    payouts::record_payout(&mut tx, merchant, false, &due.affiliate_id, &due.currency, &reference, now)
                        .await
                        .expect("a payout");
                    tx.commit().await.expect("commit");
                }
            }
        }
    }

    /// Makes the merchant's waiting events due and drains, until nothing more applies.
    async fn settle(&self, merchant: &str) {
        let mut pending = i64::MAX;
        for _ in 0..6 {
            sqlx::query(
                "UPDATE stripe_events SET next_attempt_at = 0 WHERE merchant_id = $1 AND processed_at IS NULL AND parked_at IS NULL",
            )
            .bind(merchant)
            .execute(&self.db.pool)
            .await
            .expect("making events due");
            self.worker.drain().await.expect("draining");
            let now: i64 = sqlx::query("SELECT COUNT(*) FROM stripe_events WHERE merchant_id = $1 AND processed_at IS NULL")
                .bind(merchant)
                .fetch_one(&self.db.pool)
                .await
                .expect("counting")
                .get(0);
            if now == 0 || now == pending {
                return;
            }
            pending = now;
        }
    }
}
