//! The tracker's DOM behaviour in real Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> web_sys::Window {
    web_sys::window().expect("unreachable: tests run in a browser window")
}

fn document() -> web_sys::Document {
    window().document().expect("unreachable: a window has a document")
}

/// A fresh page state: this URL, this body, no stored referral.
fn page(query: &str, body: &str) {
    window().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(query)).unwrap();
    let html: web_sys::HtmlDocument = wasm_bindgen::JsCast::dyn_into(document()).unwrap();
    html.set_cookie("payref_ref=; Max-Age=0; Path=/").unwrap();
    window().local_storage().unwrap().unwrap().clear().unwrap();
    // Our own container: the test runner reports through elements of its own in <body>.
    if let Some(old) = document().get_element_by_id("fixture") {
        old.remove();
    }
    let fixture = document().create_element("div").unwrap();
    fixture.set_id("fixture");
    fixture.set_inner_html(body);
    document().body().unwrap().append_child(&fixture).unwrap();
}

fn fixture() -> web_sys::Element {
    document().get_element_by_id("fixture").expect("page() made the fixture")
}

fn attr(id: &str, name: &str) -> Option<String> {
    document().get_element_by_id(id).and_then(|e| e.get_attribute(name))
}

/// Lets queued MutationObserver callbacks run.
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn decorates_every_stripe_surface_and_later_additions() {
    page(
        "?ref=wasmtest&utm_source=news",
        r#"<a id="link" href="https://buy.stripe.com/test_x?a=1#f">buy</a>
           <a id="other" href="https://example.com/?a=1">elsewhere</a>
           <stripe-buy-button id="button"></stripe-buy-button>
           <stripe-pricing-table id="table" client-reference-id="merchant_order_9"></stripe-pricing-table>"#,
    );
    payref_tracker::start("site_test", "http://127.0.0.1:9", "", "", 0);

    let link = attr("link", "href").unwrap();
    let value = attr("button", "client-reference-id").expect("buy button decorated");
    assert!(value.starts_with("pr1-") && value.ends_with("-wasmtest"), "{value}");
    assert_eq!(link, format!("https://buy.stripe.com/test_x?a=1&client_reference_id={value}#f"));
    assert_eq!(attr("other", "href").unwrap(), "https://example.com/?a=1");
    assert_eq!(attr("table", "client-reference-id").unwrap(), "merchant_order_9", "a merchant's value is kept");

    let late = document().create_element("a").unwrap();
    late.set_id("late");
    late.set_attribute("href", "https://buy.stripe.com/late").unwrap();
    fixture().append_child(&late).unwrap();
    let table = document().create_element("stripe-pricing-table").unwrap();
    table.set_id("late-table");
    fixture().append_child(&table).unwrap();
    settle().await;
    assert_eq!(attr("late", "href").unwrap(), format!("https://buy.stripe.com/late?client_reference_id={value}"));
    assert_eq!(attr("late-table", "client-reference-id").unwrap(), value);

    // A script that rewrites a decorated link's href gets it decorated again.
    document().get_element_by_id("link").unwrap().set_attribute("href", "https://buy.stripe.com/changed").unwrap();
    settle().await;
    assert_eq!(attr("link", "href").unwrap(), format!("https://buy.stripe.com/changed?client_reference_id={value}"));
    assert!(document().cookie_string().contains("payref_ref=1.wasmtest."), "the referral is kept first-party");
}

#[wasm_bindgen_test]
async fn an_invalid_referral_never_reaches_the_page() {
    page(
        "?ref=%3Cscript%3E",
        r#"<a id="link" href="https://buy.stripe.com/test_x">buy</a><stripe-buy-button id="button"></stripe-buy-button>"#,
    );
    payref_tracker::start("site_test", "http://127.0.0.1:9", "", "", 0);
    settle().await;
    assert_eq!(attr("link", "href").unwrap(), "https://buy.stripe.com/test_x");
    assert_eq!(attr("button", "client-reference-id"), None);
}

trait CookieString {
    fn cookie_string(&self) -> String;
}

impl CookieString for web_sys::Document {
    fn cookie_string(&self) -> String {
        let html: web_sys::HtmlDocument = wasm_bindgen::JsCast::dyn_into(self.clone()).unwrap();
        html.cookie().unwrap_or_default()
    }
}
