//! The attribution decision, table-driven: each case changes one default world and states the
//! whole decision in one line (who, how, binding, metadata, what the sale earns).

mod chain;
mod rules;
mod world;

use serde_json::json;
use world::*;

use super::*;
use crate::domain::attribution::facts::{Lead, Links};

type Case = (&'static str, fn(&mut World), &'static str);

#[test]
fn every_rule_and_how_they_meet() {
    let cases: Vec<&Case> = chain::CASES.iter().chain(rules::CASES).collect();
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for (name, change, expected) in cases.iter().copied() {
        let mut w = world();
        change(&mut w);
        let got = summary(&w.decide());
        if got != *expected {
            failures.push(format!("{name}\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The links as the reader gathers them: only links to known affiliates, in the chain's order,
/// no further once they settle it.
fn as_read(w: &World) -> Links {
    let known = |l: &Link| w.affiliates.contains_key(&l.affiliate_id);
    let bound_to = w.binding.as_ref().map(|b| b.affiliate_id.as_str()).filter(|a| w.affiliates.contains_key(*a));
    let mut read = Links { reference: w.links.reference.clone().filter(known), ..Links::default() };
    if read.reference.is_none() {
        read.metadata = w.links.metadata.clone().filter(known);
        if !read.settled(bound_to) {
            read.discount = w.links.discount.clone().filter(known);
        }
        if !read.settled(bound_to) {
            read.lead = w.links.lead.clone().filter(|(l, _)| known(l));
        }
    }
    read
}

#[test]
fn reading_stops_where_the_chain_is_settled_without_changing_a_decision() {
    for (name, change, expected) in chain::CASES.iter().chain(rules::CASES) {
        let mut w = world();
        change(&mut w);
        w.links = as_read(&w);
        assert_eq!(summary(&w.decide()), *expected, "{name}, with the links the reader reads");
    }
    // Every link at once, the customer bound to A: metadata naming B wins over the binding, and
    // nothing after it is read.
    let mut w = world();
    w.customer = Some("cus_1");
    w.binding = Some(bound_to("aff_a", 10));
    w.links = Links {
        reference: None,
        metadata: Some(link("aff_b", None, None)),
        discount: Some(link("aff_c", None, None)),
        lead: Some((clicked("aff_c"), Lead { visitor: None, visitor_emails: 1 })),
    };
    let read = as_read(&w);
    assert!(read.metadata.is_some() && read.discount.is_none() && read.lead.is_none());
    assert_eq!(summary(&w.decide()), "aff_b by customer_metadata +metadata: 1000 at 1000 bps, approved");
}

#[test]
fn the_click_model_says_what_it_overruled() {
    let mut w = world();
    w.links.reference = Some(clicked("aff_a"));
    w.visitors.insert("v1".into(), visitor(&[("clk_2", "aff_b", T0 - 60_000)], 0));
    let Decision::Credited(c) = w.decide() else { panic!("credited") };
    assert_eq!(c.evidence["link"], "aff_a", "the link's own evidence is kept");
    assert_eq!(c.evidence["model"], json!({ "rule": "last_click", "credited_click_id": "clk_2", "instead_of_affiliate_id": "aff_a" }));
    assert_eq!(c.click.and_then(|c| c.visitor).as_deref(), Some("v1"), "the credited click is the same visitor's");
}
