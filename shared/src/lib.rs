//! The wire contract that the tracker, the edge and the origin agree on.
//!
//! Pure Rust with no runtime: it compiles for `wasm32-unknown-unknown` and native. The tracker
//! uses it with `default-features = false` (no serde, no JSON, no HMAC) to stay small.

#![cfg_attr(not(test), no_std)]
extern crate alloc;

pub mod charset;
pub mod click_id;
pub mod client_reference;
pub mod code;
pub mod cookie;
pub mod email;
pub mod event;
pub mod form;
pub mod link;
pub mod sha256;
pub mod site;
pub mod text;
pub mod web_origin;

#[cfg(feature = "server")]
pub mod batch;
#[cfg(feature = "server")]
pub mod edge_config;
#[cfg(feature = "server")]
pub mod signature;

pub use charset::TokenError;
pub use click_id::ClickId;
pub use client_reference::{ClientReferenceId, ParsedReference};
pub use code::ReferralCode;
pub use cookie::ReferralCookie;
pub use event::{ClickEvent, EdgeEvent, EventError, LeadEvent};
pub use link::LinkSlug;
pub use site::SiteKey;
pub use web_origin::WebOrigin;

/// Query parameters the tracker reads a referral from by default.
pub const DEFAULT_REFERRAL_PARAMS: [&str; 2] = ["ref", "via"];
/// Query parameter carrying the click id the edge already recorded for a redirect, so the
/// tracker adopts that click instead of counting a second one.
pub const REDIRECT_CLICK_PARAM: &str = "pr_click";
/// Query parameter a redirect uses for the referral code.
pub const REDIRECT_CODE_PARAM: &str = "ref";
