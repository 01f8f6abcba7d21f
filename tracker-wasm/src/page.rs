//! Browser glue: reads the page, stores the referral, reports the click, decorates Stripe
//! elements now and as the page changes. Nothing here throws into the page: every fallible
//! browser call is ignored or falls back.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use payref_shared::cookie::COOKIE_NAME;
use payref_shared::event::ClickEvent;
use payref_shared::{ClickId, ClientReferenceId, DEFAULT_REFERRAL_PARAMS, ReferralCookie, SiteKey};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlDocument, MutationObserver, MutationObserverInit, MutationRecord, Window};

use crate::visit::{Decision, decide};
use crate::{href, referral};

const SELECTOR: &str = "a[href],area[href],stripe-buy-button,stripe-pricing-table";
const ATTRIBUTE: &str = "client-reference-id";

struct Decorator {
    value: String,
    link_hosts: Vec<String>,
}

impl Decorator {
    fn element(&self, el: &Element) {
        match el.tag_name().as_str() {
            "A" | "AREA" => {
                if let Some(current) = el.get_attribute("href")
                    && let Some(next) = href::decorate_href(&current, &self.value, &self.link_hosts, false)
                {
                    let _ = el.set_attribute("href", &next);
                }
            }
            "STRIPE-BUY-BUTTON" | "STRIPE-PRICING-TABLE" => {
                let current = el.get_attribute(ATTRIBUTE).unwrap_or_default();
                if current != self.value && (current.is_empty() || ClientReferenceId::looks_like_ours(&current)) {
                    let _ = el.set_attribute(ATTRIBUTE, &self.value);
                }
            }
            _ => {}
        }
    }

    fn subtree(&self, root: &Element) {
        if root.matches(SELECTOR).unwrap_or(false) {
            self.element(root);
        }
        self.within(root.query_selector_all(SELECTOR).ok());
    }

    fn within(&self, list: Option<web_sys::NodeList>) {
        let Some(list) = list else { return };
        for i in 0..list.length() {
            if let Some(el) = list.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                self.element(&el);
            }
        }
    }

    /// Decorates what mutation records added or changed.
    fn records(&self, records: &js_sys::Array) {
        for record in records.iter() {
            let Ok(record) = record.dyn_into::<MutationRecord>() else { continue };
            if record.type_() == "attributes" {
                if let Some(el) = record.target().and_then(|n| n.dyn_into::<Element>().ok()) {
                    self.element(&el);
                }
                continue;
            }
            let added = record.added_nodes();
            for i in 0..added.length() {
                if let Some(el) = added.get(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    self.subtree(&el);
                }
            }
        }
    }
}

fn random_click_id(window: &Window) -> ClickId {
    let mut bytes = [0u8; 16];
    if let Ok(crypto) = window.crypto() {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    ClickId::from_bytes(bytes)
}

fn now_ms() -> u64 {
    // Date.now() is a non-negative integer number of milliseconds.
    js_sys::Date::now() as u64
}

/// Candidate cookie domains, shortest first; empty for IP addresses and single-label hosts.
fn cookie_domains(host: &str) -> Vec<String> {
    if !host.contains('.') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host.contains(':') {
        return Vec::new();
    }
    let labels: Vec<&str> = host.split('.').collect();
    (2..=labels.len()).map(|n| labels[labels.len() - n..].join(".")).collect()
}

struct Store {
    doc: Option<HtmlDocument>,
    storage: Option<web_sys::Storage>,
    secure: bool,
    max_age_s: u64,
    domain: Option<String>,
}

impl Store {
    fn read(&self) -> Option<ReferralCookie> {
        let from_cookie = self.doc.as_ref().and_then(|d| d.cookie().ok()).and_then(|c| ReferralCookie::find_in(&c));
        from_cookie.or_else(|| {
            let value = self.storage.as_ref()?.get_item(COOKIE_NAME).ok()??;
            let stored = ReferralCookie::parse_value(&value)?;
            (now_ms().saturating_sub(stored.set_at_ms) <= self.max_age_s * 1000).then_some(stored)
        })
    }

    fn write_cookie(&self, doc: &HtmlDocument, value: &str, domain: Option<&str>, max_age: u64) {
        let mut c = format!("{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; SameSite=Lax");
        if let Some(d) = domain {
            c.push_str("; Domain=");
            c.push_str(d);
        }
        if self.secure {
            c.push_str("; Secure");
        }
        let _ = doc.set_cookie(&c);
    }

    fn write(&self, cookie: &ReferralCookie, host: &str) {
        let value = cookie.to_value();
        if let Some(doc) = &self.doc {
            match &self.domain {
                Some(d) => self.write_cookie(doc, &value, Some(d), self.max_age_s),
                // The shortest parent domain the browser accepts is the registrable domain.
                None => {
                    let stored = cookie_domains(host).iter().any(|d| {
                        self.write_cookie(doc, &value, Some(d), self.max_age_s);
                        doc.cookie().ok().is_some_and(|c| c.contains(&value))
                    });
                    if !stored {
                        self.write_cookie(doc, &value, None, self.max_age_s);
                    }
                }
            }
        }
        if let Some(s) = &self.storage {
            let _ = s.set_item(COOKIE_NAME, &value);
        }
    }
}

fn report(window: &Window, endpoint: &str, event: &ClickEvent) {
    if endpoint.is_empty() {
        // No data-endpoint on the tag: nowhere to report to (not the merchant's own origin).
        return;
    }
    let url = format!("{}/v1/clicks", endpoint.trim_end_matches('/'));
    // A text body is a CORS-safelisted beacon: no preflight.
    let _ = window.navigator().send_beacon_with_opt_str(&url, Some(&event.to_form()));
}

type Callback = Closure<dyn FnMut(js_sys::Array)>;

/// The page's one observer; a second `start` replaces it rather than adding another.
struct Slot(RefCell<Option<(MutationObserver, Callback)>>);
// The tracker runs on the page's one thread.
#[allow(unsafe_code)]
unsafe impl Sync for Slot {}
static OBSERVER: Slot = Slot(RefCell::new(None));

fn stop_observing() {
    if let Some((observer, _callback)) = OBSERVER.0.borrow_mut().take() {
        observer.disconnect();
    }
}

fn observe(document: &Document, decorator: Rc<Decorator>) {
    let callback: Callback = Closure::new(move |records: js_sys::Array| decorator.records(&records));
    let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) else { return };
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    init.set_subtree(true);
    init.set_attributes(true);
    let filter = js_sys::Array::of2(&JsValue::from_str("href"), &JsValue::from_str(ATTRIBUTE));
    init.set_attribute_filter(&filter);
    if let Some(root) = document.document_element() {
        let _ = observer.observe_with_options(&root, &init);
    }
    *OBSERVER.0.borrow_mut() = Some((observer, callback));
}

/// Starts the tracker; called by the loader with the script tag's `data-` attributes.
#[wasm_bindgen]
pub fn start(site: &str, endpoint: &str, link_domains: &str, cookie_domain: &str, window_days: u32) {
    stop_observing();
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let host = location.hostname().unwrap_or_default();
    let days = if window_days == 0 { payref_shared::cookie::DEFAULT_WINDOW_DAYS } else { window_days };
    let store = Store {
        doc: document.clone().dyn_into::<HtmlDocument>().ok(),
        storage: window.local_storage().ok().flatten(),
        secure: location.protocol().is_ok_and(|p| p == "https:"),
        max_age_s: u64::from(days) * 86_400,
        domain: (!cookie_domain.is_empty()).then(|| cookie_domain.to_owned()),
    };
    let url_referral = referral::from_query(&search, &DEFAULT_REFERRAL_PARAMS);
    let cookie = match decide(url_referral, store.read(), now_ms(), || random_click_id(&window)) {
        Decision::Nothing => return,
        Decision::Keep(cookie) => cookie,
        Decision::Store { cookie, report: should_report } => {
            store.write(&cookie, &host);
            if should_report && let Ok(site) = SiteKey::parse(site) {
                let event = ClickEvent {
                    site,
                    code: cookie.code.clone(),
                    click_id: cookie.click_id,
                    landing_url: location.href().unwrap_or_default(),
                    referrer: document.referrer(),
                    utm: referral::utm_from_query(&search),
                };
                report(&window, endpoint, &event);
            }
            cookie
        }
    };
    let decorator = Rc::new(Decorator {
        value: ClientReferenceId::new(cookie.click_id, cookie.code).format(),
        link_hosts: link_domains.split(',').map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned).collect(),
    });
    decorator.within(document.query_selector_all(SELECTOR).ok());
    observe(&document, decorator);
}
