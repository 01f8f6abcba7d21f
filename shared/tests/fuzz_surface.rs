//! Every parser a stranger reaches, under arbitrary bytes and sizes (issue 17): both signature
//! headers, the tracker's form encoding, the batch JSON, `client_reference_id`, the referral
//! cookie and the redirect slug. None may panic, and none may keep more than its input holds
//! (what each returns is bounded by what it was given, so memory follows the body limits).
//!
//! `cargo xtask test` runs these at proptest's default case count; `cargo xtask fuzz [cases]`
//! runs them in release for millions of cases (`PROPTEST_CASES`), with a random seed.

use payref_shared::batch::EventBatch;
use payref_shared::cookie::ReferralCookie;
use payref_shared::{EdgeEvent, LinkSlug, client_reference, form, signature};
use proptest::prelude::*;

/// Text shaped like the wire (separators, escapes, keys payref reads) mixed with anything.
fn wireish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("&".to_owned()),
        Just("=".to_owned()),
        Just(",".to_owned()),
        Just("%".to_owned()),
        Just("%00".to_owned()),
        Just("%zz".to_owned()),
        Just("v=1".to_owned()),
        Just("t=click".to_owned()),
        Just("t=lead".to_owned()),
        Just("s=site_demo".to_owned()),
        Just("c=demo".to_owned()),
        Just("k=AAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        Just("v1=".to_owned()),
        Just("t=1".to_owned()),
        Just("pr1-".to_owned()),
        Just("payref_ref=".to_owned()),
        Just("\"".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        "[0-9a-f]{0,64}",
        "\\PC{0,16}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

fn sizes() -> impl Strategy<Value = String> {
    prop_oneof![wireish(), (0usize..20_000, any::<char>()).prop_map(|(n, c)| c.to_string().repeat(n))]
}

proptest! {
    #[test]
    fn signature_headers_never_panic_and_keep_at_most_the_cap(h in sizes(), now in any::<i64>()) {
        if let Ok(parsed) = signature::parse_header(&h) {
            prop_assert!(parsed.candidates.len() <= signature::MAX_CANDIDATES);
        }
        let _ = signature::verify(&h, b"body", &[b"k", b"k2"], now);
        let _ = signature::verify_with_tolerance(&h, b"body", &[b"whsec_x"], now, 300);
    }

    #[test]
    fn tracker_bodies_never_panic_and_stay_within_their_input(body in sizes()) {
        if let Ok(pairs) = form::decode(&body) {
            prop_assert!(pairs.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() <= body.len());
        }
        if let Ok(EdgeEvent::Click(c)) = EdgeEvent::from_form(&body) {
            prop_assert!(c.landing_url.len() <= body.len() && !c.landing_url.contains('\0'));
        }
        let _ = form::get(&body, "k");
    }

    #[test]
    fn batch_json_never_panics_and_refuses_oversized_batches(body in sizes()) {
        if let Ok(checked) = EventBatch::from_json_each(body.as_bytes()) {
            prop_assert!(checked.events.len() <= payref_shared::batch::MAX_BATCH_EVENTS);
        }
        let _ = EventBatch::from_json(body.as_bytes());
    }

    #[test]
    fn references_cookies_and_slugs_never_panic(s in sizes()) {
        let _ = client_reference::parse(&s);
        let _ = client_reference::ClientReferenceId::parse_tracked(&s);
        if let Some(c) = ReferralCookie::parse_value(&s) {
            prop_assert!(c.to_value().len() <= s.len() + 32);
        }
        let _ = ReferralCookie::find_in(&s);
        let _ = LinkSlug::parse(&s);
    }
}

#[test]
fn a_batch_of_many_events_each_bad_is_refused_event_by_event() {
    // 1,000 events that each fail on their own: one pass, one reason each, nothing more kept.
    let body = format!(r#"{{"sent_at_ms":1,"events":[{}]}}"#, vec![r#"{"x":0}"#; 1_000].join(","));
    let checked = EventBatch::from_json_each(body.as_bytes()).expect("the frame parses");
    assert_eq!(checked.events.len(), 1_000);
    assert!(checked.events.iter().all(Result::is_err));
    let over = format!(r#"{{"sent_at_ms":1,"events":[{}]}}"#, vec!["0"; 1_001].join(","));
    assert!(EventBatch::from_json_each(over.as_bytes()).is_err());
}
