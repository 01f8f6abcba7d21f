//! A merchant's ledger at one moment, and the invariants between two moments.

use std::collections::{BTreeMap, HashMap};

use payref_origin::Db;
use payref_origin::storage::payouts;
use sqlx::Row as _;

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
