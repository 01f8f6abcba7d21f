//! What happens at Stripe, played out with the objects and events Stripe produces, in the
//! order Stripe sends them.

use serde_json::{Value, json};

use crate::objects::{self, Amounts, InvoiceParts, SessionParts, id};
use crate::{SimError, Simulator, State};

/// A Payment Link (or Checkout) purchase.
#[derive(Debug, Clone)]
pub struct Purchase {
    /// Live or test mode.
    pub livemode: bool,
    /// What the page wrote into the link.
    pub client_reference_id: Option<String>,
    /// The buyer's email.
    pub email: String,
    /// What was paid.
    pub amounts: Amounts,
    /// An existing customer; a new one is created otherwise.
    pub customer: Option<String>,
    /// A promotion code id applied at checkout.
    pub promotion_code: Option<String>,
    /// Paid by an asynchronous method (bank debit): completes unpaid, settles later.
    pub async_payment: bool,
}

impl Purchase {
    /// A test-mode card purchase of `total` (with `tax` in it) in `currency`.
    pub fn new(client_reference_id: Option<&str>, email: &str, total: i64, tax: i64, currency: &str) -> Self {
        Self {
            livemode: false,
            client_reference_id: client_reference_id.map(str::to_string),
            email: email.to_string(),
            amounts: Amounts { total, tax, shipping: 0, discount: 0, currency: currency.to_string() },
            customer: None,
            promotion_code: None,
            async_payment: false,
        }
    }
}

/// What a purchase created.
#[derive(Debug, Clone)]
pub struct Paid {
    /// `cs_…`.
    pub session: String,
    /// `cus_…`.
    pub customer: String,
    /// `pi_…`.
    pub payment_intent: String,
    /// `ch_…`.
    pub charge: String,
}

/// A subscription bought through Checkout.
#[derive(Debug, Clone)]
pub struct Subscribe {
    /// Live or test mode.
    pub livemode: bool,
    /// What the page wrote into the link.
    pub client_reference_id: Option<String>,
    /// The buyer's email.
    pub email: String,
    /// Each period's price, tax included.
    pub amount: i64,
    /// Tax in it.
    pub tax: i64,
    /// Lowercase ISO currency.
    pub currency: String,
    /// A free trial of this many days first (the first invoice is for zero).
    pub trial_days: Option<i64>,
    /// An existing customer; a new one is created otherwise.
    pub customer: Option<String>,
}

impl Subscribe {
    /// A test-mode subscription of `amount` a period (with `tax` in it) in `currency`, no trial.
    pub fn new(client_reference_id: Option<&str>, email: &str, amount: i64, tax: i64, currency: &str) -> Self {
        Self {
            livemode: false,
            client_reference_id: client_reference_id.map(str::to_string),
            email: email.to_string(),
            amount,
            tax,
            currency: currency.to_string(),
            trial_days: None,
            customer: None,
        }
    }
}

/// What a subscription checkout created.
#[derive(Debug, Clone)]
pub struct Subscribed {
    /// `cs_…`.
    pub session: String,
    /// `cus_…`.
    pub customer: String,
    /// `sub_…`.
    pub subscription: String,
    /// The first invoice.
    pub invoice: String,
    /// Its charge; `None` for a trial's zero invoice.
    pub charge: Option<String>,
}

/// A paid invoice.
#[derive(Debug, Clone)]
pub struct InvoicePaid {
    /// `in_…`.
    pub invoice: String,
    /// `ch_…`, `None` when nothing was charged.
    pub charge: Option<String>,
    /// `pi_…`.
    pub payment_intent: Option<String>,
}

const MONTH: i64 = 30 * 86_400;

impl Simulator {
    fn customer_for(&self, st: &mut State, livemode: bool, existing: Option<&str>, email: &str) -> Result<String, SimError> {
        if let Some(id) = existing {
            return if st.get(livemode, "customer", id).is_some() { Ok(id.to_string()) } else { Err(SimError::missing("customer", id)) };
        }
        let id = id("cus", 14);
        let customer = objects::customer(&id, livemode, st.now(), Some(email), Some("Test Buyer"), json!({}));
        st.put(livemode, "customer", customer.clone());
        self.emit(st, livemode, "customer.created", customer, None);
        Ok(id)
    }

    /// Creates a customer as a merchant's server would through the API (e.g. for a free trial),
    /// with `metadata` such as `payref_ref`.
    pub fn create_customer(&self, livemode: bool, email: Option<&str>, metadata: Value) -> Value {
        let mut st = self.state();
        let id = id("cus", 14);
        let customer = objects::customer(&id, livemode, st.now(), email, None, metadata);
        st.put(livemode, "customer", customer.clone());
        self.emit(&mut st, livemode, "customer.created", customer.clone(), None);
        customer
    }

    /// Merges `metadata` into a customer's (an empty string removes a key), emitting
    /// `customer.updated`.
    pub fn update_customer_metadata(&self, livemode: bool, customer: &str, metadata: &Value) -> Result<Value, SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "customer", customer).cloned().ok_or_else(|| SimError::missing("customer", customer))?;
        let previous = object["metadata"].clone();
        merge_metadata(&mut object["metadata"], metadata);
        st.put(livemode, "customer", object.clone());
        self.emit(&mut st, livemode, "customer.updated", object.clone(), Some(json!({ "metadata": previous })));
        Ok(object)
    }

    /// A buyer pays a Payment Link: customer, PaymentIntent, charge and a completed Checkout
    /// Session, with Stripe's events.
    pub fn pay_payment_link(&self, p: &Purchase) -> Result<Paid, SimError> {
        let mut st = self.state();
        let live = p.livemode;
        let now = st.now();
        let customer = self.customer_for(&mut st, live, p.customer.as_deref(), &p.email)?;
        let promotion = match &p.promotion_code {
            Some(promo) => {
                let object = st.get(live, "promotion_code", promo).ok_or_else(|| SimError::missing("promotion_code", promo))?;
                Some((promo.clone(), object["promotion"]["coupon"].as_str().unwrap_or_default().to_string()))
            }
            None => None,
        };
        let (session, pi, ch) = (id(if live { "cs_live_a1" } else { "cs_test_a1" }, 56), id("pi_3", 24), id("ch_3", 24));
        let a = &p.amounts;
        let session_object = objects::checkout_session(&SessionParts {
            id: &session,
            livemode: live,
            created: now,
            mode: "payment",
            client_reference_id: p.client_reference_id.as_deref(),
            customer: Some(&customer),
            email: Some(&p.email),
            amounts: a,
            payment_intent: Some(&pi),
            subscription: None,
            invoice: None,
            promotion: promotion.as_ref().map(|(p, c)| (p.as_str(), c.as_str())),
            payment_status: if p.async_payment { "unpaid" } else { "paid" },
            payment_link: Some("plink_1DemoShop00000001"),
        });
        if p.async_payment {
            // A bank debit is still processing when the session completes.
            let mut intent = objects::payment_intent(&pi, live, now, a.total, &a.currency, Some(&customer), &ch);
            intent["status"] = json!("processing");
            intent["amount_received"] = json!(0);
            intent["latest_charge"] = Value::Null;
            st.put(live, "payment_intent", intent);
        } else {
            self.charge_paid(&mut st, live, &pi, &ch, a.total, &a.currency, Some(&customer), Some(&p.email));
        }
        st.put(live, "checkout.session", session_object.clone());
        self.emit(&mut st, live, "checkout.session.completed", session_object.clone(), None);
        if let Some((promo, _)) = &promotion
            && let Some(mut code) = st.get(live, "promotion_code", promo).cloned()
        {
            code["times_redeemed"] = json!(code["times_redeemed"].as_i64().unwrap_or(0) + 1);
            st.put(live, "promotion_code", code);
        }
        Ok(Paid { session, customer, payment_intent: pi, charge: ch })
    }

    /// Adds `n` completed, paid Checkout Sessions (a bulk load for benchmarks: no customer,
    /// no PaymentIntent, no events), totals `total`, `total + 1`, …; returns how many.
    pub fn add_completed_sessions(&self, livemode: bool, n: usize, client_reference_id: Option<&str>, total: i64) -> usize {
        let mut st = self.state();
        let now = st.now();
        for i in 0..n {
            let session = id(if livemode { "cs_live_b1" } else { "cs_test_b1" }, 56);
            let amounts = Amounts { total: total + i as i64, tax: 0, shipping: 0, discount: 0, currency: "usd".into() };
            let object = objects::checkout_session(&SessionParts {
                id: &session,
                livemode,
                created: now,
                mode: "payment",
                client_reference_id,
                customer: None,
                email: Some("bulk@example.com"),
                amounts: &amounts,
                payment_intent: None,
                subscription: None,
                invoice: None,
                promotion: None,
                payment_status: "paid",
                payment_link: Some("plink_1DemoShop00000001"),
            });
            st.put(livemode, "checkout.session", object);
        }
        n
    }

    /// An asynchronous payment of a completed session settles: paid (a charge and
    /// `checkout.session.async_payment_succeeded`) or failed (`…_failed`).
    pub fn settle_async_payment(&self, livemode: bool, session: &str, succeeded: bool) -> Result<Option<String>, SimError> {
        let mut st = self.state();
        let mut object =
            st.get(livemode, "checkout.session", session).cloned().ok_or_else(|| SimError::missing("checkout.session", session))?;
        let mut charge = None;
        if succeeded {
            let pi = object["payment_intent"].as_str().unwrap_or_default().to_string();
            let ch = id("ch_3", 24);
            let amount = object["amount_total"].as_i64().unwrap_or_default();
            let currency = object["currency"].as_str().unwrap_or("usd").to_string();
            let customer = object["customer"].as_str().map(str::to_string);
            let email = object["customer_details"]["email"].as_str().map(str::to_string);
            self.charge_paid(&mut st, livemode, &pi, &ch, amount, &currency, customer.as_deref(), email.as_deref());
            object["payment_status"] = json!("paid");
            charge = Some(ch);
        }
        st.put(livemode, "checkout.session", object.clone());
        let kind = if succeeded { "checkout.session.async_payment_succeeded" } else { "checkout.session.async_payment_failed" };
        self.emit(&mut st, livemode, kind, object, None);
        Ok(charge)
    }

    #[allow(clippy::too_many_arguments)]
    fn charge_paid(
        &self,
        st: &mut State,
        live: bool,
        pi: &str,
        ch: &str,
        amount: i64,
        currency: &str,
        customer: Option<&str>,
        email: Option<&str>,
    ) {
        let now = st.now();
        let intent = objects::payment_intent(pi, live, now, amount, currency, customer, ch);
        let charge = objects::charge(ch, live, now, amount, currency, customer, pi, email);
        st.put(live, "payment_intent", intent.clone());
        st.put(live, "charge", charge.clone());
        self.emit(st, live, "charge.succeeded", charge, None);
        self.emit(st, live, "payment_intent.succeeded", intent, None);
    }

    /// A buyer subscribes through Checkout: customer, subscription, first invoice (zero during
    /// a trial) and a completed session, with Stripe's events.
    pub fn subscribe(&self, s: &Subscribe) -> Result<Subscribed, SimError> {
        let mut st = self.state();
        let live = s.livemode;
        let now = st.now();
        let customer = self.customer_for(&mut st, live, s.customer.as_deref(), &s.email)?;
        let sub = id("sub_1", 24);
        let trial_end = s.trial_days.map(|d| now + d * 86_400);
        let subscription = objects::subscription(&sub, live, now, &customer, &s.currency, trial_end);
        st.put(live, "subscription", subscription.clone());
        self.emit(&mut st, live, "customer.subscription.created", subscription, None);
        let (amount, tax) = if trial_end.is_some() { (0, 0) } else { (s.amount, s.tax) };
        let period_end = trial_end.unwrap_or(now + MONTH);
        let first =
            self.invoice_paid(&mut st, live, &customer, &s.email, &sub, "subscription_create", amount, tax, &s.currency, (now, period_end));
        let session = id(if live { "cs_live_b1" } else { "cs_test_b1" }, 56);
        let amounts = Amounts { total: amount, tax, shipping: 0, discount: 0, currency: s.currency.clone() };
        let object = objects::checkout_session(&SessionParts {
            id: &session,
            livemode: live,
            created: now,
            mode: "subscription",
            client_reference_id: s.client_reference_id.as_deref(),
            customer: Some(&customer),
            email: Some(&s.email),
            amounts: &amounts,
            payment_intent: None,
            subscription: Some(&sub),
            invoice: Some(&first.invoice),
            promotion: None,
            payment_status: if amount == 0 { "no_payment_required" } else { "paid" },
            payment_link: Some("plink_1DemoShop00000002"),
        });
        st.put(live, "checkout.session", object.clone());
        self.emit(&mut st, live, "checkout.session.completed", object, None);
        Ok(Subscribed { session, customer, subscription: sub, invoice: first.invoice, charge: first.charge })
    }

    #[allow(clippy::too_many_arguments)]
    fn invoice_paid(
        &self,
        st: &mut State,
        live: bool,
        customer: &str,
        email: &str,
        sub: &str,
        billing_reason: &str,
        amount: i64,
        tax: i64,
        currency: &str,
        period: (i64, i64),
    ) -> InvoicePaid {
        let now = st.now();
        let invoice = id("in_1", 24);
        let (mut charge, mut intent) = (None, None);
        let object = objects::invoice(&InvoiceParts {
            id: &invoice,
            livemode: live,
            created: now,
            customer,
            email: Some(email),
            subscription: sub,
            billing_reason,
            amount_paid: amount,
            tax,
            currency,
            period,
        });
        if amount > 0 {
            let (pi, ch) = (id("pi_3", 24), id("ch_3", 24));
            self.charge_paid(st, live, &pi, &ch, amount, currency, Some(customer), Some(email));
            let payment = objects::invoice_payment(&id("inpay_1", 24), live, now, &invoice, amount, currency, &pi);
            st.put(live, "invoice_payment", payment);
            charge = Some(ch);
            intent = Some(pi);
        }
        st.put(live, "invoice", object.clone());
        self.emit(st, live, "invoice.paid", object, None);
        InvoicePaid { invoice, charge, payment_intent: intent }
    }

    /// The subscription's next period is billed and paid (the clock should have moved on; see
    /// [`Simulator::advance`]).
    pub fn renew(&self, livemode: bool, subscription: &str, amount: i64, tax: i64) -> Result<InvoicePaid, SimError> {
        let mut st = self.state();
        let mut sub =
            st.get(livemode, "subscription", subscription).cloned().ok_or_else(|| SimError::missing("subscription", subscription))?;
        if sub["status"] == "canceled" {
            return Err(SimError::invalid("subscription", "the subscription is canceled"));
        }
        let customer = sub["customer"].as_str().unwrap_or_default().to_string();
        let email = st.get(livemode, "customer", &customer).and_then(|c| c["email"].as_str()).unwrap_or_default().to_string();
        let currency = sub["currency"].as_str().unwrap_or("usd").to_string();
        let now = st.now();
        let paid = self.invoice_paid(
            &mut st,
            livemode,
            &customer,
            &email,
            subscription,
            "subscription_cycle",
            amount,
            tax,
            &currency,
            (now, now + MONTH),
        );
        let previous = json!({ "status": sub["status"].clone(), "latest_invoice": sub["latest_invoice"].clone() });
        sub["status"] = json!("active");
        sub["latest_invoice"] = json!(paid.invoice);
        st.put(livemode, "subscription", sub.clone());
        self.emit(&mut st, livemode, "customer.subscription.updated", sub, Some(previous));
        Ok(paid)
    }

    /// The customer cancels: `customer.subscription.deleted`.
    pub fn cancel_subscription(&self, livemode: bool, subscription: &str) -> Result<(), SimError> {
        let mut st = self.state();
        let mut sub =
            st.get(livemode, "subscription", subscription).cloned().ok_or_else(|| SimError::missing("subscription", subscription))?;
        let now = st.now();
        sub["status"] = json!("canceled");
        sub["canceled_at"] = json!(now);
        sub["ended_at"] = json!(now);
        sub["cancellation_details"]["reason"] = json!("cancellation_requested");
        st.put(livemode, "subscription", sub.clone());
        self.emit(&mut st, livemode, "customer.subscription.deleted", sub, None);
        Ok(())
    }

    /// Refunds `amount` of a charge (all that is left when `None`): a refund, the charge's
    /// cumulative `amount_refunded`, `refund.created` and `charge.refunded`.
    pub fn refund(&self, livemode: bool, charge: &str, amount: Option<i64>) -> Result<String, SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "charge", charge).cloned().ok_or_else(|| SimError::missing("charge", charge))?;
        let total = object["amount"].as_i64().unwrap_or_default();
        let refunded = object["amount_refunded"].as_i64().unwrap_or_default();
        let amount = amount.unwrap_or(total - refunded);
        if amount <= 0 || refunded + amount > total {
            return Err(Self::refund_error(amount, total - refunded));
        }
        let now = st.now();
        let re = id("re_3", 24);
        let pi = object["payment_intent"].as_str().unwrap_or_default().to_string();
        let currency = object["currency"].as_str().unwrap_or("usd").to_string();
        let refund = objects::refund(&re, now, amount, &currency, charge, &pi, "succeeded");
        st.put(livemode, "refund", refund.clone());
        let previous = json!({ "amount_refunded": refunded, "refunded": false });
        object["amount_refunded"] = json!(refunded + amount);
        object["refunded"] = json!(refunded + amount == total);
        st.put(livemode, "charge", object.clone());
        self.emit(&mut st, livemode, "refund.created", refund, None);
        self.emit(&mut st, livemode, "charge.refunded", object, Some(previous));
        Ok(re)
    }

    fn refund_error(amount: i64, left: i64) -> SimError {
        SimError {
            status: 400,
            body: objects::error(
                "invalid_request_error",
                Some("charge_already_refunded"),
                &format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"),
                Some("amount"),
            ),
        }
    }

    /// A refund fails (the card was closed): the money returns to the merchant, the charge's
    /// `amount_refunded` drops back, `refund.failed`.
    pub fn fail_refund(&self, livemode: bool, refund: &str) -> Result<(), SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "refund", refund).cloned().ok_or_else(|| SimError::missing("refund", refund))?;
        if object["status"] == "failed" {
            return Ok(());
        }
        object["status"] = json!("failed");
        object["failure_reason"] = json!("expired_or_canceled_card");
        st.put(livemode, "refund", object.clone());
        let charge_id = object["charge"].as_str().unwrap_or_default().to_string();
        if let Some(mut charge) = st.get(livemode, "charge", &charge_id).cloned() {
            let refunded = charge["amount_refunded"].as_i64().unwrap_or_default() - object["amount"].as_i64().unwrap_or_default();
            charge["amount_refunded"] = json!(refunded.max(0));
            charge["refunded"] = json!(false);
            st.put(livemode, "charge", charge);
        }
        self.emit(&mut st, livemode, "refund.failed", object, Some(json!({ "status": "pending" })));
        Ok(())
    }

    /// The buyer disputes a charge: `charge.dispute.created`.
    pub fn dispute(&self, livemode: bool, charge: &str) -> Result<String, SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "charge", charge).cloned().ok_or_else(|| SimError::missing("charge", charge))?;
        let now = st.now();
        let dp = id("dp_1", 24);
        let amount = object["amount"].as_i64().unwrap_or_default();
        let currency = object["currency"].as_str().unwrap_or("usd").to_string();
        let pi = object["payment_intent"].as_str().unwrap_or_default().to_string();
        let dispute = objects::dispute(&dp, livemode, now, amount, &currency, charge, &pi, "needs_response");
        object["disputed"] = json!(true);
        st.put(livemode, "charge", object);
        st.put(livemode, "dispute", dispute.clone());
        self.emit(&mut st, livemode, "charge.dispute.created", dispute, None);
        Ok(dp)
    }

    /// A dispute is decided: `charge.dispute.closed` with status `won` or `lost`.
    pub fn close_dispute(&self, livemode: bool, dispute: &str, won: bool) -> Result<(), SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "dispute", dispute).cloned().ok_or_else(|| SimError::missing("dispute", dispute))?;
        let previous = json!({ "status": object["status"].clone() });
        object["status"] = json!(if won { "won" } else { "lost" });
        st.put(livemode, "dispute", object.clone());
        self.emit(&mut st, livemode, "charge.dispute.closed", object, Some(previous));
        Ok(())
    }

    /// A coupon: `percent_off`, or an amount off in a currency.
    pub fn create_coupon(&self, livemode: bool, percent_off: Option<f64>, amount_off: Option<(i64, &str)>) -> String {
        let mut st = self.state();
        let coupon_id = id("", 8).trim_start_matches('_').to_uppercase();
        let coupon = objects::coupon(&coupon_id, livemode, st.now(), percent_off, amount_off, None);
        st.put(livemode, "coupon", coupon.clone());
        self.emit(&mut st, livemode, "coupon.created", coupon, None);
        coupon_id
    }

    /// A promotion code (`code`, e.g. `ALICE10`) for a coupon, with `metadata`.
    pub fn create_promotion_code(&self, livemode: bool, code: &str, coupon: &str, metadata: Value) -> Result<String, SimError> {
        let mut st = self.state();
        if st.get(livemode, "coupon", coupon).is_none() {
            return Err(SimError::missing("coupon", coupon));
        }
        let promo = id("promo_1", 24);
        let object = objects::promotion_code(&promo, livemode, st.now(), code, coupon, metadata);
        st.put(livemode, "promotion_code", object.clone());
        self.emit(&mut st, livemode, "promotion_code.created", object, None);
        Ok(promo)
    }

    /// Changes a promotion code's `active` flag and merges `metadata`: `promotion_code.updated`.
    pub fn update_promotion_code(&self, livemode: bool, promo: &str, active: Option<bool>, metadata: &Value) -> Result<Value, SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "promotion_code", promo).cloned().ok_or_else(|| SimError::missing("promotion_code", promo))?;
        let previous = json!({ "active": object["active"].clone(), "metadata": object["metadata"].clone() });
        if let Some(active) = active {
            object["active"] = json!(active);
        }
        merge_metadata(&mut object["metadata"], metadata);
        st.put(livemode, "promotion_code", object.clone());
        self.emit(&mut st, livemode, "promotion_code.updated", object.clone(), Some(previous));
        Ok(object)
    }

    /// Credits (negative) or debits a customer's balance.
    pub fn add_balance_transaction(
        &self,
        livemode: bool,
        customer: &str,
        amount: i64,
        currency: &str,
        description: Option<&str>,
    ) -> Result<Value, SimError> {
        let mut st = self.state();
        let mut object = st.get(livemode, "customer", customer).cloned().ok_or_else(|| SimError::missing("customer", customer))?;
        let balance = object["balance"].as_i64().unwrap_or_default() + amount;
        object["balance"] = json!(balance);
        if object["currency"].is_null() {
            object["currency"] = json!(currency);
        }
        let txn = objects::balance_transaction(&id("cbtxn_1", 24), livemode, st.now(), customer, amount, currency, balance, description);
        st.put(livemode, "customer", object.clone());
        st.put(livemode, "customer_balance_transaction", txn.clone());
        self.emit(&mut st, livemode, "customer.updated", object, Some(json!({ "balance": balance - amount })));
        Ok(txn)
    }
}

/// Stripe's metadata update: keys merged, an empty value removes the key.
pub fn merge_metadata(target: &mut Value, update: &Value) {
    if !target.is_object() {
        *target = json!({});
    }
    let (Some(target), Some(update)) = (target.as_object_mut(), update.as_object()) else { return };
    for (k, v) in update {
        match v.as_str() {
            Some("") => {
                target.remove(k);
            }
            _ => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}
