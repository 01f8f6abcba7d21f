//! The rules once a link is found: window, click model, status, duration, commission, review.

use super::Case;

use super::world::*;
use crate::domain::affiliate::AffiliateStatus;
use crate::domain::attribution::Metadata;
use crate::domain::campaign::{Approval, AttributionModel, Duration};
use crate::domain::commission::DAY_MS;

/// Cases of the rules.
pub(super) const CASES: &[Case] = &[
    (
        "a click past the cookie window",
        |w| {
            w.links.reference = Some(link("aff_a", Some("clk_1"), Some(click("clk_1", "aff_a", Some("v1"), T0 - 30 * DAY_MS - 1))));
        },
        "not: the referral click is older than the campaign's 30-day cookie window",
    ),
    (
        "a click on the window's last millisecond",
        |w| {
            w.links.reference = Some(link("aff_a", Some("clk_1"), Some(click("clk_1", "aff_a", None, T0 - 30 * DAY_MS))));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, approved",
    ),
    (
        "last click: the visitor's later click for B wins",
        |w| {
            w.links.reference = Some(clicked("aff_a"));
            w.visitors.insert("v1".into(), visitor(&[("clk_1", "aff_a", T0 - HOUR), ("clk_2", "aff_b", T0 - HOUR / 2)], 0));
        },
        "aff_b by client_reference_id click clk_2: 1000 at 1000 bps, approved",
    ),
    (
        "first click: the visitor's earlier click for C wins, on C's flat campaign",
        |w| {
            w.rules("cmp_pct").attribution_model = AttributionModel::FirstClick;
            w.links.reference = Some(clicked("aff_a"));
            w.visitors.insert("v1".into(), visitor(&[("clk_0", "aff_c", T0 - 5 * DAY_MS), ("clk_1", "aff_a", T0 - HOUR)], 0));
        },
        "aff_c by client_reference_id click clk_0: 500 at 0 bps, approved",
    ),
    (
        "first click ignores a click before the window",
        |w| {
            w.rules("cmp_pct").attribution_model = AttributionModel::FirstClick;
            w.links.reference = Some(clicked("aff_a"));
            w.visitors.insert("v1".into(), visitor(&[("clk_0", "aff_b", T0 - 31 * DAY_MS), ("clk_1", "aff_a", T0 - HOUR)], 0));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, approved",
    ),
    (
        "the model's winner belongs to an unknown affiliate: the link's stands",
        |w| {
            w.links.reference = Some(clicked("aff_a"));
            w.visitors.insert("v1".into(), visitor(&[("clk_2", "aff_gone", T0 - 60_000)], 0));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, approved",
    ),
    (
        "a paused affiliate earns nothing",
        |w| {
            w.affiliates.get_mut("aff_a").unwrap().status = AffiliateStatus::Paused;
            w.links.reference = Some(clicked("aff_a"));
        },
        "not: affiliate is not active",
    ),
    (
        "the model hands the sale to a banned affiliate: nobody earns",
        |w| {
            w.affiliates.get_mut("aff_b").unwrap().status = AffiliateStatus::Banned;
            w.links.reference = Some(clicked("aff_a"));
            w.visitors.insert("v1".into(), visitor(&[("clk_2", "aff_b", T0 - 60_000)], 0));
        },
        "not: affiliate is not active",
    ),
    (
        "one-time: the bound customer's second payment",
        |w| {
            w.rules("cmp_pct").duration = Duration::OneTime;
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_a", 40));
            w.first_payment = false;
        },
        "not: the campaign's commission duration has ended for this customer",
    ),
    (
        "one-time: the bound customer's first payment earns",
        |w| {
            w.rules("cmp_pct").duration = Duration::OneTime;
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_a", 1));
        },
        "aff_a by customer_binding +metadata: 1000 at 1000 bps, approved",
    ),
    (
        "three months: a payment within them",
        |w| {
            (w.rules("cmp_pct").duration, w.rules("cmp_pct").duration_months) = (Duration::Months, Some(3));
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_a", 80));
            w.first_payment = false;
        },
        "aff_a by customer_binding +metadata: 1000 at 1000 bps, approved",
    ),
    (
        "three months: a payment after them",
        |w| {
            (w.rules("cmp_pct").duration, w.rules("cmp_pct").duration_months) = (Duration::Months, Some(3));
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_a", 95));
            w.first_payment = false;
        },
        "not: the campaign's commission duration has ended for this customer",
    ),
    (
        "the duration runs only for the affiliate the customer is bound to",
        |w| {
            w.rules("cmp_pct").duration = Duration::OneTime;
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_b", 40));
            w.first_payment = false;
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1 +metadata: 1000 at 1000 bps, approved",
    ),
    (
        "a subscription checkout binds the customer; its invoices earn",
        |w| {
            (w.customer, w.earns) = (Some("cus_1"), false);
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1 +bind +metadata: binds only",
    ),
    (
        "a trial: zero revenue is skipped but still binds",
        |w| {
            (w.customer, w.commissionable) = (Some("cus_1"), 0);
            w.links.reference = Some(clicked("aff_a"));
            w.metadata = Some(Metadata { ref_code: Some("A".into()), ref_click: Some("clk_1".into()) });
        },
        "aff_a by client_reference_id click clk_1 +bind: skipped, zero revenue (the campaign skips it)",
    ),
    (
        "zero revenue is recorded when the campaign keeps it",
        |w| {
            w.rules("cmp_pct").skip_zero_revenue = false;
            w.commissionable = 0;
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 0 at 1000 bps, approved",
    ),
    (
        "the affiliate's own email paid",
        |w| {
            w.email = Some(" A@Affiliates.Example ");
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, denied (self-referral: the affiliate's own email paid)",
    ),
    (
        "self-referral outranks the review flags",
        |w| {
            (w.email, w.completed_at) = (Some("a@affiliates.example"), Some(T0 - HOUR + 1_000));
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, denied [fast_purchase] (self-referral: the affiliate's own email paid)",
    ),
    (
        "bought seconds after the click",
        |w| {
            w.completed_at = Some(T0 - HOUR + 9_999);
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, pending [fast_purchase]",
    ),
    (
        "a visitor's third purchase in a day",
        |w| {
            w.links.reference = Some(clicked("aff_a"));
            w.visitors.insert("v1".into(), visitor(&[("clk_1", "aff_a", T0 - HOUR)], 2));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, pending [repeat_visitor]",
    ),
    (
        "manual approval",
        |w| {
            w.rules("cmp_pct").approval = Approval::Manual;
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, pending",
    ),
    (
        "a 14-day hold",
        |w| {
            (w.rules("cmp_pct").approval, w.rules("cmp_pct").hold_days) = (Approval::Hold, Some(14));
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, pending until +14d",
    ),
    (
        "the affiliate's own rate",
        |w| {
            w.affiliates.get_mut("aff_a").unwrap().commission_bps_override = Some(1_500);
            w.links.reference = Some(clicked("aff_a"));
        },
        "aff_a by client_reference_id click clk_1: 1500 at 1500 bps, approved",
    ),
    (
        "a rate override turns a flat campaign into a percentage",
        |w| {
            w.affiliates.get_mut("aff_c").unwrap().commission_bps_override = Some(250);
            w.links.discount = Some(link("aff_c", None, None));
        },
        "aff_c by promotion_code: 250 at 250 bps, approved",
    ),
    (
        "a flat campaign in a currency it has no amount for",
        |w| {
            w.currency = "eur";
            w.links.discount = Some(link("aff_c", None, None));
        },
        "aff_c by promotion_code: 0 at 0 bps, approved",
    ),
];
