//! The default world the decision's cases change, and the one-line summary they compare.

use std::collections::BTreeMap;

use serde_json::json;

use super::super::*;
use crate::domain::attribution::facts::{Binding, Links, Payment, Visitor};
use crate::domain::campaign::{Approval, CommissionType};
use crate::domain::commission::DAY_MS;

pub(super) const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, the payment
pub(super) const HOUR: i64 = 3_600_000;

/// The default world: affiliates A and B on a 10 % campaign (auto approval, 30-day window,
/// last click), C on a flat campaign (500 usd); a 10,000 usd payment at T0, completed an hour
/// after any click; no customer, no link.
pub(super) struct World {
    pub(super) customer: Option<&'static str>,
    pub(super) email: Option<&'static str>,
    pub(super) earns: bool,
    pub(super) commissionable: i64,
    pub(super) currency: &'static str,
    pub(super) completed_at: Option<i64>,
    pub(super) links: Links,
    pub(super) binding: Option<Binding>,
    pub(super) first_payment: bool,
    pub(super) metadata: Option<Metadata>,
    pub(super) affiliates: BTreeMap<String, Affiliate>,
    pub(super) campaigns: BTreeMap<String, CampaignRules>,
    pub(super) visitors: BTreeMap<String, Visitor>,
}

pub(super) fn affiliate(id: &str, code: &str, campaign: &str) -> Affiliate {
    Affiliate {
        id: id.into(),
        campaign_id: campaign.into(),
        commission_bps_override: None,
        status: AffiliateStatus::Active,
        email: Some(format!("{code}@affiliates.example").to_lowercase()),
        code: code.into(),
    }
}

pub(super) fn percent() -> CampaignRules {
    CampaignRules { approval: Approval::Auto, cookie_window_days: 30, ..CampaignRules::percent("Ten", 1_000) }
}

pub(super) fn world() -> World {
    let flat = CampaignRules {
        commission_type: CommissionType::Flat,
        commission_bps: None,
        flat_amounts: [("usd".to_owned(), 500)].into(),
        ..percent()
    };
    World {
        customer: None,
        email: Some("buyer@example.com"),
        earns: true,
        commissionable: 10_000,
        currency: "usd",
        completed_at: Some(T0),
        links: Links::default(),
        binding: None,
        first_payment: true,
        metadata: None,
        affiliates: [affiliate("aff_a", "A", "cmp_pct"), affiliate("aff_b", "B", "cmp_pct"), affiliate("aff_c", "C", "cmp_flat")]
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect(),
        campaigns: [("cmp_pct".to_owned(), percent()), ("cmp_flat".to_owned(), flat)].into(),
        visitors: BTreeMap::new(),
    }
}

pub(super) fn click(id: &str, affiliate: &str, visitor: Option<&str>, at: i64) -> Click {
    Click { click_id: id.into(), affiliate_id: Some(affiliate.into()), visitor: visitor.map(Into::into), received_at: at }
}

/// A link to `affiliate` naming `click`, stored (`Some`) or not.
pub(super) fn link(affiliate: &str, named: Option<&str>, click: Option<Click>) -> Link {
    Link { affiliate_id: affiliate.into(), named_click: named.map(Into::into), click, evidence: json!({ "link": affiliate }) }
}

/// A link to `affiliate` with a click an hour before the payment, from visitor `v1`.
pub(super) fn clicked(affiliate: &str) -> Link {
    link(affiliate, Some("clk_1"), Some(click("clk_1", affiliate, Some("v1"), T0 - HOUR)))
}

pub(super) fn visitor(clicks: &[(&str, &str, i64)], recent_purchases: i64) -> Visitor {
    let clicks =
        clicks.iter().map(|(id, aff, at)| VisitorClick { click_id: (*id).into(), affiliate_id: (*aff).into(), received_at: *at }).collect();
    Visitor { clicks, recent_purchases }
}

pub(super) fn bound_to(affiliate: &str, days_before: i64) -> Binding {
    Binding { affiliate_id: affiliate.into(), bound_at: T0 - days_before * DAY_MS, evidence: json!({ "bound": affiliate }) }
}

impl World {
    pub(super) fn decide(&self) -> Decision {
        let payment = Payment {
            event_id: "evt_1",
            stripe_object_id: "cs_1",
            livemode: false,
            paid_at: T0,
            completed_at: self.completed_at,
            customer_id: self.customer,
            email: self.email,
            client_reference_id: None,
            payment_intent_id: None,
            discounts: Vec::new(),
            amount_paid: self.commissionable,
            commissionable: self.commissionable,
            currency: self.currency,
            earns: self.earns,
        };
        decide(&Facts {
            payment: &payment,
            links: self.links.clone(),
            binding: self.binding.clone(),
            first_payment: self.first_payment,
            metadata: self.metadata.clone(),
            affiliates: self.affiliates.clone(),
            campaigns: self.campaigns.clone(),
            visitors: self.visitors.clone(),
            now: T0 + HOUR,
        })
    }

    pub(super) fn rules(&mut self, campaign: &str) -> &mut CampaignRules {
        self.campaigns.get_mut(campaign).expect("a campaign of the world")
    }
}

/// One line for the whole decision.
pub(super) fn summary(d: &Decision) -> String {
    let c = match d {
        Decision::NotAttributed(why) => return format!("not: {why}"),
        Decision::Credited(c) => c,
    };
    let mut s = format!("{} by {}", c.affiliate.id, c.method.as_str());
    if let Some(click) = &c.click {
        s += &format!(" click {}", click.click_id);
    }
    if c.bind_customer {
        s += " +bind";
    }
    if c.write_metadata {
        s += " +metadata";
    }
    match &c.sale {
        Sale::BindsOnly => s += ": binds only",
        Sale::Skipped(why) => s += &format!(": skipped, {why}"),
        Sale::Earns(e) => {
            s += &format!(": {} at {} bps, {}", e.commission, e.rate_bps, e.status.as_str());
            if let Some(hold) = e.hold_until {
                s += &format!(" until +{}d", (hold - T0 - HOUR) / DAY_MS);
            }
            if !e.flags.is_empty() {
                s += &format!(" [{}]", e.flags.join(","));
            }
            if let Some(reason) = &e.reason {
                s += &format!(" ({reason})");
            }
        }
    }
    s
}
