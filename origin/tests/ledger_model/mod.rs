//! Histories for the ledger properties: what Stripe reports about a few payments (in Stripe's
//! shapes), the merchant's actions between, a harness applying them through the real event
//! worker and storage, and the ledger's invariants over a snapshot of one merchant.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use payref_origin::Db;
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
use payref_origin::stripe::client::StripeApi;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use sqlx::Row as _;

/// One step of a history.
#[derive(Debug, Clone)]
pub enum Step {
    /// A Stripe event delivered (again, when its id was delivered before).
    Event { id: String, kind: &'static str, object: Value, created: i64 },
    /// The merchant approves payment `n`'s commission.
    Approve(usize),
    /// The merchant denies it.
    Deny(usize),
    /// Holds end.
    Release,
    /// The merchant pays out everything due.
    Payout,
}

/// A history: Stripe's events in the order Stripe made them.
#[derive(Debug, Clone)]
pub struct History {
    /// Payments, refunds and disputes, in Stripe's order.
    pub events: Vec<Step>,
    /// Payments made.
    payments: usize,
    /// Whether any refund failed (a failed refund delivered before the refunds it undoes
    /// cannot be placed without reading the charge back from Stripe).
    pub has_failed_refund: bool,
}

fn event(id: String, kind: &'static str, object: Value, created: i64) -> Step {
    Step::Event { id, kind, object, created }
}

impl History {
    /// One to three payments, each followed by up to four refunds, failed refunds or a dispute.
    pub fn generate(rng: &mut StdRng) -> Self {
        let mut t = payref_origin::now_ms() / 1000 - 600;
        let mut tick = || {
            t += 1;
            t
        };
        let mut events = Vec::new();
        let payments = rng.random_range(1..=3usize);
        let mut has_failed_refund = false;
        for p in 0..payments {
            let amount: i64 = rng.random_range(1_000..=20_000);
            let created = tick();
            events.push(event(format!("evt_pay{p}"), "checkout.session.completed", session(p, amount, created), created));
            let (mut refunded, mut refunds): (i64, Vec<(String, i64, i64, bool)>) = (0, Vec::new());
            for op in 0..rng.random_range(0..=4) {
                let created = tick();
                match rng.random_range(0..10) {
                    0..=4 if refunded < amount => {
                        let x = if rng.random_bool(0.4) { amount - refunded } else { rng.random_range(1..=amount - refunded) };
                        refunded += x;
                        refunds.push((format!("re_{p}_{op}"), x, created, false));
                        events.push(event(format!("evt_ref{p}_{op}"), "charge.refunded", charge(p, amount, refunded, created), created));
                    }
                    5..=6 if refunds.iter().any(|r| !r.3) => {
                        let Some(r) = refunds.iter_mut().rev().find(|r| !r.3) else { continue };
                        r.3 = true;
                        refunded -= r.1;
                        has_failed_refund = true;
                        let refund = json!({ "id": r.0, "object": "refund", "amount": r.1, "charge": format!("ch_{p}"), "created": r.2,
                            "currency": "usd", "metadata": {}, "payment_intent": format!("pi_{p}"), "status": "failed" });
                        events.push(event(format!("evt_fail{p}_{op}"), "refund.failed", refund, created));
                    }
                    7..=9 => {
                        events.push(event(
                            format!("evt_dsp{p}"),
                            "charge.dispute.created",
                            dispute(p, amount, "needs_response", created),
                            created,
                        ));
                        if rng.random_bool(0.7) {
                            let status = if rng.random_bool(0.5) { "won" } else { "lost" };
                            let closed = tick();
                            events.push(event(format!("evt_dsc{p}"), "charge.dispute.closed", dispute(p, amount, status, closed), closed));
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
        Self { events, payments, has_failed_refund }
    }

    /// The events, a few delivered late or twice, with the merchant's actions between.
    pub fn with_actions(&self, rng: &mut StdRng) -> Vec<Step> {
        let mut out: Vec<Step> = Vec::new();
        for e in &self.events {
            out.push(e.clone());
            if rng.random_bool(0.2) {
                let at = rng.random_range(0..=out.len());
                out.insert(at, e.clone());
            }
            for _ in 0..rng.random_range(0..=2) {
                out.push(match rng.random_range(0..10) {
                    0..=3 => Step::Approve(rng.random_range(0..self.payments)),
                    4 => Step::Deny(rng.random_range(0..self.payments)),
                    5 => Step::Release,
                    _ => Step::Payout,
                });
            }
        }
        out.push(Step::Payout);
        out
    }
}

fn session(p: usize, amount: i64, created: i64) -> Value {
    json!({ "id": format!("cs_{p}"), "object": "checkout.session", "amount_subtotal": amount, "amount_total": amount,
        "client_reference_id": "demo", "created": created, "currency": "usd", "customer": null,
        "customer_details": { "email": format!("buyer{p}@example.com") }, "livemode": false, "metadata": {}, "mode": "payment",
        "payment_intent": format!("pi_{p}"), "payment_status": "paid", "status": "complete",
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 } })
}

fn charge(p: usize, amount: i64, refunded: i64, created: i64) -> Value {
    json!({ "id": format!("ch_{p}"), "object": "charge", "amount": amount, "amount_captured": amount, "amount_refunded": refunded,
        "captured": true, "created": created, "currency": "usd", "livemode": false, "metadata": {}, "paid": true,
        "payment_intent": format!("pi_{p}"), "refunded": refunded >= amount, "status": "succeeded" })
}

fn dispute(p: usize, amount: i64, status: &str, created: i64) -> Value {
    json!({ "id": format!("dp_{p}"), "object": "dispute", "amount": amount, "charge": format!("ch_{p}"), "created": created,
        "currency": "usd", "livemode": false, "payment_intent": format!("pi_{p}"), "status": status })
}

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
        let worker = EventWorker {
            db: db.clone(),
            // A waiting event is retried when the harness says so (it makes events due between steps).
            policy: RetryPolicy { base_ms: 3_600_000, cap_ms: 3_600_000, max_attempts: 1_000_000 },
            wake: Arc::default(),
            metrics: Arc::default(),
            lead_secret: Arc::new(b"lead-secret-for-the-ledger".to_vec()),
            stripe: Arc::new(StripeApi { base_url: Some("http://127.0.0.1:9/".into()) }),
            keyring: Arc::new(keyring),
            lease_ms: 60_000,
        };
        Self { db, worker, _dir: tempdir::Dir(dir) }
    }

    /// A merchant with the affiliate `demo` on a 30% campaign, approving automatically or not.
    pub async fn merchant(&self, name: &str, auto: bool) -> String {
        let pool = &self.db.pool;
        let merchant = merchants::create_merchant(pool, name, "usd").await.expect("a merchant");
        let mut rules = CampaignRules::percent("30%", 3_000);
        rules.approval = if auto { Approval::Auto } else { Approval::Manual };
        let campaign = campaigns::insert(pool, &merchant, &rules).await.expect("a campaign");
        let demo = NewAffiliate {
            campaign_id: campaign,
            code: "demo".into(),
            name: "Demo".into(),
            email: None,
            payout_email: None,
            commission_bps_override: None,
        };
        affiliates::insert(pool, &merchant, &demo).await.expect("the affiliate");
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

/// One payment's state: its conversion, commission and adjustments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub commission_id: String,
    pub payment: String,
    pub conversion_status: String,
    pub amount_paid: i64,
    pub amount_refunded: i64,
    pub dispute: Option<String>,
    pub status: String,
    pub amount: i64,
    pub original: i64,
    pub held: bool,
    /// (id, amount, settled)
    pub adjustments: Vec<(String, i64, bool)>,
}

/// A merchant's ledger at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub rows: Vec<PaymentRow>,
    pub due: BTreeMap<String, i64>,
}

pub async fn snapshot(db: &Db, merchant: &str) -> Snapshot {
    let rows = sqlx::query(
        "SELECT m.id, v.stripe_object_id, v.status, v.amount_paid, v.amount_refunded, v.dispute_status, m.status, m.amount, \
                COALESCE(m.original_amount, m.amount), CASE WHEN m.held_by IS NULL THEN 0 ELSE 1 END \
         FROM commissions m JOIN conversions v ON v.id = m.conversion_id WHERE m.merchant_id = $1 ORDER BY v.stripe_object_id",
    )
    .bind(merchant)
    .fetch_all(&db.pool)
    .await
    .expect("reading the ledger");
    let adjustments = sqlx::query(
        "SELECT commission_id, id, amount, CASE WHEN settled_at IS NULL THEN 0 ELSE 1 END FROM commission_adjustments WHERE merchant_id = $1 ORDER BY id",
    )
    .bind(merchant)
    .fetch_all(&db.pool)
    .await
    .expect("reading adjustments");
    let rows = rows
        .iter()
        .map(|r| {
            let id: String = r.get(0);
            let adjustments =
                adjustments.iter().filter(|a| a.get::<String, _>(0) == id).map(|a| (a.get(1), a.get(2), a.get::<i64, _>(3) == 1)).collect();
            PaymentRow {
                commission_id: id,
                payment: r.get(1),
                conversion_status: r.get(2),
                amount_paid: r.get(3),
                amount_refunded: r.get(4),
                dispute: r.get(5),
                status: r.get(6),
                amount: r.get(7),
                original: r.get(8),
                held: r.get::<i64, _>(9) == 1,
                adjustments,
            }
        })
        .collect();
    let due = payouts::payouts_due(&db.pool, merchant, false, &HashMap::new())
        .await
        .expect("what is due")
        .into_iter()
        .map(|d| (format!("{}/{}", d.affiliate_id, d.currency), d.amount))
        .collect();
    Snapshot { rows, due }
}

impl PaymentRow {
    /// The commission's share of what remains paid: all of it taken by a lost dispute.
    fn share(&self) -> i64 {
        let taken = if self.dispute.as_deref() == Some("lost") { self.amount_paid } else { self.amount_refunded };
        if self.amount_paid == 0 { 0 } else { self.original * (self.amount_paid - taken) / self.amount_paid }
    }

    fn counts(&self) -> bool {
        self.status == "paid" || (self.status == "approved" && !self.held)
    }
}

impl Snapshot {
    /// The invariants, given the snapshot before this step.
    pub fn check(&self, before: &Snapshot) -> Result<(), String> {
        let mut due: BTreeMap<String, i64> = BTreeMap::new();
        for r in &self.rows {
            let key = "demo/usd".to_owned();
            if r.status == "approved" && !r.held {
                *due.entry(key.clone()).or_default() += r.amount;
            }
            if r.counts() {
                *due.entry(key).or_default() += r.adjustments.iter().filter(|a| !a.2).map(|a| a.1).sum::<i64>();
            }
            let net = r.amount + r.adjustments.iter().map(|a| a.1).sum::<i64>();
            if r.amount < 0 || r.amount > r.original {
                return Err(format!("{}: commission {} outside 0..={}", r.payment, r.amount, r.original));
            }
            let near = |a: i64, b: i64| (a - b).abs() <= 1;
            match r.status.as_str() {
                "pending" if !near(r.amount, r.share()) => {
                    return Err(format!("{}: pending {} but its share is {}", r.payment, r.amount, r.share()));
                }
                "reversed" if r.amount != 0 || r.share() > 1 => return Err(format!("{}: reversed with share {}", r.payment, r.share())),
                "approved" | "paid" if !near(net, r.share()) || net < 0 || net > r.original => {
                    return Err(format!(
                        "{}: {} {} with adjustments nets {} but its share is {}",
                        r.payment,
                        r.status,
                        r.amount,
                        net,
                        r.share()
                    ));
                }
                _ => {}
            }
        }
        // payouts_due lists what is positive, per affiliate and currency.
        let expected: Vec<i64> = due.into_values().filter(|v| *v > 0).collect();
        let listed: Vec<i64> = self.due.values().copied().collect();
        if expected != listed {
            return Err(format!("due {listed:?}, but approved unpaid commissions and open adjustments come to {expected:?}"));
        }
        for b in &before.rows {
            let Some(a) = self.rows.iter().find(|r| r.commission_id == b.commission_id) else {
                return Err(format!("{}: the commission disappeared", b.payment));
            };
            if b.status == "paid" && (a.status != "paid" || a.amount != b.amount) {
                return Err(format!("{}: paid {} became {} {}", b.payment, b.amount, a.status, a.amount));
            }
            for adj in &b.adjustments {
                match a.adjustments.iter().find(|x| x.0 == adj.0) {
                    Some(x) if x.1 == adj.1 && (x.2 || !adj.2) => {}
                    other => return Err(format!("{}: adjustment {adj:?} became {other:?}", b.payment)),
                }
            }
        }
        Ok(())
    }

    /// Per payment, what a delivery order must not change: the payment's state, the
    /// commission's status and what it nets.
    pub fn by_payment(&self) -> BTreeMap<String, (String, i64, Option<String>, String, i64)> {
        self.rows
            .iter()
            .map(|r| {
                let net = r.amount + r.adjustments.iter().map(|a| a.1).sum::<i64>();
                (r.payment.clone(), (r.conversion_status.clone(), r.amount_refunded, r.dispute.clone(), r.status.clone(), net))
            })
            .collect()
    }
}
