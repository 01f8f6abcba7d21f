//! The attribution decision, table-driven: each case changes one default world and states the
//! whole decision in one line (who, how, binding, metadata, what the sale earns).

mod chain;
mod rules;
mod world;

use serde_json::json;
use world::*;

use super::*;

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
