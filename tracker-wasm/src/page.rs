//! The tracker on a page: options, consent, the stored referral, the click report, the
//! `payref(…)` command queue, and decoration of Stripe elements now, later, inside open shadow
//! roots and at click time. Nothing here throws into the page (see [`crate::js`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use payref_shared::event::{ClickEvent, LeadEvent};
use payref_shared::{ClickId, ClientReferenceId, ReferralCookie};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::js::{self, Node, Observer, get, invoke, invoke3, set};
use crate::options::Options;
use crate::referral::{self, UrlReferral};
use crate::visit::decide;
use crate::{href, store::Store};

const WIDGETS: &str = "stripe-buy-button,stripe-pricing-table";
const ATTRIBUTE: &str = "client-reference-id";
/// Elements that may host a shadow root: everything but the common tags the DOM forbids it on.
const HOSTS: &str = "*:not(a,area,img,input,li,td,tr,th,option,button,label,br,hr,ul,ol,table,tbody,thead,\
    script,style,link,meta,svg,path,i,b,em,strong,small,html,head,title,select,textarea,iframe,picture,source,video,audio,canvas)";
const UNDEFINED_ELEMENTS: &str = ":not(:defined)";
const OBSERVE: &str = r#"{"childList":true,"subtree":true,"attributes":true,"attributeFilter":["href","client-reference-id"]}"#;

/// The strings the per-element path hands to the DOM, made into JS strings once.
struct Names {
    links: JsValue,
    widgets: JsValue,
    hosts: JsValue,
    undefined: JsValue,
    href: JsValue,
    attribute: JsValue,
    is: JsValue,
    attribute_name: JsValue,
    target: JsValue,
    added_nodes: JsValue,
}

impl Names {
    fn new(link_selector: &str) -> Self {
        Self {
            links: JsValue::from_str(link_selector),
            widgets: JsValue::from_str(WIDGETS),
            hosts: JsValue::from_str(HOSTS),
            undefined: JsValue::from_str(UNDEFINED_ELEMENTS),
            href: JsValue::from_str("href"),
            attribute: JsValue::from_str(ATTRIBUTE),
            is: JsValue::from_str("is"),
            attribute_name: JsValue::from_str("attributeName"),
            target: JsValue::from_str("target"),
            added_nodes: JsValue::from_str("addedNodes"),
        }
    }
}

struct Tracker {
    options: Options,
    names: Names,
    api: JsValue,
    document: Node,
    landing_url: String,
    host: String,
    secure: bool,
    url: Option<UrlReferral>,
    consent: bool,
    active: Option<ReferralCookie>,
    /// The `client_reference_id` written into the page; empty while there is none.
    value: String,
    observer: Option<Observer>,
    on_click: JsValue,
    on_defined: JsValue,
    watched_names: Vec<String>,
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
    fn link(&self, el: &Node) {
        if let Some(current) = el.attr(&self.names.href)
            && let Some(next) = href::decorate_href(&current, &self.value, &self.options.link_hosts, self.options.override_foreign)
        {
            el.set_attr(&self.names.href, &next);
        }
    }

    fn widget(&self, el: &Node) {
        let current = el.attr(&self.names.attribute).unwrap_or_default();
        if current != self.value && (current.is_empty() || self.options.override_foreign || ClientReferenceId::looks_like_ours(&current)) {
            el.set_attr(&self.names.attribute, &self.value);
        }
    }

    /// Decorates everything under `root` (not `root` itself) and watches the open shadow roots
    /// and not-yet-defined custom elements found there.
    fn scan(&mut self, root: &Node) {
        for el in root.query_all(&self.names.links).elements() {
            self.link(&el);
        }
        for el in root.query_all(&self.names.widgets).elements() {
            self.widget(&el);
        }
        for el in root.query_all(&self.names.hosts).elements() {
            if let Some(shadow) = el.shadow_root() {
                self.watch(&shadow);
            }
        }
        for el in root.query_all(&self.names.undefined).elements() {
            self.when_defined(&el);
        }
    }

    /// Observes `root` (the document or an open shadow root) and decorates what is in it.
    fn watch(&mut self, root: &Node) {
        if let Some(observer) = &self.observer {
            invoke(observer, "observe", root, &js::json(OBSERVE));
        }
        self.scan(root);
    }

    /// A custom element whose definition (and so perhaps its shadow root) is still to come:
    /// the page is scanned again once it is defined.
    fn when_defined(&mut self, el: &Node) {
        // A customized built-in (`<button is="x-buy">`) waits for its `is` name.
        let name = el.attr(&self.names.is).unwrap_or_else(|| get(el, "localName").as_string().unwrap_or_default());
        if name.is_empty() || self.watched_names.contains(&name) {
            return;
        }
        let registry = get(&js::global(), "customElements");
        let promise = invoke(&registry, "whenDefined", &JsValue::from_str(&name), &JsValue::UNDEFINED);
        invoke(&promise, "then", &self.on_defined, &JsValue::UNDEFINED);
        self.watched_names.push(name);
    }

    /// An element added to the page, with everything inside it.
    fn added(&mut self, el: &Node) {
        if el.matches(&self.names.links) {
            self.link(el);
        } else if el.matches(&self.names.widgets) {
            self.widget(el);
        } else if el.matches(&self.names.undefined) {
            self.when_defined(el);
        }
        if let Some(shadow) = el.shadow_root() {
            self.watch(&shadow);
        }
        if el.child_count() > 0 {
            self.scan(el);
        }
    }

    fn mutations(&mut self, records: &JsValue) {
        if self.value.is_empty() {
            return;
        }
        for record in records.unchecked_ref::<js::List>().items() {
            // MutationRecords are plain platform objects: reading them cannot throw.
            let record: &js::Obj = record.unchecked_ref();
            let attribute = record.prop(&self.names.attribute_name).as_string();
            let target = |t: &Self| -> Node { record.prop(&t.names.target).unchecked_into() };
            match attribute.as_deref() {
                Some("href") => {
                    let target = target(self);
                    if target.node_type() == 1 && target.matches(&self.names.links) {
                        self.link(&target);
                    }
                }
                Some(ATTRIBUTE) => {
                    let target = target(self);
                    if target.node_type() == 1 && target.matches(&self.names.widgets) {
                        self.widget(&target);
                    }
                }
                Some(_) => {}
                None => {
                    let added: js::List = record.prop(&self.names.added_nodes).unchecked_into();
                    for el in added.elements() {
                        self.added(&el);
                    }
                }
            }
        }
    }

    /// A click anywhere (capture phase, so before the page's own handlers): the payment link on
    /// the event's composed path is decorated before the browser follows it.
    fn clicked(&self, event: &JsValue) {
        if self.value.is_empty() {
            return;
        }
        let path: js::List = invoke(event, "composedPath", &JsValue::UNDEFINED, &JsValue::UNDEFINED).unchecked_into();
        if let Some(link) = path.elements().find(|n| n.matches(&self.names.links)) {
            self.link(&link);
        }
    }

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
        self.value = ClientReferenceId::new(active.click_id, active.code.clone()).format();
        self.publish(&active);
        self.active = Some(active);
        self.send_lead();
        let document = self.document.clone();
        // The page as it is now, then every change: observe after the first pass, so the
        // tracker's own writes do not come back as mutations.
        self.scan(&document);
        self.observer = Some(Observer::new(&closure(|records| {
            with(|t| t.mutations(&records));
        })));
        self.watch(&document);
        for kind in ["click", "auxclick"] {
            invoke3(&document, "addEventListener", &JsValue::from_str(kind), &self.on_click, &JsValue::TRUE);
        }
    }

    /// Consent withdrawn: forget the referral, stop decorating.
    fn deactivate(&mut self) {
        self.stop();
        self.store().clear(&self.host);
        self.active = None;
        self.value.clear();
        set(&self.api, "referral", &JsValue::NULL);
        set(&self.api, "clientReferenceId", &JsValue::NULL);
    }

    fn stop(&mut self) {
        if let Some(observer) = self.observer.take() {
            invoke(&observer, "disconnect", &JsValue::UNDEFINED, &JsValue::UNDEFINED);
        }
        for kind in ["click", "auxclick"] {
            invoke3(&self.document, "removeEventListener", &JsValue::from_str(kind), &self.on_click, &JsValue::TRUE);
        }
    }

    /// `window.payref.referral` and `.clientReferenceId`, for client- and server-side Checkout.
    fn publish(&self, active: &ReferralCookie) {
        let mut referral = String::from(r#"{"code":""#);
        referral.push_str(active.code.as_str());
        referral.push_str(r#"","clickId":""#);
        referral.push_str(&active.click_id.to_text());
        referral.push_str(r#""}"#);
        // Code and click id are [A-Za-z0-9_-]: nothing to escape.
        set(&self.api, "referral", &js::json(&referral));
        set(&self.api, "clientReferenceId", &JsValue::from_str(&self.value));
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
        old.stop();
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
    let tracker = Tracker {
        names: Names::new(&options.link_selector()),
        consent: !options.consent_required && !gpc,
        options,
        api: api.clone(),
        document: get(&global, "document").unchecked_into(),
        host: String::from(host),
        secure,
        landing_url: landing_url.clone(),
        url,
        active: None,
        value: String::new(),
        observer: None,
        on_click: closure(|event| {
            with(|t| t.clicked(&event));
        }),
        on_defined: closure(|_| {
            with(|t| {
                let document = t.document.clone();
                t.scan(&document);
            });
        }),
        watched_names: Vec::new(),
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
