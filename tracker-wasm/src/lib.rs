//! payref's browser tracker. Reads the referral from the URL, keeps it first-party (cookie with
//! a localStorage mirror), reports the click once, and writes `client_reference_id` into every
//! Stripe payment link, `<stripe-buy-button>` and `<stripe-pricing-table>`, including ones the
//! page adds later.
//!
//! The decisions live in plain modules ([`href`], [`referral`], [`visit`]) tested natively; the
//! browser glue is in [`page`] and only compiles for wasm32.

#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod href;
pub mod referral;
pub mod visit;

#[cfg(target_arch = "wasm32")]
mod page;
#[cfg(target_arch = "wasm32")]
pub use page::start;
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod tiny;
