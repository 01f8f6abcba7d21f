//! The JavaScript the tracker touches, declared by hand rather than through web-sys: a few
//! generic operations (property get/set and function call, each catching what JS throws) for
//! everything that runs once per page, and direct bindings only for the per-element hot path.
//! Every import is a function in the generated glue, so fewer imports make a smaller tracker.
//!
//! Nothing declared here throws into Rust: the generic operations catch, and the hot-path
//! bindings are only called on Elements with fixed, valid arguments.

use alloc::string::String;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Any JavaScript value used through its properties.
    pub type Obj;
    #[wasm_bindgen(method, structural, indexing_getter, catch)]
    fn try_get(this: &Obj, key: &str) -> Result<JsValue, JsValue>;
    /// `o[key]` with a key made into a JS string once (the per-mutation path).
    #[wasm_bindgen(method, structural, indexing_getter)]
    pub fn prop(this: &Obj, key: &JsValue) -> JsValue;
    #[wasm_bindgen(method, structural, indexing_setter, catch)]
    fn try_set(this: &Obj, key: &str, value: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = call)]
    fn call1(this: &Obj, this_arg: &JsValue, a: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = call)]
    fn call2(this: &Obj, this_arg: &JsValue, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, structural, catch, js_name = call)]
    fn call3(this: &Obj, this_arg: &JsValue, a: &JsValue, b: &JsValue, c: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: Obj;

    /// `crypto.getRandomValues` writing straight into wasm memory.
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    fn random_fill(buf: &mut [u8]) -> Result<JsValue, JsValue>;

    /// `new MutationObserver(callback)`.
    #[wasm_bindgen(js_name = MutationObserver)]
    pub type Observer;
    #[wasm_bindgen(constructor, js_class = MutationObserver)]
    pub fn new(callback: &JsValue) -> Observer;

    /// A DOM node (Document, Element, ShadowRoot); the methods are only called on Elements
    /// and roots.
    #[derive(Clone)]
    pub type Node;
    #[wasm_bindgen(method, structural, getter, js_name = nodeType)]
    pub fn node_type(this: &Node) -> u32;
    // Selectors and attribute names are JS strings made once (`JsValue::from_str`): passing a
    // `&str` would decode it from wasm memory on every call, on the per-element path.
    #[wasm_bindgen(method, structural, js_name = querySelectorAll)]
    pub fn query_all(this: &Node, selector: &JsValue) -> List;
    #[wasm_bindgen(method, structural, js_name = getAttribute)]
    pub fn attr(this: &Node, name: &JsValue) -> Option<String>;
    #[wasm_bindgen(method, structural, js_name = setAttribute)]
    pub fn set_attr(this: &Node, name: &JsValue, value: &str);
    #[wasm_bindgen(method, structural)]
    pub fn matches(this: &Node, selector: &JsValue) -> bool;
    #[wasm_bindgen(method, structural, getter, js_name = shadowRoot)]
    pub fn shadow_root(this: &Node) -> Option<Node>;
    #[wasm_bindgen(method, structural, getter, js_name = childElementCount)]
    pub fn child_count(this: &Node) -> u32;

    /// Array-likes: NodeList, Array, `arguments`.
    pub type List;
    #[wasm_bindgen(method, structural, getter)]
    pub fn length(this: &List) -> u32;
    #[wasm_bindgen(method, structural, indexing_getter)]
    pub fn at(this: &List, index: u32) -> Node;
}

/// `globalThis`.
pub fn global() -> JsValue {
    GLOBAL.with(|g| JsValue::clone(g))
}

/// `o[key]`, or `undefined` when reading it throws.
pub fn get(o: &JsValue, key: &str) -> JsValue {
    o.unchecked_ref::<Obj>().try_get(key).unwrap_or(JsValue::UNDEFINED)
}

/// `o[key] = value`; false when it throws (a blocked cookie, a frozen object).
pub fn set(o: &JsValue, key: &str, value: &JsValue) -> bool {
    o.unchecked_ref::<Obj>().try_set(key, value).is_ok()
}

/// `o[method](a, b)`, or `undefined` when there is no such method or it throws.
pub fn invoke(o: &JsValue, method: &str, a: &JsValue, b: &JsValue) -> JsValue {
    get(o, method).unchecked_ref::<Obj>().call2(o, a, b).unwrap_or(JsValue::UNDEFINED)
}

/// `o[method](a, b, c)`, or `undefined` when there is no such method or it throws.
pub fn invoke3(o: &JsValue, method: &str, a: &JsValue, b: &JsValue, c: &JsValue) -> JsValue {
    get(o, method).unchecked_ref::<Obj>().call3(o, a, b, c).unwrap_or(JsValue::UNDEFINED)
}

/// `f.call(this_arg, a)`; false when `f` is not a function or throws.
pub fn call(f: &JsValue, this_arg: &JsValue, a: &JsValue) -> bool {
    f.is_function() && f.unchecked_ref::<Obj>().call1(this_arg, a).is_ok()
}

/// A string value; numbers and `true` are written out (the module build's options may be
/// typed), everything else is `None`.
pub fn text(v: &JsValue) -> Option<String> {
    if let Some(s) = v.as_string() {
        return Some(s);
    }
    if v.as_bool() == Some(true) {
        return Some("true".into());
    }
    let n = v.as_f64()?;
    // Whole, non-negative numbers only (window days); others are read as invalid text.
    if (0.0..=1e15).contains(&n) && n == (n as u64) as f64 {
        let mut out = String::new();
        payref_shared::cookie::push_decimal(&mut out, n as u64);
        return Some(out);
    }
    Some("invalid".into())
}

/// `JSON.parse(text)` for the tracker's own literals.
pub fn json(text: &str) -> JsValue {
    invoke(&get(&global(), "JSON"), "parse", &JsValue::from_str(text), &JsValue::UNDEFINED)
}

/// `console.warn(message)`.
pub fn warn(message: &str) {
    // One argument: a second, even `undefined`, is printed after the message.
    let console = get(&global(), "console");
    call(&get(&console, "warn"), &console, &JsValue::from_str(message));
}

/// `Date.now()` as UTC epoch milliseconds.
pub fn now_ms() -> u64 {
    let ms = invoke(&get(&global(), "Date"), "now", &JsValue::UNDEFINED, &JsValue::UNDEFINED).as_f64().unwrap_or(0.0);
    if ms > 0.0 { ms as u64 } else { 0 }
}

/// 16 random bytes from Web Crypto (Math.random only where Web Crypto is missing).
pub fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if random_fill(&mut bytes).is_err() {
        let math = get(&global(), "Math");
        for b in &mut bytes {
            let r = invoke(&math, "random", &JsValue::UNDEFINED, &JsValue::UNDEFINED).as_f64().unwrap_or(0.0);
            *b = (r * 256.0) as u8;
        }
    }
    bytes
}

impl List {
    /// Every item of the list.
    pub fn items(&self) -> impl Iterator<Item = JsValue> + '_ {
        (0..self.length()).map(|i| JsValue::from(self.at(i)))
    }

    /// The Element items (nodeType 1) of the list.
    pub fn elements(&self) -> impl Iterator<Item = Node> + '_ {
        (0..self.length()).map(|i| self.at(i)).filter(|n| n.node_type() == 1)
    }
}
