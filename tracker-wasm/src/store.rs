//! Where the referral is kept: a first-party cookie on the registrable domain, mirrored in
//! localStorage. Either may be blocked (the write throws or is dropped); then the other holds
//! it, and failing both the tracker's memory holds it for the page's life.

use alloc::string::String;

use payref_shared::ReferralCookie;
use payref_shared::cookie::{COOKIE_NAME, push_decimal};
use wasm_bindgen::JsValue;

use crate::href::cookie_domains;
use crate::js::{self, Node, get, invoke, set};
use crate::options::Options;

pub struct Store {
    document: JsValue,
    storage: JsValue,
    secure: bool,
    max_age_s: u64,
    domain: Option<String>,
}

impl Store {
    pub fn new(document: &Node, options: &Options, secure: bool) -> Self {
        Self {
            document: document.into(),
            // Reading `localStorage` itself throws where storage is blocked: `get` catches it.
            storage: get(&js::global(), "localStorage"),
            secure,
            max_age_s: u64::from(options.window_days) * 86_400,
            domain: options.cookie_domain.clone(),
        }
    }

    fn cookies(&self) -> String {
        get(&self.document, "cookie").as_string().unwrap_or_default()
    }

    fn storage_item(&self) -> Option<String> {
        invoke(&self.storage, "getItem", &JsValue::from_str(COOKIE_NAME), &JsValue::UNDEFINED).as_string()
    }

    /// The stored referral: the cookie, else the mirror while its window lasts.
    pub fn read(&self, window_days: u32) -> Option<ReferralCookie> {
        ReferralCookie::find_in(&self.cookies()).or_else(|| {
            let stored = ReferralCookie::parse_value(&self.storage_item()?)?;
            let age_ms = js::now_ms().saturating_sub(stored.set_at_ms);
            (age_ms <= u64::from(window_days) * 86_400_000).then_some(stored)
        })
    }

    fn write_cookie(&self, value: &str, domain: Option<&str>, max_age: u64) {
        let mut c = String::from(COOKIE_NAME);
        c.push('=');
        c.push_str(value);
        c.push_str("; Path=/; SameSite=Lax; Max-Age=");
        push_decimal(&mut c, max_age);
        if let Some(d) = domain {
            c.push_str("; Domain=");
            c.push_str(d);
        }
        if self.secure {
            c.push_str("; Secure");
        }
        set(&self.document, "cookie", &JsValue::from_str(&c));
    }

    pub fn write(&self, cookie: &ReferralCookie, host: &str) {
        let value = cookie.to_value();
        match &self.domain {
            Some(d) => self.write_cookie(&value, Some(d), self.max_age_s),
            None => {
                let stored = cookie_domains(host).into_iter().any(|d| {
                    self.write_cookie(&value, Some(d), self.max_age_s);
                    ReferralCookie::find_in(&self.cookies()).as_ref() == Some(cookie)
                });
                if !stored {
                    self.write_cookie(&value, None, self.max_age_s);
                }
            }
        }
        invoke(&self.storage, "setItem", &JsValue::from_str(COOKIE_NAME), &JsValue::from_str(&value));
    }

    /// Forgets the referral everywhere it may have been written.
    pub fn clear(&self, host: &str) {
        for d in cookie_domains(host).into_iter().map(Some).chain([self.domain.as_deref(), None]) {
            self.write_cookie("", d, 0);
        }
        invoke(&self.storage, "removeItem", &JsValue::from_str(COOKIE_NAME), &JsValue::UNDEFINED);
    }
}
