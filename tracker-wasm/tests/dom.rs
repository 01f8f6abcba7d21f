//! The tracker's DOM behaviour in real Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]
// A broken browser API in a test is the test failing: unwrap says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn window() -> web_sys::Window {
    web_sys::window().expect("unreachable: tests run in a browser window")
}

fn document() -> web_sys::Document {
    window().document().expect("unreachable: a window has a document")
}

fn html() -> web_sys::HtmlDocument {
    document().dyn_into().unwrap()
}

/// A fresh page state: this URL, this body, no stored referral.
fn page(query: &str, body: &str) {
    window().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some(query)).unwrap();
    html().set_cookie("payref_ref=; Max-Age=0; Path=/").unwrap();
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

fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o
}

/// Starts the tracker with these `data-` options (dataset names) and these queued calls;
/// returns the API object (`window.payref`).
fn start(options: &[(&str, &str)], queued: &[(&str, JsValue)]) -> Object {
    let mut opts: Vec<(&str, JsValue)> = vec![("site", "site_test".into()), ("endpoint", "http://127.0.0.1:9".into())];
    opts.extend(options.iter().map(|(k, v)| (*k, JsValue::from_str(v))));
    let q = Array::new();
    for (name, arg) in queued {
        q.push(&Array::of2(&JsValue::from_str(name), arg));
    }
    let api = object(&[("q", q.into())]);
    payref_tracker::start(&object(&opts), &api);
    api
}

/// `api.q.push([name, arg])`: a call made after the tracker loaded.
fn call(api: &Object, name: &str, arg: JsValue) {
    let q = Reflect::get(api, &"q".into()).unwrap();
    let push: js_sys::Function = Reflect::get(&q, &"push".into()).unwrap().dyn_into().unwrap();
    push.call1(&q, &Array::of2(&JsValue::from_str(name), &arg)).unwrap();
}

fn prop(api: &Object, name: &str) -> JsValue {
    Reflect::get(api, &JsValue::from_str(name)).unwrap()
}

/// Lets queued MutationObserver callbacks and promise reactions run.
async fn settle() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20).unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

fn stored_referral() -> bool {
    html().cookie().unwrap_or_default().contains("payref_ref=1.")
        || window().local_storage().unwrap().unwrap().get_item("payref_ref").unwrap().is_some()
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
    let api = start(&[], &[]);

    let link = attr("link", "href").unwrap();
    let value = attr("button", "client-reference-id").expect("buy button decorated");
    assert!(value.starts_with("pr1-") && value.ends_with("-wasmtest"), "{value}");
    assert_eq!(link, format!("https://buy.stripe.com/test_x?a=1&client_reference_id={value}#f"));
    assert_eq!(attr("other", "href").unwrap(), "https://example.com/?a=1");
    assert_eq!(attr("table", "client-reference-id").unwrap(), "merchant_order_9", "a merchant's value is kept");
    assert_eq!(prop(&api, "clientReferenceId").as_string().as_deref(), Some(&*value));
    let referral = prop(&api, "referral");
    assert_eq!(Reflect::get(&referral, &"code".into()).unwrap().as_string().as_deref(), Some("wasmtest"));

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
    assert!(html().cookie().unwrap().contains("payref_ref=1.wasmtest."), "the referral is kept first-party");
}

#[wasm_bindgen_test]
async fn an_invalid_referral_never_reaches_the_page() {
    page(
        "?ref=%3Cscript%3E",
        r#"<a id="link" href="https://buy.stripe.com/test_x">buy</a><stripe-buy-button id="button"></stripe-buy-button>"#,
    );
    let api = start(&[], &[]);
    settle().await;
    assert_eq!(attr("link", "href").unwrap(), "https://buy.stripe.com/test_x");
    assert_eq!(attr("button", "client-reference-id"), None);
    assert!(prop(&api, "clientReferenceId").is_null());
    assert!(!stored_referral());
}

#[wasm_bindgen_test]
async fn open_shadow_roots_are_decorated_and_watched() {
    page("?ref=shadow", r#"<div id="host"></div>"#);
    let host = document().get_element_by_id("host").unwrap();
    let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).unwrap();
    root.set_inner_html(r#"<a id="inside" href="https://buy.stripe.com/s">buy</a>"#);
    start(&[], &[]);
    let inside = |id: &str| root.get_element_by_id(id).and_then(|e| e.get_attribute("href")).unwrap();
    assert!(inside("inside").contains("client_reference_id=pr1-"), "present at start");

    // Added later inside the root: its own observer sees it.
    let later = document().create_element("a").unwrap();
    later.set_id("later");
    later.set_attribute("href", "https://buy.stripe.com/later").unwrap();
    root.append_child(&later).unwrap();
    // A host added later with its root already attached.
    let host2 = document().create_element("section").unwrap();
    let root2 = host2.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).unwrap();
    root2.set_inner_html(r#"<stripe-buy-button id="b2"></stripe-buy-button>"#);
    fixture().append_child(&host2).unwrap();
    settle().await;
    assert!(inside("later").contains("client_reference_id=pr1-"));
    assert!(root2.get_element_by_id("b2").unwrap().get_attribute("client-reference-id").unwrap().ends_with("-shadow"));
}

#[wasm_bindgen_test]
async fn a_custom_element_defined_later_is_rescanned() {
    page("?ref=defined", r#"<x-later-shop id="shop"></x-later-shop>"#);
    start(&[], &[]);
    // The element's definition (and its shadow root) arrives after the tracker started.
    let define = js_sys::Function::new_no_args(
        "customElements.define('x-later-shop', class extends HTMLElement { constructor() { super(); \
         this.attachShadow({mode: 'open'}).innerHTML = '<a id=\"in\" href=\"https://buy.stripe.com/ce\">b</a>'; } });",
    );
    define.call0(&JsValue::NULL).unwrap();
    settle().await;
    let root = document().get_element_by_id("shop").unwrap().shadow_root().unwrap();
    assert!(root.get_element_by_id("in").unwrap().get_attribute("href").unwrap().contains("client_reference_id=pr1-"));
}

#[wasm_bindgen_test]
async fn a_link_clicked_before_the_observer_ran_is_decorated_at_click_time() {
    page("?ref=clicker", "");
    start(&[], &[]);
    // The page adds a link and it is clicked in the same task: no mutation callback yet.
    let link: web_sys::HtmlElement = document().create_element("a").unwrap().dyn_into().unwrap();
    link.set_attribute("href", "https://buy.stripe.com/fast").unwrap();
    fixture().append_child(&link).unwrap();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let record = seen.clone();
    let handler = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        let a: web_sys::Element = e.target().unwrap().dyn_into().unwrap();
        *record.borrow_mut() = a.get_attribute("href").unwrap();
        e.prevent_default(); // stay on the test page
    });
    link.add_event_listener_with_callback("click", handler.as_ref().unchecked_ref()).unwrap();
    link.click();
    assert!(seen.borrow().contains("client_reference_id=pr1-"), "{}", seen.borrow());
}

#[wasm_bindgen_test]
async fn consent_required_stores_and_decorates_nothing_until_given() {
    page("?ref=consenting", r#"<a id="link" href="https://buy.stripe.com/c">buy</a>"#);
    let api = start(&[("consent", "required")], &[]);
    settle().await;
    assert_eq!(attr("link", "href").unwrap(), "https://buy.stripe.com/c");
    assert!(!stored_referral());
    assert!(prop(&api, "clientReferenceId").is_null());

    call(&api, "consent", JsValue::TRUE);
    assert!(attr("link", "href").unwrap().contains("client_reference_id=pr1-"));
    assert!(stored_referral());

    call(&api, "consent", JsValue::FALSE);
    assert!(!stored_referral(), "withdrawing consent forgets the referral");
    assert!(prop(&api, "clientReferenceId").is_null());
}

#[wasm_bindgen_test]
async fn calls_queued_before_loading_are_replayed_in_order() {
    page("?ref=queued", r#"<a id="link" href="https://buy.stripe.com/q">buy</a>"#);
    let ready_seen = Object::new();
    let on_ready = js_sys::Function::new_with_args("api", "this.seen = api.clientReferenceId;");
    let bound = on_ready.bind0(&ready_seen);
    start(&[("consent", "required")], &[("ready", bound.into()), ("consent", JsValue::TRUE)]);
    assert!(attr("link", "href").unwrap().contains("client_reference_id=pr1-"), "consent replayed");
    let seen = Reflect::get(&ready_seen, &"seen".into()).unwrap().as_string().unwrap_or_default();
    assert!(seen.ends_with("-queued"), "ready runs after start with the API: {seen}");
}

#[wasm_bindgen_test]
async fn first_click_keeps_the_stored_referral_last_click_replaces_it() {
    page("?ref=first", "");
    start(&[], &[]);
    window().history().unwrap().replace_state_with_url(&JsValue::NULL, "", Some("?ref=second")).unwrap();
    let api = start(&[("attribution", "first")], &[]);
    let code = |api: &Object| Reflect::get(&prop(api, "referral"), &"code".into()).unwrap().as_string();
    assert_eq!(code(&api).as_deref(), Some("first"));
    let api = start(&[], &[]);
    assert_eq!(code(&api).as_deref(), Some("second"));
}

#[wasm_bindgen_test]
async fn a_merchant_value_is_replaced_only_with_override() {
    page(
        "?ref=over",
        r#"<a id="link" href="https://buy.stripe.com/o?client_reference_id=order_7">buy</a>
           <stripe-buy-button id="button" client-reference-id="order_7"></stripe-buy-button>"#,
    );
    start(&[], &[]);
    assert_eq!(attr("button", "client-reference-id").as_deref(), Some("order_7"));
    assert!(attr("link", "href").unwrap().ends_with("=order_7"));
    start(&[("override", "")], &[]);
    assert!(attr("button", "client-reference-id").unwrap().ends_with("-over"));
    assert!(attr("link", "href").unwrap().ends_with("-over"));
}
