//! What attribution knows when it decides: the payment, each link of the chain that matched,
//! the customer's binding, the affiliates and campaigns they name, and the visitors behind the
//! clicks. Read by `reconcile/attribution/read.rs`, decided on by `decide.rs`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::VisitorClick;
use crate::domain::affiliate::AffiliateStatus;
use crate::domain::campaign::CampaignRules;

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

/// What attribution needs of an affiliate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affiliate {
    /// The affiliate's id.
    pub id: String,
    /// Its campaign, whose rules apply.
    pub campaign_id: String,
    /// Its own rate, overriding the campaign's, in basis points.
    pub commission_bps_override: Option<i64>,
    /// Only an active affiliate earns.
    pub status: AffiliateStatus,
    /// Contact email, compared with the buyer's to spot self-referrals.
    pub email: Option<String>,
    /// Its referral code.
    pub code: String,
}

/// A stored click, as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Click {
    /// The click id.
    pub click_id: String,
    /// The affiliate its code named.
    pub affiliate_id: Option<String>,
    /// The edge's visitor hash.
    pub visitor: Option<String>,
    /// Received at the edge, UTC epoch ms.
    pub received_at: i64,
}

/// A customer's `payref_ref` / `payref_click` metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// `payref_ref`: an affiliate's referral code.
    pub ref_code: Option<String>,
    /// `payref_click`: the click id.
    pub ref_click: Option<String>,
}

/// One link of the chain that names an affiliate payref knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The affiliate it names.
    pub affiliate_id: String,
    /// The click id it names, stored or not.
    pub named_click: Option<String>,
    /// That click, when payref stored it.
    pub click: Option<Click>,
    /// What matched, for the audit trail.
    pub evidence: Value,
}

/// A lead whose email matched the buyer's: which visitor identified it, and how many emails
/// that visitor identified that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    /// The visitor hash that sent the lead.
    pub visitor: Option<String>,
    /// Emails that visitor identified that day.
    pub visitor_emails: usize,
}

/// The links that matched, one per method; `decide` tries them in the chain's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Links {
    /// The `client_reference_id`: a click id and code, or a bare code.
    pub reference: Option<Link>,
    /// The customer's `payref_ref` / `payref_click`.
    pub metadata: Option<Link>,
    /// A promotion code or coupon mapped to an affiliate.
    pub discount: Option<Link>,
    /// The buyer's email matched to a lead, with the lead.
    pub lead: Option<(Link, Lead)>,
}

/// A customer already bound to an affiliate.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The affiliate the customer is bound to.
    pub affiliate_id: String,
    /// Bound, UTC epoch ms: the campaign's duration runs from here.
    pub bound_at: i64,
    /// How and from what it was bound, for the audit trail.
    pub evidence: Value,
}

/// A visitor behind a click: their referral clicks around the payment and their recent purchases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visitor {
    /// The visitor's first and last referral clicks within each cookie window that applies
    /// (`visitor_span`): all first- and last-click can credit. `decide` counts a click only
    /// within the window of the campaign it applies.
    pub clicks: Vec<VisitorClick>,
    /// Conversions of this visitor's clicks in the last `REPEAT_VISITOR_WINDOW_MS`.
    pub recent_purchases: i64,
}

/// Everything `decide` needs, read beforehand.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The payment.
    pub payment: &'a Payment<'a>,
    /// The chain's links that matched.
    pub links: Links,
    /// The customer's binding, when the customer is bound.
    pub binding: Option<Binding>,
    /// Whether no earlier payment of the customer was recorded as a conversion.
    pub first_payment: bool,
    /// The customer's metadata as payref last saw it; `None` when never seen.
    pub metadata: Option<Metadata>,
    /// Every affiliate a link, the binding or a visitor's click names, by id.
    pub affiliates: BTreeMap<String, Affiliate>,
    /// Their campaigns' rules, by campaign id.
    pub campaigns: BTreeMap<String, CampaignRules>,
    /// The visitors behind the links' clicks, by visitor hash.
    pub visitors: BTreeMap<String, Visitor>,
    /// Now, UTC epoch ms.
    pub now: i64,
}
