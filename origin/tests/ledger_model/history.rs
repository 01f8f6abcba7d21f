//! Random histories: a few payments, each followed by refunds, failed refunds or a dispute, as
//! Stripe reports them; and the merchant's actions between, some events delivered late or twice.

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

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
