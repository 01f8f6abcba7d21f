//! The attribution decision: from the facts read about a payment, which affiliate is credited,
//! how and on what evidence, and what the sale earns. Every rule of attribution is applied
//! here, in this order: the chain (first match wins), the cookie window and the click model,
//! the affiliate's status, the campaign's duration, then the commission, self-referral and
//! the review flags. Pure; `reconcile/attribution/` reads the facts and records the decision.

use serde_json::{Value, json};

use super::facts::{Affiliate, Click, Facts, Link, Links, Metadata};
use super::{Method, VisitorClick, duration_covers, review_flags, same_email, winning_click, within_window};
use crate::domain::affiliate::AffiliateStatus;
use crate::domain::campaign::CampaignRules;
use crate::domain::commission::{CommissionStatus, initial_status};
use crate::domain::lead;

/// What attributing a payment comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// No affiliate is credited, and why.
    NotAttributed(String),
    /// An affiliate is credited with the customer and, when the payment earns, with the sale.
    Credited(Box<Credit>),
}

/// An affiliate credited, and what follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    /// The affiliate credited.
    pub affiliate: Affiliate,
    /// Which link of the chain named it.
    pub method: Method,
    /// The click credited, when one was stored.
    pub click: Option<Click>,
    /// What matched, for the audit trail (with the click model's choice, when it changed hands).
    pub evidence: Value,
    /// Whether to bind the customer to the affiliate (it is not bound yet).
    pub bind_customer: bool,
    /// Whether the customer's Stripe metadata must be written (it does not name this affiliate
    /// and click yet).
    pub write_metadata: bool,
    /// What the payment itself earns.
    pub sale: Sale,
}

/// What a credited payment earns.
#[derive(Debug, Clone, PartialEq)]
pub enum Sale {
    /// A subscription checkout: it binds the customer; its invoices earn.
    BindsOnly,
    /// Not recorded, and why; the customer is bound all the same.
    Skipped(String),
    /// Recorded as a conversion with this commission.
    Earns(Earning),
}

/// A conversion's commission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earning {
    /// The rate it is recorded at, basis points (0 for a flat commission).
    pub rate_bps: i64,
    /// The commission, minor units of the payment's currency.
    pub commission: i64,
    /// Where it starts.
    pub status: CommissionStatus,
    /// When a held commission approves itself.
    pub hold_until: Option<i64>,
    /// Why it was denied.
    pub reason: Option<String>,
    /// Why it waits for the merchant's review.
    pub flags: Vec<&'static str>,
}

/// A link the chain settled on.
struct Picked<'f> {
    method: Method,
    affiliate: &'f Affiliate,
    rules: &'f CampaignRules,
    click: Option<Click>,
    evidence: Value,
    flags: Vec<&'static str>,
}

/// The flag of a link that names a click payref never stored: the code still attributes (an ad
/// blocker may have stopped the click's beacon), but anyone can make such an id up, so no
/// window, click model or fast-purchase check could run on it.
const UNKNOWN_CLICK: &str = "unknown_click";

/// Decides who brought the payment the facts describe.
pub fn decide(f: &Facts<'_>) -> Decision {
    let p = f.payment;
    let Some(mut pick) = chain(f) else {
        return not("no referral found");
    };
    if pick.method != Method::CustomerBinding
        && let Some(why) = click_rules(f, &mut pick)
    {
        return Decision::NotAttributed(why);
    }
    let (affiliate, rules) = (pick.affiliate, pick.rules);
    if affiliate.status != AffiliateStatus::Active {
        return not("affiliate is not active");
    }
    if let (Some(b), Some(_)) = (&f.binding, p.customer_id)
        && b.affiliate_id == affiliate.id
        && !duration_covers(rules.duration, rules.duration_months, b.bound_at, p.paid_at, f.first_payment)
    {
        return not("the campaign's commission duration has ended for this customer");
    }
    let wanted = Metadata { ref_code: Some(affiliate.code.clone()), ref_click: pick.click.as_ref().map(|c| c.click_id.clone()) };
    let sale = if !p.earns {
        Sale::BindsOnly
    } else if p.commissionable == 0 && rules.skip_zero_revenue {
        Sale::Skipped("zero revenue (the campaign skips it)".into())
    } else {
        Sale::Earns(earning(f, &pick))
    };
    Decision::Credited(Box::new(Credit {
        affiliate: affiliate.clone(),
        method: pick.method,
        bind_customer: p.customer_id.is_some() && f.binding.is_none(),
        write_metadata: p.customer_id.is_some() && f.metadata.as_ref() != Some(&wanted),
        click: pick.click,
        evidence: pick.evidence,
        sale,
    }))
}

fn not(why: &str) -> Decision {
    Decision::NotAttributed(why.to_owned())
}

/// The chain, first match wins: `client_reference_id`, the customer's metadata (unless it
/// repeats the binding, which is then the evidence), the customer's binding, a promotion code
/// or coupon, a lead's email. A link counts only when payref knows its affiliate and campaign.
fn chain<'f>(f: &'f Facts<'_>) -> Option<Picked<'f>> {
    let links = &f.links;
    let bound_to = f.binding.as_ref().map(|b| b.affiliate_id.as_str());
    let link = |method, link: &Link, mut flags: Vec<&'static str>| {
        if link.named_click.is_some() && link.click.is_none() {
            flags.push(UNKNOWN_CLICK);
        }
        let (affiliate, rules) = terms(f, &link.affiliate_id)?;
        Some(Picked { method, affiliate, rules, click: link.click.clone(), evidence: link.evidence.clone(), flags })
    };
    let reference = || links.reference.as_ref().and_then(|l| link(Method::ClientReferenceId, l, Vec::new()));
    let metadata = || {
        let l = links.metadata.as_ref().filter(|l| Some(l.affiliate_id.as_str()) != bound_to)?;
        link(Method::CustomerMetadata, l, Vec::new())
    };
    let binding = || {
        let b = f.binding.as_ref()?;
        let (affiliate, rules) = terms(f, &b.affiliate_id)?;
        Some(Picked { method: Method::CustomerBinding, affiliate, rules, click: None, evidence: b.evidence.clone(), flags: Vec::new() })
    };
    let discount = || links.discount.as_ref().and_then(|l| link(Method::PromotionCode, l, Vec::new()));
    let lead = || {
        let (l, lead) = links.lead.as_ref()?;
        let click_visitor = l.click.as_ref().and_then(|c| c.visitor.as_deref());
        link(Method::LeadEmail, l, lead::lead_review_flags(lead.visitor.as_deref(), click_visitor, lead.visitor_emails))
    };
    reference().or_else(metadata).or_else(binding).or_else(discount).or_else(lead)
}

impl Links {
    /// Once the `client_reference_id` and the customer's metadata are read: whether they and
    /// the binding settle the chain, so that the links after them (a discount, a lead) cannot
    /// change the decision ([`chain`]'s order), and the reader may stop there. `bound_to` is
    /// the binding's affiliate when payref knows it; every link present names a known one.
    pub fn settled(&self, bound_to: Option<&str>) -> bool {
        self.reference.is_some()
            || self.metadata.as_ref().is_some_and(|m| Some(m.affiliate_id.as_str()) != bound_to)
            || bound_to.is_some()
            || self.discount.is_some()
    }
}

fn terms<'f>(f: &'f Facts<'_>, affiliate_id: &str) -> Option<(&'f Affiliate, &'f CampaignRules)> {
    let affiliate = f.affiliates.get(affiliate_id)?;
    Some((affiliate, f.campaigns.get(&affiliate.campaign_id)?))
}

/// The cookie window and the click model, for a link with a stored click: a click past the
/// window does not count; among the visitor's clicks in the window, first-click credits the
/// earliest and last-click the latest, which may hand the sale to another affiliate.
fn click_rules<'f>(f: &'f Facts<'_>, pick: &mut Picked<'f>) -> Option<String> {
    let paid_at = f.payment.paid_at;
    let click = pick.click.clone()?;
    let window = pick.rules.cookie_window_days;
    if !within_window(click.received_at, paid_at, window) {
        return Some(format!("the referral click is older than the campaign's {window}-day cookie window"));
    }
    let visitor = click.visitor.as_deref()?;
    let mut seen = f.visitors.get(visitor).map(|v| v.clicks.clone()).unwrap_or_default();
    if let Some(affiliate_id) = &click.affiliate_id
        && seen.iter().all(|c| c.click_id != click.click_id)
    {
        // A repeat click, or one named by a lead: it competes as itself.
        seen.push(VisitorClick { click_id: click.click_id.clone(), affiliate_id: affiliate_id.clone(), received_at: click.received_at });
    }
    let model = pick.rules.attribution_model;
    let winner = winning_click(model, &seen, paid_at, window)?;
    if winner.affiliate_id == pick.affiliate.id {
        return None;
    }
    let (affiliate, rules) = terms(f, &winner.affiliate_id)?;
    pick.evidence["model"] = json!({
        "rule": model.as_str(),
        "credited_click_id": winner.click_id,
        "instead_of_affiliate_id": pick.affiliate.id,
    });
    pick.click = Some(Click {
        click_id: winner.click_id.clone(),
        affiliate_id: Some(winner.affiliate_id.clone()),
        visitor: Some(visitor.to_owned()),
        received_at: winner.received_at,
    });
    (pick.affiliate, pick.rules) = (affiliate, rules);
    None
}

/// The commission and where it starts: denied for a self-referral, pending for the merchant's
/// review when flagged, else as the campaign's approval rule says.
fn earning(f: &Facts<'_>, pick: &Picked<'_>) -> Earning {
    let (p, affiliate, rules) = (f.payment, pick.affiliate, pick.rules);
    let self_referral = matches!((&affiliate.email, p.email), (Some(a), Some(b)) if same_email(a, b));
    let visitor = pick.click.as_ref().and_then(|c| c.visitor.as_ref());
    let earlier = visitor.and_then(|v| f.visitors.get(v)).map_or(0, |v| v.recent_purchases);
    let mut flags = review_flags(pick.click.as_ref().map(|c| c.received_at), p.completed_at, earlier);
    flags.extend(pick.flags.iter().copied());
    let (status, hold_until, reason) = if self_referral {
        (CommissionStatus::Denied, None, Some("self-referral: the affiliate's own email paid".to_owned()))
    } else if !flags.is_empty() {
        // Flagged: earned, but approved only by the merchant.
        (CommissionStatus::Pending, None, None)
    } else {
        let (status, hold) = initial_status(rules.approval, rules.hold_days, f.now);
        (status, hold, None)
    };
    Earning {
        rate_bps: rules.rate_bps(affiliate.commission_bps_override),
        commission: rules.commission(p.commissionable, p.currency, affiliate.commission_bps_override),
        status,
        hold_until,
        reason,
        flags,
    }
}

#[cfg(test)]
#[path = "decide_tests/mod.rs"]
mod tests;
