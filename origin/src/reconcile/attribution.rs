//! Who brought a payment: the attribution chain (first match wins, in `chain`), then the campaign's rules
//! (cookie window, first- or last-click, the affiliate's status, the campaign's duration,
//! self-referral), then the conversion, its commission, the customer's binding and the audit
//! entry with the method and the evidence.
//!
//! Runs inside the transaction that marks the Stripe event processed, so a redelivered event
//! never records a second conversion, and a failure records nothing.

use serde_json::json;
use sqlx::AnyConnection;

use super::chain::{self, Found};
use crate::domain::attribution::{
    self, Method, REPEAT_VISITOR_WINDOW_MS, duration_covers, review_flags, same_email, winning_click, within_window,
};
use crate::domain::campaign::CommissionType;
use crate::domain::commission::{CommissionStatus, DAY_MS, initial_status};
use crate::storage::affiliates::{self, AffiliateRef};
use crate::storage::audit::{self, Actor, Entry};
use crate::storage::campaigns::{self, CampaignRow};
use crate::storage::clicks;
use crate::storage::customers::{self, NewBinding};
use crate::storage::stripe_customers::{self, Metadata};
use crate::storage::{StorageError, conversions};

/// A payment Stripe reported, as attribution sees it.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    /// The event that reported it (the audit entry's actor).
    pub event_id: &'a str,
    /// `cs_…` or `in_…`: one conversion per object.
    pub stripe_object_id: &'a str,
    /// Test or live mode.
    pub livemode: bool,
    /// When it was paid, UTC epoch ms.
    pub paid_at: i64,
    /// When the buyer completed the payment, as Stripe reported it (not known for a session
    /// found by reconciling), UTC epoch ms.
    pub completed_at: Option<i64>,
    /// The Stripe customer, when there is one.
    pub customer_id: Option<&'a str>,
    /// The buyer's email, when Stripe gave one.
    pub email: Option<&'a str>,
    /// What the tracker (or the merchant) set.
    pub client_reference_id: Option<&'a str>,
    /// The PaymentIntent, which later refunds name.
    pub payment_intent_id: Option<&'a str>,
    /// Promotion codes, then coupons, applied to it.
    pub discounts: Vec<&'a str>,
    /// Paid in all, minor units.
    pub amount_paid: i64,
    /// Paid less tax and shipping, minor units.
    pub commissionable: i64,
    /// Lowercase ISO currency.
    pub currency: &'a str,
    /// False for a subscription checkout: it binds the customer, its invoices earn.
    pub earns: bool,
}

/// What attributing a payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A conversion was recorded for this affiliate.
    Attributed {
        /// The affiliate credited.
        affiliate_id: String,
        /// The commission, minor units (0 when denied).
        commission: i64,
    },
    /// The customer was bound to the affiliate; the payments that follow earn.
    Bound {
        /// The affiliate the customer is bound to.
        affiliate_id: String,
    },
    /// The payment was already recorded.
    AlreadyRecorded,
    /// Nothing to record, and why.
    NotAttributed(String),
}

impl Outcome {
    /// The outcome kept with the event.
    pub fn label(&self) -> String {
        match self {
            Self::Attributed { .. } => "attributed".into(),
            Self::Bound { .. } => "customer_bound".into(),
            Self::AlreadyRecorded => "already_recorded".into(),
            Self::NotAttributed(why) => format!("not_attributed: {why}"),
        }
    }
}

async fn campaign_of(conn: &mut AnyConnection, merchant_id: &str, affiliate: &AffiliateRef) -> Result<CampaignRow, StorageError> {
    campaigns::get(&mut *conn, merchant_id, &affiliate.campaign_id)
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("affiliate {} has no campaign {}", affiliate.id, affiliate.campaign_id)))
}

/// Applies the cookie window and the campaign's click model to a click-based match: a click
/// past the window does not count; among the visitor's clicks in the window, first-click
/// credits the earliest and last-click the latest.
async fn apply_click_rules(
    conn: &mut AnyConnection,
    merchant_id: &str,
    found: &mut Found,
    campaign: &mut CampaignRow,
    paid_at: i64,
) -> Result<Option<String>, StorageError> {
    let Some(click) = found.click.clone() else {
        return Ok(None);
    };
    let window = campaign.rules.cookie_window_days;
    if !within_window(click.received_at, paid_at, window) {
        return Ok(Some(format!("the referral click is older than the campaign's {window}-day cookie window")));
    }
    let Some(visitor) = &click.visitor else {
        return Ok(None);
    };
    let from = paid_at.saturating_sub(window.saturating_mul(DAY_MS));
    let mut seen = clicks::visitor_clicks(conn, merchant_id, visitor, from, paid_at.saturating_add(DAY_MS)).await?;
    if seen.iter().all(|c| c.click_id != click.click_id) {
        // A repeat click, or one named by a lead: it competes as itself.
        if let Some(affiliate_id) = &click.affiliate_id {
            seen.push(attribution::VisitorClick {
                click_id: click.click_id.clone(),
                affiliate_id: affiliate_id.clone(),
                received_at: click.received_at,
            });
        }
    }
    let model = campaign.rules.attribution_model;
    let Some(winner) = winning_click(model, &seen, paid_at, window) else {
        return Ok(None);
    };
    if winner.affiliate_id != found.affiliate.id {
        let Some(affiliate) = affiliates::affiliate_ref(&mut *conn, merchant_id, &winner.affiliate_id).await? else {
            return Ok(None);
        };
        found.evidence["model"] = json!({
            "rule": model.as_str(),
            "credited_click_id": winner.click_id,
            "instead_of_affiliate_id": found.affiliate.id,
        });
        found.click = clicks::evidence(conn, merchant_id, &winner.click_id).await?;
        *campaign = campaign_of(conn, merchant_id, &affiliate).await?;
        found.affiliate = affiliate;
    }
    Ok(None)
}

/// Attributes one payment and records what follows from it; `metadata` is the customer's
/// `payref_ref` / `payref_click` as the caller read it.
pub async fn attribute(
    conn: &mut AnyConnection,
    merchant_id: &str,
    lead_secret: &[u8],
    p: &Payment<'_>,
    read: chain::Read,
    now: i64,
) -> Result<Outcome, StorageError> {
    let not = |why: &str| Ok(Outcome::NotAttributed(why.to_owned()));
    // Read once: a link in the chain, the start of the campaign's duration, and whether to bind.
    let binding = match p.customer_id {
        Some(c) => customers::get(conn, merchant_id, p.livemode, c).await?,
        None => None,
    };
    let metadata = read.metadata.clone();
    let metadata = metadata.as_ref();
    let Some(mut found) = chain::find(conn, merchant_id, lead_secret, p, binding.as_ref(), read).await? else {
        return not("no referral found");
    };
    let mut campaign = campaign_of(conn, merchant_id, &found.affiliate).await?;
    if found.method != Method::CustomerBinding
        && let Some(why) = apply_click_rules(conn, merchant_id, &mut found, &mut campaign, p.paid_at).await?
    {
        return Ok(Outcome::NotAttributed(why));
    }
    let affiliate = &found.affiliate;
    if affiliate.status != "active" {
        return not("affiliate is not active");
    }
    let rules = &campaign.rules;
    if let (Some(b), Some(customer)) = (&binding, p.customer_id)
        && b.affiliate_id == affiliate.id
    {
        let first = !conversions::customer_has_converted(conn, merchant_id, p.livemode, customer).await?;
        if !duration_covers(rules.duration, rules.duration_months, b.created_at, p.paid_at, first) {
            return not("the campaign's commission duration has ended for this customer");
        }
    }
    let click_id = found.click.as_ref().map(|c| c.click_id.clone());
    if let (Some(customer), None) = (p.customer_id, &binding) {
        let new = NewBinding {
            merchant_id,
            livemode: p.livemode,
            customer_id: customer,
            affiliate_id: &affiliate.id,
            method: found.method.as_str(),
            click_id: click_id.as_deref(),
            source_object_id: p.stripe_object_id,
        };
        if customers::bind(conn, &new, now).await? {
            let entry = Entry {
                merchant_id,
                object_type: "customer",
                object_id: customer,
                action: "customer.bound",
                actor: &Actor::Stripe(p.event_id.to_owned()),
                detail: json!({ "affiliate_id": affiliate.id, "method": found.method.as_str(), "evidence": found.evidence, "stripe_object_id": p.stripe_object_id }),
            };
            audit::record(conn, &entry, now).await?;
        }
    }
    // The customer carries the match from now on (renewals, later purchases, other systems).
    if let Some(customer) = p.customer_id {
        let wanted = Metadata { ref_code: Some(affiliate.code.clone()), ref_click: click_id.clone() };
        if metadata != Some(&wanted) {
            stripe_customers::queue_write(conn, merchant_id, p.livemode, customer, &affiliate.code, click_id.as_deref(), now).await?;
        }
    }
    if !p.earns {
        return Ok(Outcome::Bound { affiliate_id: affiliate.id.clone() });
    }
    if p.commissionable == 0 && rules.skip_zero_revenue {
        return not("zero revenue (the campaign skips it)");
    }
    let self_referral = matches!((&affiliate.email, p.email), (Some(a), Some(b)) if same_email(a, b));
    let commission = rules.commission(p.commissionable, p.currency, affiliate.commission_bps_override);
    let rate_bps = match (affiliate.commission_bps_override, rules.commission_type) {
        (Some(bps), _) => bps,
        (None, CommissionType::Percent) => rules.commission_bps.unwrap_or(0),
        (None, CommissionType::Flat) => 0,
    };
    let earlier = match found.click.as_ref().and_then(|c| c.visitor.as_deref()) {
        Some(visitor) => conversions::visitor_purchases(conn, merchant_id, p.livemode, visitor, now - REPEAT_VISITOR_WINDOW_MS).await?,
        None => 0,
    };
    let mut flags = review_flags(found.click.as_ref().map(|c| c.received_at), p.completed_at, earlier);
    flags.extend(found.flags.iter().copied());
    let (commission_status, hold_until, commission_reason) = if self_referral {
        (CommissionStatus::Denied, None, Some("self-referral: the affiliate's own email paid".to_owned()))
    } else if !flags.is_empty() {
        // Flagged: earned, but approved only by the merchant.
        (CommissionStatus::Pending, None, None)
    } else {
        let (status, hold) = initial_status(rules.approval, rules.hold_days, now);
        (status, hold, None)
    };
    let new = conversions::NewConversion {
        merchant_id: merchant_id.to_owned(),
        livemode: p.livemode,
        stripe_object_id: p.stripe_object_id.to_owned(),
        affiliate_id: affiliate.id.clone(),
        click_id,
        attribution_method: found.method.as_str(),
        amount: p.commissionable,
        amount_paid: p.amount_paid,
        currency: p.currency.to_owned(),
        customer_id: p.customer_id.map(str::to_owned),
        payment_intent_id: p.payment_intent_id.map(str::to_owned),
        rate_bps,
        commission,
        commission_status,
        hold_until,
        commission_reason: commission_reason.clone(),
        review_flags: (!flags.is_empty()).then(|| flags.join(",")),
    };
    let Some(recorded) = conversions::insert_conversion(conn, &new, now).await? else {
        return Ok(Outcome::AlreadyRecorded);
    };
    let entry = Entry {
        merchant_id,
        object_type: "conversion",
        object_id: &recorded.conversion_id,
        action: "conversion.attributed",
        actor: &Actor::Stripe(p.event_id.to_owned()),
        detail: json!({
            "method": new.attribution_method,
            "evidence": found.evidence,
            "stripe_object_id": p.stripe_object_id,
            "affiliate_id": affiliate.id,
            "campaign_id": campaign.id,
            "amount": new.amount,
            "currency": new.currency,
            "commission_id": recorded.commission_id,
            "commission": commission,
            "commission_status": commission_status.as_str(),
            "commission_reason": commission_reason,
            "hold_until": hold_until,
            "review_flags": flags,
        }),
    };
    audit::record(conn, &entry, now).await?;
    Ok(Outcome::Attributed { affiliate_id: affiliate.id.clone(), commission })
}
