//! The chain: which link names the affiliate, first match wins.

use super::Case;

use super::world::*;
use crate::domain::attribution::Metadata;
use crate::domain::attribution::facts::{Lead, Links};

/// Cases of the chain.
pub(super) const CASES: &[Case] = &[
    ("nothing links the payment", |_| {}, "not: no referral found"),
    (
        "a tracked click",
        |w| w.links.reference = Some(clicked("aff_a")),
        "aff_a by client_reference_id click clk_1: 1000 at 1000 bps, approved",
    ),
    ("a bare code", |w| w.links.reference = Some(link("aff_a", None, None)), "aff_a by client_reference_id: 1000 at 1000 bps, approved"),
    (
        "a click id payref never stored",
        |w| w.links.reference = Some(link("aff_a", Some("clk_9"), None)),
        "aff_a by client_reference_id: 1000 at 1000 bps, pending [unknown_click]",
    ),
    (
        "the reference beats every other link",
        |w| {
            w.customer = Some("cus_1");
            w.links = Links {
                reference: Some(clicked("aff_a")),
                metadata: Some(link("aff_b", None, None)),
                discount: Some(link("aff_b", None, None)),
                lead: None,
            };
            w.binding = Some(bound_to("aff_b", 10));
        },
        "aff_a by client_reference_id click clk_1 +metadata: 1000 at 1000 bps, approved",
    ),
    (
        "a reference to an affiliate payref does not know falls through",
        |w| {
            w.links.reference = Some(link("aff_gone", None, None));
            w.links.discount = Some(link("aff_b", None, None));
        },
        "aff_b by promotion_code: 1000 at 1000 bps, approved",
    ),
    (
        "the customer's metadata binds a new customer",
        |w| {
            w.customer = Some("cus_1");
            w.metadata = Some(Metadata { ref_code: Some("B".into()), ref_click: None });
            w.links.metadata = Some(link("aff_b", None, None));
        },
        "aff_b by customer_metadata +bind: 1000 at 1000 bps, approved",
    ),
    (
        "metadata that repeats the binding: the binding is the evidence",
        |w| {
            w.customer = Some("cus_1");
            w.metadata = Some(Metadata { ref_code: Some("B".into()), ref_click: None });
            w.links.metadata = Some(link("aff_b", None, None));
            w.binding = Some(bound_to("aff_b", 10));
            w.first_payment = false;
        },
        "aff_b by customer_binding: 1000 at 1000 bps, approved",
    ),
    (
        "a binding to another affiliate does not hide the metadata",
        |w| {
            w.customer = Some("cus_1");
            w.links.metadata = Some(link("aff_b", None, None));
            w.binding = Some(bound_to("aff_a", 10));
        },
        "aff_b by customer_metadata +metadata: 1000 at 1000 bps, approved",
    ),
    (
        "a renewal through the binding writes missing metadata",
        |w| {
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_a", 40));
            w.first_payment = false;
        },
        "aff_a by customer_binding +metadata: 1000 at 1000 bps, approved",
    ),
    (
        "a binding to a deleted affiliate falls through to the discount",
        |w| {
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_gone", 10));
            w.links.discount = Some(link("aff_c", None, None));
        },
        "aff_c by promotion_code +metadata: 500 at 0 bps, approved",
    ),
    (
        "the binding ignores the cookie window",
        |w| {
            w.customer = Some("cus_1");
            w.binding = Some(bound_to("aff_a", 400));
            w.metadata = Some(Metadata { ref_code: Some("A".into()), ref_click: None });
        },
        "aff_a by customer_binding: 1000 at 1000 bps, approved",
    ),
    (
        "a lead's email from the click's own visitor",
        |w| {
            w.links.lead = Some((clicked("aff_a"), Lead { visitor: Some("v1".into()), visitor_emails: 1 }));
        },
        "aff_a by lead_email click clk_1: 1000 at 1000 bps, approved",
    ),
    (
        "a lead sent by another visitor, who sent several emails",
        |w| {
            w.links.lead = Some((clicked("aff_a"), Lead { visitor: Some("v2".into()), visitor_emails: 3 }));
        },
        "aff_a by lead_email click clk_1: 1000 at 1000 bps, pending [lead_other_visitor,lead_several_emails]",
    ),
];
