//! The tracker on a page: options, consent, the stored referral, the click report and the
//! `payref(…)` command queue; [`crate::decorate`] writes the reference into the page. Nothing
//! here throws into the page (see [`crate::js`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use payref_shared::event::{ClickEvent, LeadEvent};
use payref_shared::{ClickId, ClientReferenceId, ReferralCookie};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::decorate::Decorator;
use crate::js::{self, Node, get, invoke, set};
use crate::options::Options;
use crate::referral::{self, UrlReferral};
use crate::visit::decide;
use crate::{href, store::Store};

struct Tracker {
    options: Options,
    decorator: Decorator,
    api: JsValue,
    document: Node,
    landing_url: String,
    host: String,
    secure: bool,
    url: Option<UrlReferral>,
    consent: bool,
    active: Option<ReferralCookie>,
    /// sha256 of an identified email waiting for consent or a click.
    lead: Option<String>,
    ready: Vec<JsValue>,
    started: bool,
}

/// The page's one tracker; a second `start` replaces it.
struct Slot(RefCell<Option<Tracker>>);
// The tracker runs on the page's one thread.
#[allow(unsafe_code)]
unsafe impl Sync for Slot {}
static TRACKER: Slot = Slot(RefCell::new(None));

/// Runs `f` on the tracker unless there is none or it is busy (a page callback re-entering).
fn with<R>(f: impl FnOnce(&mut Tracker) -> R) -> Option<R> {
    let mut slot = TRACKER.0.try_borrow_mut().ok()?;
    slot.as_mut().map(f)
}

fn closure(f: impl FnMut(JsValue) + 'static) -> JsValue {
    Closure::<dyn FnMut(JsValue)>::new(f).into_js_value()
}

impl Tracker {
    fn store(&self) -> Store {
        Store::new(&self.document, &self.options, self.secure)
    }

    /// Consent is given (or not needed): decide, store, report, decorate.
    fn activate(&mut self) {
        if self.active.is_some() {
            return;
        }
        let store = self.store();
        let window = &self.options;
        let decision = decide(self.url.clone(), store.read(window.window_days), window.first_click, js::now_ms(), || {
            ClickId::from_bytes(js::random_bytes())
        });
        let Some(active) = decision.active else { return };
        if decision.store {
            store.write(&active, &self.host);
        }
        if let (Some((code, click_id)), Some(site)) = (decision.report, self.options.site.clone()) {
            let query = href::page_parts(&self.landing_url).2;
            let event = ClickEvent {
                site,
                code,
                click_id,
                landing_url: self.landing_url.clone(),
                referrer: get(&self.document, "referrer").as_string().unwrap_or_default(),
                utm: referral::utm_from_query(query),
            };
            self.send("/v1/clicks", &event.to_form());
        }
        let value = ClientReferenceId::new(active.click_id, active.code.clone()).format();
        self.publish(&active, &value);
        self.active = Some(active);
        self.send_lead();
        self.decorator.begin(value);
    }

    /// Consent withdrawn: forget the referral, stop decorating.
    fn deactivate(&mut self) {
        self.decorator.stop();
        self.store().clear(&self.host);
        self.active = None;
        set(&self.api, "referral", &JsValue::NULL);
        set(&self.api, "clientReferenceId", &JsValue::NULL);
    }

    /// `window.payref.referral` and `.clientReferenceId`, for client- and server-side Checkout.
    fn publish(&self, active: &ReferralCookie, value: &str) {
        let mut referral = String::from(r#"{"code":""#);
        referral.push_str(active.code.as_str());
        referral.push_str(r#"","clickId":""#);
        referral.push_str(&active.click_id.to_text());
        referral.push_str(r#""}"#);
        // Code and click id are [A-Za-z0-9_-]: nothing to escape.
        set(&self.api, "referral", &js::json(&referral));
        set(&self.api, "clientReferenceId", &JsValue::from_str(value));
    }

    /// POSTs a form body to the edge: a beacon (a text body needs no CORS preflight), or a
    /// keepalive fetch where beacons are missing or refused.
    fn send(&self, path: &str, body: &str) {
        if self.options.endpoint.is_empty() {
            return;
        }
        let mut url = self.options.endpoint.clone();
        url.push_str(path);
        let (url, body) = (JsValue::from_str(&url), JsValue::from_str(body));
        let global = js::global();
        if invoke(&get(&global, "navigator"), "sendBeacon", &url, &body).as_bool() == Some(true) {
            return;
        }
        let init = js::json(r#"{"method":"POST","keepalive":true,"mode":"no-cors"}"#);
        set(&init, "body", &body);
        let request = invoke(&global, "fetch", &url, &init);
        // A failed request is not the page's error: Function.prototype is a no-op handler.
        invoke(&request, "catch", &get(&get(&global, "Function"), "prototype"), &JsValue::UNDEFINED);
    }

    fn send_lead(&mut self) {
        let (Some(active), Some(site)) = (&self.active, &self.options.site) else { return };
        let Some(email_sha256) = self.lead.take() else { return };
        let event = LeadEvent { site: site.clone(), click_id: active.click_id, email_sha256 };
        self.send("/v1/identify", &event.to_form());
    }

    /// One `payref(name, argument)` call; returns a `ready` callback to run once the tracker
    /// is free again.
    fn command(&mut self, args: &JsValue) -> Option<JsValue> {
        let args: &js::List = args.unchecked_ref();
        let argument = JsValue::from(args.at(1));
        match JsValue::from(args.at(0)).as_string().as_deref() {
            Some("consent") => match argument.as_bool() {
                Some(true) => {
                    self.consent = true;
                    if self.started {
                        self.activate();
                    }
                }
                Some(false) => {
                    self.consent = false;
                    self.deactivate();
                }
                None => js::warn("payref: consent takes true or false"),
            },
            Some("identify") => match get(&argument, "email").as_string() {
                Some(email) if payref_shared::email::plausible(&email) => {
                    self.lead = Some(payref_shared::email::sha256_hex(&email));
                    if self.consent && self.started {
                        self.send_lead();
                    }
                }
                _ => js::warn("payref: identify takes {email: 'name@example.com'}"),
            },
            Some("ready") if argument.is_function() => {
                if self.started {
                    return Some(argument);
                }
                self.ready.push(argument);
            }
            _ => js::warn("payref: unknown command; use ready, identify or consent"),
        }
        None
    }
}

/// Calls a `ready` callback with the API (outside the tracker's borrow: it may call back in).
fn ready(callback: &JsValue) {
    let api = with(|t| t.api.clone()).unwrap_or(JsValue::UNDEFINED);
    js::call(callback, &api, &api);
}

fn command(args: &JsValue) {
    if let Some(Some(callback)) = with(|t| t.command(args)) {
        ready(&callback);
    }
}

/// Starts the tracker. `options` is the script tag's `dataset` (or the module build's options
/// object); `api` is `window.payref`, the queue stub whose `q` holds the calls made so far.
#[wasm_bindgen]
pub fn start(options: &JsValue, api: &JsValue) {
    if let Some(mut old) = TRACKER.0.try_borrow_mut().ok().and_then(|mut t| t.take()) {
        old.decorator.stop();
    }
    let (options, warnings) = Options::read(|key| js::text(&get(options, key)));
    for warning in warnings {
        js::warn(warning);
    }
    let global = js::global();
    let landing_url = get(&get(&global, "location"), "href").as_string().unwrap_or_default();
    let (secure, host, query) = href::page_parts(&landing_url);
    let url = referral::from_query(query, &options.params);
    let gpc = options.respect_gpc && get(&get(&global, "navigator"), "globalPrivacyControl").as_bool() == Some(true);
    let document: Node = get(&global, "document").unchecked_into();
    let callbacks = [
        closure(|event| {
            with(|t| t.decorator.clicked(&event));
        }),
        closure(|records| {
            with(|t| t.decorator.mutations(&records));
        }),
        closure(|_| {
            with(|t| t.decorator.rescan());
        }),
    ];
    let decorator =
        Decorator::new(&options.link_selector(), options.link_hosts.clone(), options.override_foreign, document.clone(), callbacks);
    let tracker = Tracker {
        consent: !options.consent_required && !gpc,
        options,
        decorator,
        api: api.clone(),
        document,
        host: String::from(host),
        secure,
        landing_url: landing_url.clone(),
        url,
        active: None,
        lead: None,
        ready: Vec::new(),
        started: false,
    };
    set(api, "referral", &JsValue::NULL);
    set(api, "clientReferenceId", &JsValue::NULL);
    let queued = get(api, "q");
    // Later calls go through the stub's `q.push`, straight to the tracker.
    let queue = js::json("{}");
    set(&queue, "push", &closure(|args| command(&args)));
    set(api, "q", &queue);
    if let Ok(mut slot) = TRACKER.0.try_borrow_mut() {
        *slot = Some(tracker);
    }
    if queued.is_object() {
        for args in queued.unchecked_ref::<js::List>().items() {
            command(&args);
        }
    }
    let callbacks = with(|t| {
        t.started = true;
        if t.consent {
            t.activate();
        }
        core::mem::take(&mut t.ready)
    });
    for callback in callbacks.unwrap_or_default() {
        ready(&callback);
    }
}
