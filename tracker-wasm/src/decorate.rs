//! Writes `client_reference_id` into the page: payment links' `href`, and the
//! `client-reference-id` of `<stripe-buy-button>` and `<stripe-pricing-table>`; now, as the page
//! changes (one MutationObserver over the document and every open shadow root), when a custom
//! element is defined (its shadow root may come with it), and at click time.

use alloc::string::String;
use alloc::vec::Vec;

use payref_shared::ClientReferenceId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::href;
use crate::js::{self, Node, Observer, get, invoke, invoke3};

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

pub struct Decorator {
    names: Names,
    link_hosts: Vec<String>,
    override_foreign: bool,
    document: Node,
    /// The `client_reference_id` written into the page; empty while there is none.
    value: String,
    observer: Option<Observer>,
    /// The page's events and custom-element definitions call back through these.
    on_click: JsValue,
    on_mutations: JsValue,
    on_defined: JsValue,
    watched_names: Vec<String>,
}

impl Decorator {
    /// A decorator for these payment-link hosts; the callbacks are the tracker's (they find the
    /// decorator again through it).
    pub fn new(link_selector: &str, link_hosts: Vec<String>, override_foreign: bool, document: Node, callbacks: [JsValue; 3]) -> Self {
        let [on_click, on_mutations, on_defined] = callbacks;
        Self {
            names: Names::new(link_selector),
            link_hosts,
            override_foreign,
            document,
            value: String::new(),
            observer: None,
            on_click,
            on_mutations,
            on_defined,
            watched_names: Vec::new(),
        }
    }

    /// Starts writing `value` into the page as it is now and as it changes. The observer
    /// starts after the first pass, so the decorator's own writes do not come back to it.
    pub fn begin(&mut self, value: String) {
        self.stop();
        self.value = value;
        let document = self.document.clone();
        self.scan(&document);
        self.observer = Some(Observer::new(&self.on_mutations));
        self.watch(&document);
        for kind in ["click", "auxclick"] {
            invoke3(&document, "addEventListener", &JsValue::from_str(kind), &self.on_click, &JsValue::TRUE);
        }
    }

    /// Stops watching the page (what was written stays).
    pub fn stop(&mut self) {
        self.value.clear();
        if let Some(observer) = self.observer.take() {
            invoke(&observer, "disconnect", &JsValue::UNDEFINED, &JsValue::UNDEFINED);
        }
        for kind in ["click", "auxclick"] {
            invoke3(&self.document, "removeEventListener", &JsValue::from_str(kind), &self.on_click, &JsValue::TRUE);
        }
    }

    /// A custom element was defined: its instances may have shadow roots now.
    pub fn rescan(&mut self) {
        if !self.value.is_empty() {
            let document = self.document.clone();
            self.scan(&document);
        }
    }

    fn link(&self, el: &Node) {
        if let Some(current) = el.attr(&self.names.href)
            && let Some(next) = href::decorate_href(&current, &self.value, &self.link_hosts, self.override_foreign)
        {
            el.set_attr(&self.names.href, &next);
        }
    }

    fn widget(&self, el: &Node) {
        let current = el.attr(&self.names.attribute).unwrap_or_default();
        if current != self.value && (current.is_empty() || self.override_foreign || ClientReferenceId::looks_like_ours(&current)) {
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

    pub fn mutations(&mut self, records: &JsValue) {
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
    pub fn clicked(&self, event: &JsValue) {
        if self.value.is_empty() {
            return;
        }
        let path: js::List = invoke(event, "composedPath", &JsValue::UNDEFINED, &JsValue::UNDEFINED).unchecked_into();
        if let Some(link) = path.elements().find(|n| n.matches(&self.names.links)) {
            self.link(&link);
        }
    }
}
