//! Text PostgreSQL cannot store (issue 17, finding 2): a click whose landing URL holds a NUL
//! is refused alone, listed in the report, and never fails the batch it came in.

use payref_tests::origin::Backend;
use serde_json::Value;

use crate::api::{Api, HOUR, click};
use crate::on_both_backends;

async fn a_nul_in_one_click_is_refused_alone_and_the_batch_is_stored(backend: Backend) {
    let api = Api::new(backend).await;
    let now = payref_origin::now_ms();
    let mut bad = click(2, "demo", Some("v2"), now);
    if let payref_shared::EdgeEvent::Click(c) = &mut bad.event {
        c.landing_url = "https://shop.example.com/?q=\0".into();
        c.utm = vec![("utm_source".into(), "\0".into())];
    }
    let report: Value = api.ingest(vec![click(1, "demo", Some("v1"), now), bad, click(3, "demo", Some("v3"), now - HOUR)]).await;
    assert_eq!(report["stored"], 2, "{report}");
    assert_eq!(report["rejected"].as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(report["rejected"][0]["index"], 1, "{report}");
    assert!(report["rejected"][0]["reason"].as_str().unwrap_or_default().contains("landing_url"), "{report}");
    assert_eq!(api.origin.count("clicks").await, 2);
    // Delivered again (the edge retries nothing it was told is rejected, but a redelivery is harmless).
    let mut again = click(2, "demo", Some("v2"), now);
    if let payref_shared::EdgeEvent::Click(c) = &mut again.event {
        c.referrer = "\0".into();
    }
    let report: Value = api.ingest(vec![again, click(1, "demo", Some("v1"), now)]).await;
    assert_eq!((report["duplicates"].as_i64(), report["rejected"][0]["index"].as_i64()), (Some(1), Some(0)), "{report}");
}
on_both_backends!(a_nul_in_one_click_is_refused_alone_and_the_batch_is_stored);
